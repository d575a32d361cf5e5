"""Goals (目标): a target for a metric over a month, quarter or year, owned by the company, a team or a rep, and
broken down from the company to teams to reps so that the parts always add up to their parent.

Pure rules only: periods as local dates, the three ways to split a target, the sum check, and pace by working
days (``game/work_calendar.py``). Reading the event log and storing goals happen in ``server/services/goals.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from game.deal_points import deal_margin
from game.errors import Collector
from game.exchange_rates import Rates
from game.lift import DEAL_TYPES, kpi_value
from game.log_event import LogEvent
from game.rules import Rule
from game.work_calendar import WorkCalendar

LEVELS = ("company", "team", "rep")
CHILD_LEVEL = {"company": "team", "team": "rep"}
SPLITS = ("hand", "even", "last_period")
# Counts and sums of standing events, the same KPIs the lift report measures (game/lift.py), plus any event type,
# and the gross margin of won deals as margin rules score it (game/deal_points.py).
BASE_METRICS = ("revenue", "margin", "deals", "new_customers", "calls", "meetings")
# A money goal's rule must score that money: the basis ("basis" of game/rules.py) each money metric needs.
MONEY_BASIS = {"revenue": "revenue", "margin": "margin"}
EVENT_METRIC = re.compile(r"^events:[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
GOAL_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,160}$")
MAX_TARGET = 10**12
PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")

# Ratio metrics (conversion rate, average order value, …) are not sums of events, so they cannot be added up from
# reps to teams. They plug in here: a name → a function from the period's standing events to each rep's value, and
# a second one for a group of reps. Until one is registered, only the sums above are goal metrics.
RatioOfReps = Callable[[Sequence[LogEvent], str], dict[str, float]]
RatioOfGroup = Callable[[Sequence[LogEvent], str], float]
RATIO_METRICS: dict[str, tuple[RatioOfReps, RatioOfGroup]] = {}


def known_metric(metric: str) -> bool:
    return metric in BASE_METRICS or EVENT_METRIC.match(metric) is not None or metric in RATIO_METRICS


@dataclass(frozen=True)
class Goal:
    id: str
    metric: str
    period: str  # 2026-12 (month), 2026-Q4 (quarter) or 2026 (year), in the organisation's time zone
    level: str  # company | team | rep
    owner: str  # "" for the company, else the team's or the rep's id
    target: int
    parent: str | None = None
    split: str | None = None  # how the goal's parts were made from it: hand | even | last_period
    name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Goal:
        fields: dict[str, Any] = {name: document[name] for name in cls.__dataclass_fields__ if name in document}
        return cls(**fields)


def period_days(period: str) -> tuple[date, date]:
    """The period's first local day and the day after its last."""
    match = PERIOD.match(period)
    if match is None:
        raise ValueError(f"not a period: {period!r} (2026-12, 2026-Q4 or 2026)")
    year = int(match["year"])
    if match["month"]:
        first_month, months = int(match["month"]), 1
    elif match["quarter"]:
        first_month, months = 3 * int(match["quarter"]) - 2, 3
    else:
        first_month, months = 1, 12
    end_month = first_month + months
    end = date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)
    return date(year, first_month, 1), end


def previous_period(period: str) -> str:
    """The period of the same length just before: what a split "in proportion to last period" reads."""
    match = PERIOD.match(period)
    if match is None:
        raise ValueError(f"not a period: {period!r}")
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    if match["quarter"]:
        quarter = int(match["quarter"])
        return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"
    return str(year - 1)


def periods_containing(day: date) -> tuple[str, str, str]:
    """The month, the quarter and the year ``day`` falls in."""
    return f"{day.year}-{day.month:02d}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", str(day.year)


def parse_goal(goal_id: str, raw: Mapping[str, Any]) -> Goal:
    """A goal as a manager writes it, every problem named by its field."""
    errors = Collector()
    if not GOAL_ID.match(goal_id):
        errors.add("id", "1-160 letters, digits, _ . : or -")
    metric = raw.get("metric")
    if not isinstance(metric, str) or not known_metric(metric):
        errors.add("metric", f"one of {', '.join(BASE_METRICS)} or events:<event type>")
    period = raw.get("period")
    if not isinstance(period, str) or not PERIOD.match(period):
        errors.add("period", "a month (2026-12), a quarter (2026-Q4) or a year (2026)")
    level = raw.get("level")
    if level not in LEVELS:
        errors.add("level", f"one of {', '.join(LEVELS)}")
    owner = raw.get("owner") or ""
    if level == "company" and owner:
        errors.add("owner", "a company goal has no owner")
    if level in ("team", "rep") and not (isinstance(owner, str) and owner):
        errors.add("owner", f"the {level}'s id")
    target = raw.get("target")
    if isinstance(target, bool) or not isinstance(target, int) or not 0 < target <= MAX_TARGET:
        errors.add("target", f"a whole number from 1 to {MAX_TARGET:,}")
    name = raw.get("name") or ""
    if not isinstance(name, str) or len(name) > 80:
        errors.add("name", "at most 80 characters")
    errors.raise_if_any()
    return Goal(goal_id, str(metric), str(period), str(level), str(owner), int(str(target)), name=str(name))


def split_evenly(total: int, owners: Sequence[str]) -> dict[str, int]:
    """Equal parts; the remainder goes one apiece to the first owners, so the parts add up exactly."""
    share, rest = divmod(total, len(owners))
    return {owner: share + (1 if index < rest else 0) for index, owner in enumerate(owners)}


