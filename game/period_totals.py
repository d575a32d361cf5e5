"""Month by month sums of what stands in the event log, per rep and recorded team, kept as the log grows.

Goal progress (``game/goals.py``) and KPI scorecards (``game/kpis.py``) are sums over the events that stand at
the end of the log (``game/deal_history.py``: a reversal drops a key, an update replaces its content, an original
arriving after its correction never stands by itself). Re-reading the log from a period's start on every
request costs the whole period each time; ``PeriodTotals`` is fed each logged event once, in log order, and keeps
what each event key contributes, packed (``game/period_parts.py``: about 180 bytes a key, not 350), so that a
correction takes back exactly what its key had added. Every sum is
kept per local month of the standing content's ``occurred_at`` (in the organisation's time zone), per rep and per
team recorded on the event ("" when it named none: the rep's team *now* decides at query time, as both
recomputations do), which answers any month, quarter or year by adding months.

What ``tests/test_period_totals.py`` proves on random logs (reversals, updates, corrections before their
originals, late events): the answers equal those of the full recomputation, ``metric_totals`` over
``deal_history`` for goals and ``facts_by_rep_and_team`` for scorecards, figure for figure.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from decimal import Decimal

from game.deal_points import deal_margin
from game.events import CSAT_TYPE, rating_of
from game.exchange_rates import Rates
from game.goals import EVENT_METRIC, Goal, period_days
from game.kpis import CREATED, LOST, WON, KpiFacts
from game.lift import ACTIVITY_KPIS, DEAL_TYPES
from game.log_event import LogEvent
from game.period_parts import ORIGIN_NONE, Part, PartCodec, origin_code, origin_kind
from game.scoring import REVERSING_TYPES, UPDATING_TYPES

ZERO = Decimal(0)
TeamOf = Mapping[str, str | None]  # rep -> their team now


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def period_months(period: str) -> range:
    """The local months of a goal's period (``2026-12``, ``2026-Q4``, ``2026``)."""
    first, after = period_days(period)
    return range(month_index(first.year, first.month), month_index(after.year, after.month))


class MonthClock:
    """Local months as integers (``year × 12 + month − 1``), with each month's first instant in whole seconds,
    so that an event falls in the month a period's bounds (local midnight on the 1st) put it in."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._starts: dict[int, int] = {}

    def start(self, month: int) -> int:
        found = self._starts.get(month)
        if found is None:
            year, rest = divmod(month, 12)
            found = self._starts[month] = int(datetime(year, rest + 1, 1, tzinfo=self.zone).timestamp())
        return found

    def month_of(self, at: int) -> int:
        local = datetime.fromtimestamp(at, self.zone)
        month = month_index(local.year, local.month)
        while at < self.start(month):
            month -= 1
        while at >= self.start(month + 1):
            month += 1
        return month

    def months_between(self, start: datetime, end: datetime) -> range | None:
        """The months a period of whole local months covers; None when its bounds are not month starts."""
        first, after = self.month_of(int(start.timestamp())), self.month_of(int(end.timestamp()))
        if self.start(first) != start.timestamp() or self.start(after) != end.timestamp():
            return None
        return range(first, after)


@dataclass(slots=True)
class MonthSums:
    """One rep's standing events of one local month, under one recorded team."""

    types: Counter[str] = field(default_factory=Counter)  # by content type
    revenue: Decimal = ZERO  # deals (won or updated) in the organisation's currency
    margin: Decimal = ZERO
    new_customers: int = 0
    # the scorecard's facts, counted by kind
    won: int = 0
    lost: int = 0
    created: int = 0
    priced_deals: int = 0
    priced_revenue: Decimal = ZERO
    customer_deals: int = 0
    customer_revenue: Decimal = ZERO
    by_customer: dict[str, Decimal] = field(default_factory=dict)  # revenue per customer
    ratings: Counter[int] = field(default_factory=Counter)
    nps_scores: Counter[int] = field(default_factory=Counter)

    def add(self, part: Part, sign: int) -> None:
        self.types[part.type] += sign
        if part.type in DEAL_TYPES:
            if part.priced is not None:
                self.revenue += sign * part.priced
            self.margin += sign * part.margin
        if (part.type in DEAL_TYPES and part.new_customer) or part.type == "customer.new":
            self.new_customers += sign
        kind = part.kind
        if kind == WON:
            self.won += sign
            if part.priced is not None:
                self.priced_deals += sign
                self.priced_revenue += sign * part.priced
                if part.customer:
                    self.customer_deals += sign
                    self.customer_revenue += sign * part.priced
                    customer = part.customer
                    self.by_customer[customer] = self.by_customer.get(customer, ZERO) + sign * part.priced
        elif kind == LOST:
            self.lost += sign
        elif kind == CREATED:
            self.created += sign
        elif kind == CSAT_TYPE and part.rating is not None:
            scale, score = part.rating
            (self.nps_scores if scale == "nps" else self.ratings)[score] += sign

    def goal_amount(self, metric: str) -> Decimal:
        """What these events add to a goal's summed metric (``game.goals.metric_value``, summed)."""
        if metric == "revenue":
            return self.revenue
        if metric == "margin":
            return self.margin
        if metric == "new_customers":
            return Decimal(self.new_customers)
        if metric == "deals":
            return Decimal(sum(self.types[kind] for kind in DEAL_TYPES))
        activity = [kind for kind, name in ACTIVITY_KPIS.items() if name == metric]
        if activity:
            return Decimal(self.types[activity[0]])
        if EVENT_METRIC.match(metric):
            return Decimal(self.types[metric[7:]])
        raise ValueError(f"not a summed metric: {metric!r}")


