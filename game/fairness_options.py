"""Fair play built in — what a contest can choose, as pure functions: scoring each rep against their own
baseline ("improvement", stored as per-rep targets so the live percent-of-target machinery ranks by % of own
baseline), and leagues of similar past performance with promotion and relegation between periods (stored as
divisions). What is measured before launching is ``game.fairness``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from game.errors import Collector
from game.ranking import MAX_SCORE

# --- improvement scoring --------------------------------------------------------------------------------

IMPROVEMENT = "improvement"
MIN_TARGET_QUANTILE = 0.25


def improvement_targets(
    baseline_points: Mapping[str, int], reps: Iterable[str], *, scale: float = 1.0, floor: int | None = None
) -> tuple[dict[str, int], int]:
    """Per-rep targets = each rep's own baseline points (scaled to the contest's length), never below a
    floor: the given one, or the lower quartile of the positive baselines (at least 1) — so a rep who
    scored nothing before does not rank by "infinite" improvement. Returns the targets and the floor
    (the contest's ``default_target`` for reps who join later)."""
    members = sorted(set(reps))
    scaled = {
        rep: int((Decimal(baseline_points.get(rep, 0)) * Decimal(repr(scale))).to_integral_value(ROUND_HALF_UP))
        for rep in members
    }
    if floor is None:
        positive = sorted(v for v in scaled.values() if v > 0)
        floor = positive[int(MIN_TARGET_QUANTILE * (len(positive) - 1))] if positive else 1
    floor = max(1, min(floor, MAX_SCORE))
    return {rep: min(MAX_SCORE, max(floor, points)) for rep, points in scaled.items()}, floor


# --- leagues --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeagueRules:
    """``{"size": 8, "promote": 2, "relegate": 2}``: leagues of about ``size`` reps; each period the best
    ``promote`` of a league (with points) move up one league and the last ``relegate`` move down one."""

    size: int
    promote: int
    relegate: int
    prefix: str = "league"

    def name(self, number: int) -> str:
        return f"{self.prefix}-{number}"


def parse_leagues(raw: Any, errors: Collector, name: str = "leagues") -> LeagueRules | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add(name, 'must be an object such as {"size": 8, "promote": 2, "relegate": 2}')
        return None
    values: dict[str, int] = {}
    for key, low, high, default in (("size", 2, 500, None), ("promote", 0, 100, 2), ("relegate", 0, 100, 2)):
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.add(f"{name}.{key}", f"must be a whole number from {low} to {high}")
            return None
        values[key] = value
    if values["promote"] + values["relegate"] >= values["size"]:
        errors.add(name, "promote + relegate must be smaller than size")
        return None
    prefix = raw.get("prefix", "league")
    if not isinstance(prefix, str) or not prefix.replace("-", "").replace("_", "").isalnum() or len(prefix) > 24:
        errors.add(f"{name}.prefix", "must be up to 24 letters, digits, _ or -")
        return None
    return LeagueRules(values["size"], values["promote"], values["relegate"], prefix)


def _order(members: Iterable[str], scores: Mapping[str, int]) -> list[str]:
    """Best first: by score, reps without a score last; the id keeps it deterministic."""
    return sorted(members, key=lambda rep: (-scores.get(rep, -1), rep))


def _chunks(ordered: Sequence[str], rules: LeagueRules) -> list[list[str]]:
    leagues = [list(ordered[i : i + rules.size]) for i in range(0, len(ordered), rules.size)]
    if len(leagues) > 1 and len(leagues[-1]) < (rules.size + 1) // 2:
        leagues[-2].extend(leagues.pop())  # no tiny bottom league
    return leagues


def initial_leagues(
    reps: Iterable[str], standings: Iterable[tuple[str, int]], rules: LeagueRules
) -> dict[str, list[str]]:
    """Leagues from one period's results: the best ``size`` reps form league 1, the next ones league 2…"""
    scores = dict(standings)
    leagues = _chunks(_order(set(reps), scores), rules)
    return {rules.name(number): sorted(members) for number, members in enumerate(leagues, start=1)}


def next_leagues(
    previous: Mapping[str, Iterable[str]],
    standings: Iterable[tuple[str, int]] | Iterable[Mapping[str, Any]],
    rules: LeagueRules,
    reps: Iterable[str] | None = None,
) -> dict[str, list[str]]:
    """Next period's leagues from this period's: promotion and relegation by each league's final standing.

    ``previous`` lists the leagues top first (JSON objects keep their order); ``standings`` are (rep, score)
    pairs or result rows ``{"id", "score"}``. With ``reps`` (the next period's participants) reps who left
    are dropped and new reps join the bottom league; a bottom league grown past 1.5 × size is split.
    Only reps with points are promoted.
    """
    scores: dict[str, int] = {}
    for row in standings:
        if isinstance(row, Mapping):
            scores[str(row["id"])] = int(row["score"])
        else:
            rep, score = row
            scores[rep] = int(score)
    names = list(previous)
    ordered = [_order(previous[name], scores) for name in names]
    moved: list[list[str]] = [[] for _ in names]
    for index, members in enumerate(ordered):
        up = [rep for rep in members[: rules.promote] if scores.get(rep, 0) > 0] if index > 0 else []
        rest = [rep for rep in members if rep not in up]
        down = rest[len(rest) - rules.relegate :] if index < len(names) - 1 and rules.relegate else []
        stay = [rep for rep in rest if rep not in down]
        moved[index].extend(stay)
        if up:
            moved[index - 1].extend(up)
        if down:
            moved[index + 1].extend(down)
    if reps is not None:
        keep = set(reps)
        placed = {rep for members in moved for rep in members}
        moved = [[rep for rep in members if rep in keep] for members in moved]
        newcomers = sorted(keep - placed)
        if moved:
            moved[-1].extend(newcomers)
        elif newcomers:
            moved = [newcomers]
    leagues = [members for members in moved if members]
    if leagues and len(leagues[-1]) > rules.size + rules.size // 2:
        bottom = _order(leagues.pop(), scores)
        leagues.extend(_chunks(bottom, rules))
    return {_league_name(names, index, rules): sorted(members) for index, members in enumerate(leagues)}


def _league_name(previous_names: Sequence[str], index: int, rules: LeagueRules) -> str:
    """Keep the previous names where they exist (a manager may have named them); number the new ones."""
    if index < len(previous_names):
        return previous_names[index]
    return rules.name(index + 1)


def leagues_rules_of(definition: Mapping[str, Any]) -> LeagueRules | None:
    """The league rules stored in a definition (already validated when it was prepared)."""
    errors = Collector()
    rules = parse_leagues(definition.get("leagues"), errors)
    return rules if not errors.errors else None
