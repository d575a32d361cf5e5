"""Goals in Redis, their progress read from the event log, and their break-down into parts.

Progress counts the events that stand (reversed deals drop out, updated ones count once at their last amount:
``game/deal_history.py``) whose local day in the organisation's time zone falls in the goal's period. A team's
progress is its reps' events (the team an event was credited to when received, else the rep's team now). The sums
come from ``server/services/period_totals.py`` (fed only what was logged since the last request); the log is read
here only for what those sums cannot answer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from game.deal_history import deal_history
from game.directory import Directory
from game.errors import Collector
from game.exchange_rates import Rates
from game.goals import (
    CHILD_LEVEL,
    RATIO_METRICS,
    Goal,
    goal_rule,
    metric_totals,
    pace,
    parts_difference,
    period_days,
    periods_containing,
    previous_period,
    split_by_actuals,
    split_evenly,
    target_in_points,
)
from game.log_event import LogEvent
from game.period_totals import goal_actuals as period_goal_actuals
from game.rules import parse_rule
from game.work_calendar import MAX_OVERRIDES, known_countries
from server.errors import ApiError
from server.services.period_totals import origin_of, with_totals
from server.services.registry import Snapshot

if TYPE_CHECKING:
    from server.arena import Arena

MAX_GOALS = 5000  # goals an organisation may keep (a year of months for a few hundred reps, with room)


def check_calendar(country: str, holidays: Sequence[date], workdays: Sequence[date]) -> None:
    problems = []
    if country not in known_countries():
        problems.append(
            {"field": "country", "message": f"{country!r} is not a country code the holiday calendars know (or OTHER)"}
        )
    both = sorted(set(holidays) & set(workdays))
    if both:
        problems.append({"field": "workdays", "message": f"{both[0].isoformat()} is also listed as a holiday"})
    for name, days in (("holidays", holidays), ("workdays", workdays)):
        if len(days) > MAX_OVERRIDES:
            problems.append({"field": name, "message": f"at most {MAX_OVERRIDES} days"})
    if problems:
        raise ApiError(422, "invalid calendar: " + "; ".join(p["message"] for p in problems), problems)


def _local_range(arena: Arena, period: str) -> tuple[datetime, datetime]:
    start, end = period_days(period)
    zone = arena.settings.zone
    return datetime.combine(start, time(), zone), datetime.combine(end, time(), zone)


async def standing_events(arena: Arena, periods: Iterable[str]) -> dict[str, list[LogEvent]]:
    """Each period's standing events, the log read once from the earliest period's start."""
    wanted = sorted(set(periods))
    if not wanted:
        return {}
    ranges = {period: _local_range(arena, period) for period in wanted}
    now = datetime.now(UTC)
    since = min(start for start, _ in ranges.values())
    if since > now:
        return {period: [] for period in wanted}
    events = list(deal_history(await arena.event_log.read_events(since)).standing.values())
    return {
        period: [event for event in events if start <= event.occurred_at < end]
        for period, (start, end) in ranges.items()
    }


def owner_actual(goal: Goal, events: Sequence[LogEvent], directory: Directory, currency: str, rates: Rates) -> float:
    """What the goal's owner did in the period: the company's, a team's or a rep's total (``rates`` convert a
    margin in another currency as scoring does), summed exactly."""
    if goal.metric in RATIO_METRICS:
        per_rep, per_group = RATIO_METRICS[goal.metric]
        if goal.level == "rep":
            return per_rep(events, currency).get(goal.owner, 0.0)
        mine = events if goal.level == "company" else [e for e in events if _team_of(e, directory) == goal.owner]
        return per_group(mine, currency)
    if goal.level == "team":
        events = [event for event in events if _team_of(event, directory) == goal.owner]
    totals = metric_totals(goal.metric, events, currency, rates)
    return float(totals.get(goal.owner, 0) if goal.level == "rep" else sum(totals.values(), Decimal(0)))


async def goal_actuals(arena: Arena, goals: Sequence[Goal], snapshot: Snapshot) -> dict[str, float]:
    """Each goal's actual by id: from the month sums kept as the log grows (``server/services/period_totals.py``),
    and by reading the log for what they cannot answer (ratio metrics, periods before the sums begin)."""
    directory = snapshot.directory
    found: dict[str, float] = {}
    origin = origin_of(arena, datetime.now(UTC))
    summed = [g for g in goals if g.metric not in RATIO_METRICS and _local_range(arena, g.period)[0] >= origin]
    if summed:
        team_of = {rep.id: rep.team for rep in directory.reps.values()}
        found = await with_totals(arena, origin, partial(period_goal_actuals, goals=summed, team_of=team_of)) or {}
    rest = [goal for goal in goals if goal.id not in found]
    if rest:
        events = await standing_events(arena, (goal.period for goal in rest))
        currency, rates = arena.settings.currency, snapshot.rates
        found.update({g.id: owner_actual(g, events[g.period], directory, currency, rates) for g in rest})
    return found


def _team_of(event: LogEvent, directory: Directory) -> str | None:
    if event.team:
        return event.team
    rep = directory.reps.get(event.rep)
    return rep.team if rep else None


async def with_progress(arena: Arena, goals: Sequence[Goal], today: date) -> list[dict[str, Any]]:
    """Each goal as stored, with its actual, percent and pace by working days."""
    calendar = await arena.goals.work_calendar()
    actuals = await goal_actuals(arena, goals, await arena.registry.current())
    return [
        {**goal.as_dict(), "pace": pace(actuals[goal.id], goal.target, goal.period, today, calendar).as_dict()}
        for goal in goals
    ]


def child_owners(goal: Goal, directory: Directory) -> list[str]:
    """Who a goal breaks down to: every team for the company, a team's active reps for a team."""
    if goal.level == "company":
        return sorted(directory.teams)
    if goal.level == "team":
        return list(directory.team_members.get(goal.owner, ()))
    raise ApiError(422, "a rep's goal has no parts", [{"field": "id", "message": "a rep goal cannot be broken down"}])