class PeriodTotals:
    """The month sums of a log, fed one event at a time in log order (``feed``), the corrections respected as
    ``deal_history`` respects them."""

    def __init__(self, zone: tzinfo, currency: str, rates: Rates | None = None) -> None:
        self.clock = MonthClock(zone)
        self.currency = currency
        self.rates = rates
        self.events = 0
        self.months: dict[int, dict[tuple[str, str], MonthSums]] = {}
        # key -> its original's code and what its standing content adds, packed (``game/period_parts.py``)
        self._keys: dict[str, bytes] = {}
        self._codec = PartCodec()
        self._won_at: dict[str, array[int]] = {}  # customer -> seconds of their standing won deals, sorted

    def feed(self, event: LogEvent) -> None:
        self.events += 1
        kind = event.type
        if kind in REVERSING_TYPES or kind in UPDATING_TYPES:
            if event.ref_key:
                self._stand(event.ref_key, None if kind in REVERSING_TYPES else event)
            return
        record = self._keys.get(event.key)
        if record is None:
            self._keys[event.key] = self._codec.pack(origin_code(kind), None)
            self._stand(event.key, event)
        elif record[0] == ORIGIN_NONE:  # arrived after its correction: it gives the standing content its kind
            origin = origin_code(kind)
            part = self._codec.unpack(record, self.clock.month_of)
            self._keys[event.key] = self._codec.pack(origin, part)
            if part is not None:
                self._move(event.key, replace(part, kind=self._kind(origin, part.type)))

    def feed_all(self, events: Iterable[LogEvent]) -> PeriodTotals:
        for event in events:
            self.feed(event)
        return self

    @staticmethod
    def _kind(origin: int, content_type: str) -> str:
        original = origin_kind(origin)
        if original is not None:
            return original
        return WON if content_type in UPDATING_TYPES else content_type

    def _stand(self, key: str, content: LogEvent | None) -> None:
        if content is None:
            self._move(key, None)
            return
        deal = content.type in DEAL_TYPES
        priced = content.amount if content.amount is not None and content.currency == self.currency else None
        record = self._keys.get(key)
        part = Part(
            self.clock.month_of(content.at),
            content.rep,
            content.team or "",
            content.type,
            self._kind(ORIGIN_NONE if record is None else record[0], content.type),
            content.at,
            priced,
            deal_margin(content, self.currency, self.rates) if deal else ZERO,
            content.new_customer,
            content.customer,
            rating_of(content.attrs) if content.attrs else None,  # an update of a survey rates by its own
        )
        self._move(key, part)

    def _move(self, key: str, part: Part | None) -> None:
        record = self._keys.get(key)
        origin = ORIGIN_NONE if record is None else record[0]
        old = None if record is None else self._codec.unpack(record, self.clock.month_of)
        if old is not None:
            self._apply(old, -1)
        self._keys[key] = self._codec.pack(origin, part)
        if part is not None:
            self._apply(part, 1)

    def _apply(self, part: Part, sign: int) -> None:
        cells = self.months.setdefault(part.month, {})
        cell = cells.get((part.rep, part.team))
        if cell is None:
            cell = cells[(part.rep, part.team)] = MonthSums()
        cell.add(part, sign)
        if part.kind == WON and part.customer:
            moments = self._won_at.get(part.customer)
            if moments is None:
                moments = self._won_at[part.customer] = array("q")
            if sign > 0:
                insort(moments, part.at)
            else:
                del moments[bisect_left(moments, part.at)]

    # --- answers ------------------------------------------------------------------------------

    def _cells(self, months: Iterable[int]) -> Iterable[tuple[str, str, MonthSums]]:
        for month in months:
            for (rep, team), sums in self.months.get(month, {}).items():
                yield rep, team, sums

    def goal_totals(self, metric: str, months: Iterable[int], level: str, team_of: TeamOf) -> dict[str, Decimal]:
        """Each owner's total of a summed metric over some months: by rep, by team (the team recorded on the
        event, else the rep's team now) or for the company (owner "")."""
        totals: dict[str, Decimal] = {}
        for rep, team, sums in self._cells(months):
            owner = rep if level == "rep" else (team or team_of.get(rep)) if level == "team" else ""
            if owner is None:
                continue
            value = sums.goal_amount(metric)
            if value:
                totals[owner] = totals.get(owner, ZERO) + value
        return totals

    def repeat(self, customer: str, since: int, before: int) -> bool:
        """Whether the customer has a standing won deal from ``since`` to before ``before``."""
        moments = self._won_at.get(customer, ())
        index = bisect_left(moments, since)
        return index < len(moments) and moments[index] < before

    def kpi_facts(
        self, months: Iterable[int], lookback: int, group_of: Callable[[str, str], str | None]
    ) -> dict[str, KpiFacts]:
        """Every group's scorecard facts over some months (``game.kpis.tally``): ``group_of(rep, recorded team)``
        names the group, or None; a customer is a repeat one with a won deal from ``lookback`` to the first
        month's start."""
        months = list(months)
        start = self.clock.start(months[0]) if months else 0
        repeat: dict[str, bool] = {}
        facts: dict[str, KpiFacts] = {}
        for rep, team, sums in self._cells(months):
            group = group_of(rep, team)
            if group is None:
                continue
            mine = facts.get(group)
            if mine is None:
                mine = facts[group] = KpiFacts()
            mine.won += sums.won
            mine.lost += sums.lost
            mine.created += sums.created
            mine.priced_deals += sums.priced_deals
            mine.revenue += sums.priced_revenue
            mine.customer_deals += sums.customer_deals
            mine.customer_revenue += sums.customer_revenue
            for customer, revenue in sums.by_customer.items():
                if customer not in repeat:
                    repeat[customer] = self.repeat(customer, lookback, start)
                if repeat[customer]:
                    mine.repeat_revenue += revenue
            mine.ratings.extend(sums.ratings.elements())
            mine.nps_scores.extend(sums.nps_scores.elements())
        return facts

    def facts_by_rep_and_team(
        self, months: Iterable[int], lookback: int, team_of: TeamOf
    ) -> tuple[dict[str, KpiFacts], dict[str, KpiFacts]]:
        """``game.kpis.facts_by_rep_and_team`` from the sums: by rep, and by the recorded team or the rep's now."""
        months = list(months)
        by_rep = self.kpi_facts(months, lookback, lambda rep, team: rep)
        by_team = self.kpi_facts(months, lookback, lambda rep, team: team or team_of.get(rep))
        return by_rep, by_team


def goal_actuals(totals: PeriodTotals, goals: Iterable[Goal], team_of: TeamOf) -> dict[str, float]:
    """Each goal's actual by id (goals of summed metrics: ``game.goals.RATIO_METRICS`` need the events), each
    metric, period and level summed once for all its owners."""
    summed: dict[tuple[str, str, str], dict[str, Decimal]] = {}
    actuals: dict[str, float] = {}
    for goal in goals:
        what = (goal.metric, goal.period, goal.level)
        if what not in summed:
            summed[what] = totals.goal_totals(goal.metric, period_months(goal.period), goal.level, team_of)
        actuals[goal.id] = float(summed[what].get(goal.owner, ZERO))
    return actuals