def split_by_actuals(total: int, owners: Sequence[str], actuals: Mapping[str, float]) -> dict[str, int]:
    """Parts in proportion to what each owner did last period (largest remainders round, so they add up);
    evenly when nobody did anything."""
    weights = [max(float(actuals.get(owner, 0.0)), 0.0) for owner in owners]
    whole = sum(weights)
    if whole <= 0:
        return split_evenly(total, owners)
    exact = [total * weight / whole for weight in weights]
    parts = [int(value) for value in exact]
    by_remainder = sorted(range(len(owners)), key=lambda index: (parts[index] - exact[index], index))
    for index in by_remainder[: total - sum(parts)]:
        parts[index] += 1
    return dict(zip(owners, parts, strict=True))


def parts_difference(total: int, parts: Mapping[str, int]) -> int:
    """How far the parts are from their parent's target: positive when they fall short, negative when over."""
    return total - sum(parts.values())


def metric_value(metric: str, event: LogEvent, currency: str, rates: Rates | None) -> Decimal:
    """What one standing event adds to a summed metric, exactly. Revenue counts deals in the organisation's
    currency only (as ``kpi_value`` does); margin converts a deal in another currency at its month's rate, as
    scoring does."""
    if metric == "margin":
        return deal_margin(event, currency, rates) if event.type in DEAL_TYPES else Decimal(0)
    if metric == "revenue":
        priced = event.type in DEAL_TYPES and event.amount is not None and event.currency == currency
        return event.amount if priced and event.amount is not None else Decimal(0)
    return Decimal(int(kpi_value(metric, event, currency)))


def metric_totals(
    metric: str, events: Iterable[LogEvent], currency: str, rates: Rates | None = None
) -> dict[str, Decimal]:
    """Each rep's total of a summed metric over standing events, in exact arithmetic (so the same events give
    the same figure in any order: ``game/period_totals.py`` keeps these sums as the log grows)."""
    totals: dict[str, Decimal] = {}
    for event in events:
        value = metric_value(metric, event, currency, rates)
        if value:
            totals[event.rep] = totals.get(event.rep, Decimal(0)) + value
    return totals


# The event type whose rule turns a goal's metric into contest points, one for one.
METRIC_EVENTS = {
    "revenue": "deal.won",
    "margin": "deal.won",
    "deals": "deal.won",
    "calls": "call.logged",
    "meetings": "meeting.held",
}


def goal_rule(metric: str, rules: Sequence[Rule]) -> Rule | str:
    """The one rule that turns a goal's metric into contest points one for one, or what keeps the rules from it:
    a money goal needs a rule of points per money on the same basis (margin points against a revenue target
    would put 100 % out of reach, revenue points against a margin target would pass it long before the margin is
    made), a count needs flat points per event. Multipliers and filters stay the manager's choice: they weigh
    the contest's percent, not the goal's progress."""
    event_type = METRIC_EVENTS.get(metric) or (metric[7:] if EVENT_METRIC.match(metric) else None)
    if event_type is None:
        return f"no rule scores {metric} one for one"
    matching = [rule for rule in rules if rule.on == event_type]
    if len(matching) != 1:
        return f"exactly one rule on {event_type} must score the goal ({len(matching)} found)"
    rule = matching[0]
    basis = MONEY_BASIS.get(metric)
    if basis is not None:
        if rule.points_per is None or rule.points:
            return f'the {event_type} rule must give points per money ("points_per", no flat "points")'
        if rule.basis != basis:
            return f'a {metric} goal needs its {event_type} rule on "basis": "{basis}", not "{rule.basis}"'
        return rule
    if rule.points_per is not None or not rule.points:
        return f'the {event_type} rule must give flat "points" per event (no "points_per")'
    return rule


def points_target(target: int, metric: str, rules: Sequence[Rule]) -> int | None:
    """A goal's target in a contest's points, so that the contest can score percent of the goal: money per point
    (revenue, margin) or points per event (counts) of ``goal_rule``; None when the rules do not convert."""
    rule = goal_rule(metric, rules)
    return None if isinstance(rule, str) else target_in_points(target, rule)


def target_in_points(target: int, rule: Rule) -> int:
    """A target in the points of the rule ``goal_rule`` found: money per point, or points per event."""
    if rule.points_per is not None:
        return max(1, round(target / rule.points_per))
    return target * rule.points


@dataclass(frozen=True)
class Pace:
    actual: float
    target: int
    percent: float
    expected: float  # target × working days elapsed ÷ working days in the period
    expected_percent: float
    status: str  # reached | on_track | behind
    working_days: int  # in the period
    working_days_elapsed: int  # up to and including today
    working_days_left: int  # after today
    weekends_only: bool  # some day of the period was judged by weekends alone (a year the calendar does not know)

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        for name in ("actual", "expected"):
            document[name] = round(document[name], 2)
        for name in ("percent", "expected_percent"):
            document[name] = round(document[name], 1)
        return document


def pace(actual: float, target: int, period: str, today: date, calendar: WorkCalendar) -> Pace:
    """Where the goal stands against a straight line over the period's working days: a holiday week expects
    nothing, a 调休 Saturday expects a day's share."""
    start, end = period_days(period)
    total = calendar.working_days_between(start, end)
    cut = min(max(today, start), end) if today < end else end
    elapsed = calendar.working_days_between(start, cut) + (
        1 if start <= today < end and calendar.is_working_day(today) else 0
    )
    expected = target * elapsed / total if total else float(target if today >= start else 0)
    percent = 100.0 * actual / target if target else 0.0
    status = "reached" if actual >= target else ("on_track" if actual >= expected else "behind")
    return Pace(
        actual,
        target,
        percent,
        expected,
        100.0 * expected / target if target else 0.0,
        status,
        total,
        elapsed,
        total - elapsed,
        calendar.uncovered_between(start, end),
    )
