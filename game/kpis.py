"""Ratio KPIs (比率指标) from the event log: conversion rate, average order value, retention, CSAT and NPS.

Counts only add up; a manager judges a rep by ratios too. Each ratio here is computed from what *stands* at
the end of the log (``game.deal_history``: the replay of corrections the lift report and flags use), so a
reversed deal, lost opportunity or survey counts nowhere and an updated deal counts as updated. An event
belongs to the period its standing content ``occurred_at`` falls in, and to the rep it names.

- **conversion** (成交率), percent: with the ``closed`` basis (default) deals won ÷ opportunities closed in the
  period (``deal.won`` + ``deal.lost``); with the ``created`` basis deals won ÷ opportunities created in the
  period (``deal.created``), a pipeline ratio that may exceed 100 % when earlier opportunities close now.
  Sample: the denominator.
- **aov** (客单价), money: revenue ÷ deals won, over won deals in the organisation's currency. Sample: those deals.
- **retention** (老客户收入占比), percent: the share of revenue (won deals in the organisation's currency that name
  a ``customer``) that comes from repeat customers. A customer is *repeat* when a won deal for them (by anyone,
  in any currency) stands with an ``occurred_at`` in the ``REPEAT_LOOKBACK_DAYS`` before the period starts.
  Deals without a customer cannot be judged and are left out of both sides. Sample: deals with a customer.
- **csat** (客户满意度), mean rating 1–5 of ``csat.recorded`` events with a whole-number ``attrs.score``
  (a survey without a score is still a survey for XP, but has no rating). Sample: rated surveys.
- **nps** (净推荐值), −100…100: ``csat.recorded`` with ``attrs.scale = "nps"`` and a 0–10 score; percent of
  promoters (9–10) minus percent of detractors (0–6). Sample: those surveys.

Small samples are honest: below a KPI's minimum number of events (``DEFAULT_MIN_EVENTS`` unless set) the value
is ``None`` with the reason ``not_enough_data``, never the 100 % that one won deal out of one would show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from game.deal_history import deal_history
from game.events import CSAT_TYPE, rating_of
from game.lift import Period
from game.log_event import LogEvent
from game.scoring import REVERSING_TYPES, UPDATING_TYPES

KPIS = ("conversion", "aov", "retention", "csat", "nps")
UNITS = {"conversion": "percent", "aov": "money", "retention": "percent", "csat": "rating", "nps": "nps"}
CONVERSION_BASES = ("closed", "created")
DEFAULT_MIN_EVENTS = 5
REPEAT_LOOKBACK_DAYS = 365
WON, LOST, CREATED = "deal.won", "deal.lost", "deal.created"
NOT_ENOUGH_DATA = "not_enough_data"
NO_REVENUE = "no_revenue"  # deals stand, but all of amount 0: a share of nothing is no share


@dataclass
class KpiFacts:
    """What one rep (or team) did in the period, the numerators and denominators of every ratio."""

    won: int = 0
    lost: int = 0
    created: int = 0
    priced_deals: int = 0  # won deals in the organisation's currency
    revenue: Decimal = Decimal(0)
    customer_deals: int = 0  # of those, the ones naming a customer
    customer_revenue: Decimal = Decimal(0)
    repeat_revenue: Decimal = Decimal(0)
    ratings: list[int] = field(default_factory=list)  # CSAT scores 1–5
    nps_scores: list[int] = field(default_factory=list)  # NPS scores 0–10


@dataclass(frozen=True)
class KpiValue:
    """One KPI's value, or ``None`` with the reason; ``sample`` is the number of events it rests on."""

    kpi: str
    value: Decimal | None
    sample: int
    minimum: int
    reason: str | None = None

    @property
    def counts(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Standing:
    """One event that stands at the end of the log, with the kind of its original (an updated deal stays a won
    deal; an update whose original never arrived counts as a won deal, as live scoring treats it)."""

    kind: str
    event: LogEvent


# what the ratios read, and the corrections that change it; other events (calls, meetings) are skipped early
RATIO_TYPES = frozenset({WON, LOST, CREATED, CSAT_TYPE}) | REVERSING_TYPES | UPDATING_TYPES


def standing_events(events: Iterable[LogEvent], since: datetime | None = None) -> list[Standing]:
    """Every event key's standing content after reversals and updates (occurring from ``since`` on, when given),
    in log order of the keys' first sight."""
    history = deal_history(event for event in events if event.type in RATIO_TYPES)
    earliest = int(since.timestamp()) if since is not None else None
    out = []
    for key, content in history.standing.items():
        if earliest is not None and content.at < earliest:
            continue
        original = history.originals.get(key)
        kind = original.type if original is not None else (WON if content.type in UPDATING_TYPES else content.type)
        out.append(Standing(kind, content))
    return out


def repeat_customers(standing: Iterable[Standing], period: Period) -> frozenset[str]:
    """Customers with a standing won deal in the ``REPEAT_LOOKBACK_DAYS`` before the period starts."""
    since, start = int(lookback_start(period).timestamp()), int(period.start.timestamp())
    return frozenset(
        item.event.customer
        for item in standing
        if item.kind == WON and item.event.customer and since <= item.event.at < start
    )


def tally(
    standing: Iterable[Standing],
    period: Period,
    currency: str,
    group_of: Callable[[LogEvent], str | None],
    repeat: frozenset[str] = frozenset(),
) -> dict[str, KpiFacts]:
    """Every group's facts in the period (``group_of`` names the rep or team an event counts for, or None)."""
    facts: dict[str, KpiFacts] = {}
    start, end = int(period.start.timestamp()), int(period.end.timestamp())  # ``at``: whole seconds, floored
    for item in standing:
        event = item.event
        if not start <= event.at < end:
            continue
        group = group_of(event)
        if group is None:
            continue
        mine = facts.get(group)
        if mine is None:
            mine = facts[group] = KpiFacts()
        _add(mine, item.kind, event, currency, repeat)
    return facts


def _add(facts: KpiFacts, kind: str, event: LogEvent, currency: str, repeat: frozenset[str]) -> None:
    if kind == WON:
        facts.won += 1
        if event.amount is not None and event.currency == currency:
            facts.priced_deals += 1
            facts.revenue += event.amount
            if event.customer:
                facts.customer_deals += 1
                facts.customer_revenue += event.amount
                if event.customer in repeat:
                    facts.repeat_revenue += event.amount
    elif kind == LOST:
        facts.lost += 1
    elif kind == CREATED:
        facts.created += 1
    elif kind == CSAT_TYPE:
        rating = rating_of(event.attrs)
        if rating is not None:
            scale, score = rating
            (facts.nps_scores if scale == "nps" else facts.ratings).append(score)


HUNDRED = Decimal(100)


def kpi_value(kpi: str, facts: KpiFacts, minimum: int = DEFAULT_MIN_EVENTS, basis: str = "closed") -> KpiValue:
    """One KPI from a group's facts, ``None`` with a reason below ``minimum`` events (at least one is always
    needed: a ratio of nothing is no ratio)."""
    minimum = max(1, minimum)
    numerator: Decimal
    if kpi == "conversion":
        sample = facts.won + facts.lost if basis == "closed" else facts.created
        numerator = HUNDRED * facts.won
    elif kpi == "aov":
        sample, numerator = facts.priced_deals, facts.revenue
    elif kpi == "retention":
        sample, numerator = facts.customer_deals, HUNDRED * facts.repeat_revenue
    elif kpi == "csat":
        sample, numerator = len(facts.ratings), Decimal(sum(facts.ratings))
    elif kpi == "nps":
        promoters = sum(1 for score in facts.nps_scores if score >= 9)
        detractors = sum(1 for score in facts.nps_scores if score <= 6)
        sample, numerator = len(facts.nps_scores), HUNDRED * (promoters - detractors)
    else:
        raise ValueError(f"unknown KPI {kpi!r}")
    if sample < minimum:
        return KpiValue(kpi, None, sample, minimum, NOT_ENOUGH_DATA)
    denominator = facts.customer_revenue if kpi == "retention" else Decimal(sample)
    if denominator == 0:
        return KpiValue(kpi, None, sample, minimum, NO_REVENUE)
    return KpiValue(kpi, numerator / denominator, sample, minimum)


def kpi_values(
    facts: KpiFacts | None, minimums: Mapping[str, int] | None = None, basis: str = "closed"
) -> dict[str, KpiValue]:
    """Every KPI of one group (a group with no events at all has facts of zero)."""
    facts = facts or KpiFacts()
    minimums = minimums or {}
    return {kpi: kpi_value(kpi, facts, minimums.get(kpi, DEFAULT_MIN_EVENTS), basis) for kpi in KPIS}


def lookback_start(period: Period) -> datetime:
    """Where the log must be read from for a period's KPIs: the retention lookback before it."""
    return period.start - timedelta(days=REPEAT_LOOKBACK_DAYS)


def facts_by_rep_and_team(
    events: Iterable[LogEvent], period: Period, currency: str, team_of_rep: Mapping[str, str | None]
) -> tuple[dict[str, KpiFacts], dict[str, KpiFacts]]:
    """Every rep's and every team's facts in the period, from one pass over the log. An event counts for the
    team recorded on it when it was received (the team it counted for then), else the rep's team now."""
    standing = standing_events(events, lookback_start(period))
    repeat = repeat_customers(standing, period)
    by_rep = tally(standing, period, currency, lambda e: e.rep, repeat)
    by_team = tally(standing, period, currency, lambda e: e.team or team_of_rep.get(e.rep), repeat)
    return by_rep, by_team
