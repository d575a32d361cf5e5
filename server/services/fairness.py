"""Fairness options made concrete for the live engine, from the event log: improvement targets measured on a
baseline, leagues seeded from past performance, and the next period of a recurring contest (leagues
promoted and relegated, targets measured again). Used by ``POST /api/v1/contests/prepare`` and by the
scheduler when it starts the next recurring contest."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from game.contests import Contest, parse_contest
from game.directory import Directory
from game.errors import Collector, ValidationError
from game.events import parse_time
from game.fairness_options import (
    IMPROVEMENT,
    improvement_targets,
    initial_leagues,
    leagues_rules_of,
    next_leagues,
    parse_leagues,
)
from game.lift import Period
from game.simulation import replay
from server.errors import ApiError
from server.services.insights import crunch

if TYPE_CHECKING:
    from server.arena import Arena

FAIRNESS_FIELDS = ("targets", "default_target", "divisions", "leagues", "baseline", "improvement")


def invalid(errors: Collector, message: str) -> ApiError:
    return ApiError(
        422,
        f"{message}: " + "; ".join(f"{e.field}: {e.message}" for e in errors.errors),
        [e.as_dict() for e in errors.errors],
    )


def parse_definition(arena: Arena, definition: dict[str, Any], prefix: str) -> Contest:
    settings = arena.settings
    try:
        return parse_contest(definition, default_timezone=settings.timezone, default_currency=settings.currency)
    except ValidationError as exc:
        errors = Collector(prefix)
        for error in exc.errors:
            errors.add(error.field, error.message)
        raise invalid(errors, "invalid contest") from None


def participants(contest: Contest, directory: Directory) -> list[str]:
    return sorted(r.id for r in directory.reps.values() if r.active and contest.includes(r.id, r.team))


# --- fairness options -----------------------------------------------------------------------------------


async def prepare_definition(
    arena: Arena, raw: dict[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compute what a definition's fairness options mean for the live engine, from the event log:

    - ``"scoring": "improvement"`` → ``percent_of_target`` with each rep's baseline points as their target
      (baseline ``{"from", "to"}``, default the same length right before the contest; ``"improvement":
      {"floor": N}`` sets the lowest target), so the board ranks by % of each rep's own baseline;
    - ``"leagues": {"size", "promote", "relegate"}`` without ``divisions`` → divisions of similar past
      performance, from the same rules replayed over the period right before the contest.
    """
    errors = Collector(prefix)
    rules = parse_leagues(raw.get("leagues"), errors)
    improvement = raw.get("scoring") == IMPROVEMENT
    if errors.errors:
        raise invalid(errors, "invalid leagues")
    if not improvement and (rules is None or raw.get("divisions")):
        return raw, {}
    plain = {k: v for k, v in raw.items() if k not in FAIRNESS_FIELDS} | {"scoring": "points"}
    contest = parse_definition(arena, plain, prefix)
    length = contest.ends_at - contest.starts_at
    previous = Period(contest.starts_at - length, contest.starts_at)
    baseline = previous
    spec = raw.get("baseline")
    if improvement and spec is not None:
        if not isinstance(spec, dict):
            errors.add("baseline", 'must be {"from": <RFC 3339>, "to": <RFC 3339>}')
        else:
            start, end = (
                parse_time(spec.get("from"), errors, "baseline.from"),
                parse_time(spec.get("to"), errors, "baseline.to"),
            )
            if start and end and end <= start:
                errors.add("baseline.to", "must be after baseline.from")
            elif start and end:
                baseline = Period(start, end)
    floor = (raw.get("improvement") or {}).get("floor") if isinstance(raw.get("improvement"), dict) else None
    if floor is not None and (isinstance(floor, bool) or not isinstance(floor, int) or floor < 1):
        errors.add("improvement.floor", "must be a whole number of points, at least 1")
    if errors.errors:
        raise invalid(errors, "invalid fairness options")
    since = min(baseline.start, previous.start)
    until = max(baseline.end, previous.end) + timedelta(hours=contest.grace_hours)
    events = await arena.event_log.read_events(since, until)
    directory = (await arena.registry.current()).directory
    members = participants(contest, directory)
    out = dict(raw)
    info: dict[str, Any] = {}
    if improvement:
        boards = await crunch(
            replay,
            replace(contest, starts_at=baseline.start, ends_at=baseline.end),
            events,
            directory,
            contributions=False,
        )
        scale = length / (baseline.end - baseline.start)
        targets, lowest = improvement_targets(boards.points, members, scale=scale, floor=floor)
        out.pop("baseline", None)
        out.update(
            scoring="percent_of_target",
            targets=targets,
            default_target=lowest,
            improvement={
                "baseline_from": baseline.start.isoformat(),
                "baseline_to": baseline.end.isoformat(),
                "scale": round(scale, 6),
                "floor": floor,  # the manager's, if any
                "lowest_target": lowest,
            },
        )
        info["baseline"] = {**baseline.as_dict(), "points": {rep: boards.points.get(rep, 0) for rep in members}}
    if rules is not None and not raw.get("divisions"):
        boards = await crunch(
            replay,
            replace(contest, starts_at=previous.start, ends_at=previous.end),
            events,
            directory,
            contributions=False,
        )
        standings = [(row.id, row.score) for row in boards.reps]
        out["divisions"] = initial_leagues(members, standings, rules)
        info["leagues"] = {**previous.as_dict(), "standings": dict(standings), "divisions": out["divisions"]}
    parse_definition(arena, out, prefix)  # what comes out must be a valid live definition
    return out, info


async def next_period_definition(
    arena: Arena, previous: Contest, definition: dict[str, Any], standings: list[dict[str, Any]]
) -> dict[str, Any]:
    """For ``Scheduler.create_next``: the next recurring contest's fairness options, from the previous one.

    ``definition`` is the next period's definition as built from the previous one (new id and window);
    ``standings`` the previous contest's result rows (``{"id", "score"}``). Leagues move by promotion and
    relegation (``game.fairness.next_leagues``); improvement targets are measured again, against the
    previous contest's own period. Other definitions come back unchanged.
    """
    out = dict(definition)
    rules = leagues_rules_of(previous.definition)
    if rules is not None:
        directory = (await arena.registry.current()).directory
        out["divisions"] = next_leagues(
            {name: sorted(members) for name, members in previous.divisions.items()},
            standings,
            rules,
            participants(previous, directory),
        )
    if isinstance(previous.definition.get("improvement"), dict):
        floor = previous.definition["improvement"].get("floor")
        renewed = {k: v for k, v in out.items() if k not in ("targets", "default_target", "improvement")}
        renewed.update(
            scoring=IMPROVEMENT,
            baseline={"from": previous.starts_at.isoformat(), "to": previous.ends_at.isoformat()},
        )
        if floor:
            renewed["improvement"] = {"floor": floor}
        out, _ = await prepare_definition(arena, renewed)
    return out