def descendants(goal_id: str, goals: Sequence[Goal]) -> list[str]:
    children: dict[str | None, list[str]] = {}
    for goal in goals:
        children.setdefault(goal.parent, []).append(goal.id)
    found, queue = [], list(children.get(goal_id, ()))
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, ()))
    return found


async def break_down(
    arena: Arena, goal: Goal, split: str, parts: Mapping[str, int] | None, goals: Sequence[Goal], actor: str
) -> list[Goal]:
    """The goal's parts by hand, evenly or in proportion to last period's actuals, replacing any it had; parts
    by hand must add up to the goal's target."""
    snapshot = await arena.registry.current()
    directory = snapshot.directory
    owners = child_owners(goal, directory)
    level = CHILD_LEVEL[goal.level]
    if split == "hand":
        if not parts:
            raise ApiError(422, "give the parts", [{"field": "parts", "message": "owner → target, for each part"}])
        difference = parts_difference(goal.target, parts)
        if difference:
            message = f"the parts add up to {sum(parts.values()):,}, not the goal's {goal.target:,}: " + (
                f"{difference:,} short" if difference > 0 else f"{-difference:,} over"
            )
            raise ApiError(422, message, [{"field": "parts", "message": message}])
        unknown = sorted(set(parts) - set(owners))
        if unknown:
            where = "teams" if level == "team" else f"reps of team {goal.owner}"
            message = f"{unknown[0]!r} is not one of the {where}"
            raise ApiError(422, message, [{"field": f"parts.{unknown[0]}", "message": message}])
        shares = dict(parts)
    elif not owners:
        raise ApiError(422, "nobody to break the goal down to", [{"field": "id", "message": "no teams or reps"}])
    elif split == "even":
        shares = split_evenly(goal.target, owners)
    else:
        last = previous_period(goal.period)
        probe = [Goal(f"{goal.id}.{owner}", goal.metric, last, level, owner, 1) for owner in owners]
        found = await goal_actuals(arena, probe, snapshot)
        shares = split_by_actuals(goal.target, owners, {p.owner: found[p.id] for p in probe})
    made = [
        Goal(f"{goal.id}.{owner}", goal.metric, goal.period, level, owner, target, parent=goal.id)
        for owner, target in shares.items()
        if target > 0
    ]
    kept = {child.id for child in made}
    removed = [gid for gid in descendants(goal.id, goals) if gid not in kept]
    changed = Goal(**{**goal.as_dict(), "split": split})
    await arena.goals.put([changed, *made], removed, actor=actor, target=goal.id, breakdown=True)
    return made


async def contest_targets_from_goal(arena: Arena, body: dict[str, Any]) -> None:
    """A contest that names ``targets_from_goal`` scores percent of that goal: each rep's target is their part of
    it (the rep goals under it), in the contest's points. Filled in when the contest is saved; saving it again
    takes up a changed break-down."""
    goal_id = body.get("targets_from_goal")
    if goal_id is None:
        return
    field = [{"field": "targets_from_goal", "message": ""}]
    goals = await arena.goals.all()
    by_id = {goal.id: goal for goal in goals}
    goal = by_id.get(goal_id) if isinstance(goal_id, str) else None
    if goal is None:
        field[0]["message"] = "no such goal"
        raise ApiError(422, f"no goal {goal_id!r}", field)
    reps = [goal] if goal.level == "rep" else [by_id[g] for g in descendants(goal.id, goals) if by_id[g].level == "rep"]
    if not reps:
        field[0]["message"] = "break the goal down to reps first"
        raise ApiError(422, f"goal {goal.id!r} has no rep parts: break it down to reps first", field)
    errors = Collector()
    rules = [rule for raw in body.get("rules") or [] if (rule := parse_rule(raw, errors)) is not None]
    scoring = goal_rule(goal.metric, rules)
    if isinstance(scoring, str):
        field[0]["message"] = scoring
        message = f"the contest's rules do not turn {goal.metric} into points one for one: {scoring}"
        raise ApiError(422, message, field)
    targets = {part.owner: target_in_points(part.target, scoring) for part in reps}
    body["scoring"] = "percent_of_target"
    body["targets"] = targets


async def reps_goals(arena: Arena, reps: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """Each rep's own goals for the month, quarter and year under way, with pace: what their phones show."""
    today = datetime.now(UTC).astimezone(arena.settings.zone).date()
    current = set(periods_containing(today))
    found: dict[str, list[dict[str, Any]]] = {rep: [] for rep in reps}
    mine = [g for g in await arena.goals.all() if g.level == "rep" and g.owner in found and g.period in current]
    for goal in await with_progress(arena, mine, today):
        found[goal["owner"]].append(goal)
    return found


async def rep_goals(arena: Arena, rep_id: str) -> list[dict[str, Any]]:
    """A rep's own goals under way, with pace (``reps_goals``)."""
    return (await live_goals(arena, [rep_id])).get(rep_id, [])


async def live_goals(arena: Arena, reps: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """``reps_goals`` for the phones (the page and the hub's ``goals`` board): a year too large to replay at once
    leaves the goals out, and the phone shows the rest."""
    try:
        return await reps_goals(arena, reps)
    except ApiError:
        return {}
