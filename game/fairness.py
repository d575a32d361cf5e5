"""Fair play, measured and built in — pure functions over replayed boards.

Measures (what a manager sees before launching): how spread out the points are (Gini coefficient, how far
the median rep is from the top), who has a real chance at a prize and what the prizes would cost.

Options (what a contest can choose): scoring each rep against their own baseline ("improvement", stored as
per-rep targets so the live percent-of-target machinery ranks by % of own baseline), and leagues of similar
past performance with promotion and relegation between periods (stored as divisions).
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from operator import mul
from typing import Any

from game.contests import Contest, Prize
from game.directory import Directory
from game.errors import Collector
from game.events import parse_amount
from game.ranking import MAX_SCORE, Ranked, competition_ranks
from game.scoring import team_target
from game.simulation import Boards, shown

PRIZE_SAMPLES = 200  # resampled periods behind each prize chance
MIN_PRIZE_CHANCE = 0.05  # a rep who wins a prize in at least 5 % of resampled periods "has a chance"

# --- spread ---------------------------------------------------------------------------------------------


def gini(values: Sequence[int | float]) -> float:
    """Gini coefficient of non-negative values (0: all equal; → 1: one rep has everything); 0 when all are 0.

    ``G = Σᵢ (2i − n − 1)·xᵢ / (n·Σx)`` over the values sorted ascending, i from 1.
    """
    ordered = sorted(max(0, v) for v in values)
    n, total = len(ordered), sum(ordered)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((2 * i - n - 1) * x for i, x in enumerate(ordered, start=1))
    return round(weighted / (n * total), 4)


def spread(scores: Sequence[int]) -> dict[str, Any]:
    """How spread out the final scores are: Gini, top, median and the median rep's gap to the top."""
    if not scores:
        return {
            "participants": 0,
            "gini": 0.0,
            "top": 0,
            "median": 0,
            "median_gap": 0,
            "median_share_of_top": None,
            "zeros": 0,
        }
    top = max(scores)
    median = statistics.median(scores)
    return {
        "participants": len(scores),
        "gini": gini(scores),
        "top": top,
        "median": median,
        "median_gap": top - median,
        "median_share_of_top": round(median / top, 4) if top > 0 else None,
        "zeros": sum(1 for s in scores if s == 0),
    }


# --- prizes ---------------------------------------------------------------------------------------------


def prize_values(definition: Mapping[str, Any], errors: Collector) -> list[Decimal | None]:
    """The optional money ``value`` of each prize (``{"rank": 1, "prize": "¥2,000 bonus", "value": 2000}``),
    index-aligned with ``Contest.prizes``; the prize text stays what people read."""
    raw = definition.get("prizes")
    if not isinstance(raw, list):
        return []
    values: list[Decimal | None] = []
    for index, item in enumerate(raw):
        value = item.get("value") if isinstance(item, dict) else None
        if value is None:
            values.append(None)
            continue
        amount = parse_amount(value, errors, f"prizes[{index}].value")
        if amount is not None and amount < 0:
            errors.add(f"prizes[{index}].value", "must not be negative")
            amount = None
        values.append(amount)
    return values


def prize_winners(prize: Prize, rows: Sequence[Ranked]) -> list[Ranked]:
    return [row for row in rows if prize.wins(row.rank, row.score)]


def prize_cost(contest: Contest, boards: Boards, values: Sequence[Decimal | None]) -> dict[str, Any]:
    """What the prizes cost on the predicted final boards (tied ranks each win), and which have no value."""
    total = Decimal(0)
    lines: list[dict[str, Any]] = []
    for prize, value in zip(contest.prizes, values, strict=False):
        winners = prize_winners(prize, boards.reps if prize.board == "reps" else boards.teams)
        cost = value * len(winners) if value is not None else None
        if cost is not None:
            total += cost
        lines.append(
            {
                "prize": prize.prize,
                "board": prize.board,
                "value": value,
                "winners": [w.id for w in winners],
                "cost": cost,
            }
        )
    unpriced = [line["prize"] for line in lines if line["value"] is None]
    return {"currency": contest.currency, "total": total, "prizes": lines, "unpriced": unpriced}


def _vectors(boards: Boards) -> tuple[dict[str, list[int]], dict[str, dict[str, list[int]]]]:
    """Standing points per rep and per (team, member), as one number per contest day."""
    position = {day: index for index, day in enumerate(boards.days)}
    width = len(boards.days)
    reps: dict[str, list[int]] = {}
    teams: dict[str, dict[str, list[int]]] = {}
    for (team, rep), days in boards.contributions.items():
        rep_vector = reps.setdefault(rep, [0] * width)
        team_vector = teams.setdefault(team, {}).setdefault(rep, [0] * width) if team else None
        for day, points in days.items():
            index = position.get(day)
            if index is None:
                continue
            rep_vector[index] += points
            if team_vector is not None:
                team_vector[index] += points
    return reps, teams


def prize_chances(
    contest: Contest,
    boards: Boards,
    values: Sequence[Decimal | None],
    directory: Directory,
    *,
    samples: int = PRIZE_SAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """How likely each rep is to win a prize, and what prizes cost on average, if the period went a bit
    differently: the contest's days are drawn with replacement ``samples`` times (a day keeps everything
    that happened on it), the boards recomputed from the points that stand, the prizes handed out.

    Ties in a resampled board share the rank (no time tie-break), so both win a prize at the edge.
    """
    reps_vectors, team_vectors = _vectors(boards)
    participants = [row.id for row in boards.reps]
    rep_prizes = [(p, v) for p, v in zip(contest.prizes, values, strict=False) if p.board == "reps"]
    team_prizes = [(p, v) for p, v in zip(contest.prizes, values, strict=False) if p.board == "teams"]
    width = len(boards.days)
    wins = dict.fromkeys(participants, 0)
    costs: list[Decimal] = []
    if width == 0 or not contest.prizes or samples <= 0:
        return {"samples": 0, "chances": {}, "share_with_chance": None, "expected_cost": None, "p90_cost": None}
    rng = random.Random(seed)
    percent = contest.scoring == "percent_of_target"
    targets = {rep: (contest.target_for(rep) or 0) if percent else 0 for rep in participants}
    zero = [0] * width
    mode, best_n = contest.team_score.mode, contest.team_score.best_n
    sizes = {row.id: max(directory.team_size(row.id), 1) for row in boards.teams} if team_prizes else {}
    team_targets = {row.id: team_target(contest, directory, row.id) if percent else 0 for row in boards.teams}
    for _ in range(samples):
        counts = [0] * width
        for _day in range(width):
            counts[rng.randrange(width)] += 1
        totals = {rep: sum(map(mul, reps_vectors.get(rep, zero), counts)) for rep in participants}
        ranked = competition_ranks(
            sorted(((rep, shown(totals[rep], targets[rep])) for rep in participants), key=lambda r: -r[1])
        )
        cost = Decimal(0)
        winners: set[str] = set()
        for prize, value in rep_prizes:
            won = prize_winners(prize, ranked)
            winners.update(row.id for row in won)
            if value is not None:
                cost += value * len(won)
        if team_prizes:
            team_scores = []
            for team_row in boards.teams:
                members = [sum(map(mul, v, counts)) for v in team_vectors.get(team_row.id, {}).values()]
                if mode == "best":
                    score = sum(sorted(members, reverse=True)[:best_n])
                elif mode == "average":
                    score = math.floor(sum(members) / sizes[team_row.id])
                else:
                    score = sum(members)
                team_scores.append((team_row.id, shown(score, team_targets[team_row.id])))
            team_ranked = competition_ranks(sorted(team_scores, key=lambda r: -r[1]))
            for prize, value in team_prizes:
                if value is not None:
                    cost += value * len(prize_winners(prize, team_ranked))
        for rep in winners:
            wins[rep] += 1
        costs.append(cost)
    chances = {rep: round(count / samples, 3) for rep, count in wins.items()}
    with_chance = sum(1 for chance in chances.values() if chance >= MIN_PRIZE_CHANCE)
    ordered = sorted(costs)
    return {
        "samples": samples,
        "chances": chances,
        "share_with_chance": round(with_chance / len(participants), 4) if participants and rep_prizes else None,
        "expected_cost": (sum(costs, Decimal(0)) / len(costs)).quantize(Decimal("0.01")) if costs else None,
        "p90_cost": ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)] if ordered else None,
    }


# --- the simulation's report ---------------------------------------------------------------------------


def summarize(
    contest: Contest,
    boards: Boards,
    values: Sequence[Decimal | None],
    directory: Directory,
    *,
    samples: int = PRIZE_SAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """Everything a manager reads about a simulated contest, JSON-ready (money as ``Decimal``)."""
    cost = prize_cost(contest, boards, values)
    chances = prize_chances(contest, boards, values, directory, samples=samples, seed=seed)
    prizes_of: dict[str, list[str]] = {}
    for line in cost["prizes"]:
        for winner in line["winners"]:
            prizes_of.setdefault(winner, []).append(line["prize"])

    def rep_row(row: Ranked) -> dict[str, Any]:
        rep = directory.reps.get(row.id)
        out: dict[str, Any] = {
            "rank": row.rank,
            "id": row.id,
            "name": rep.name if rep else row.id,
            "team": rep.team if rep else None,
            "score": row.score,
            "points": boards.points.get(row.id, 0),
            "prizes": prizes_of.get(row.id, []),
        }
        if chances["samples"]:
            out["prize_chance"] = chances["chances"].get(row.id, 0.0)
        return out

    def team_row(row: Ranked) -> dict[str, Any]:
        team = directory.teams.get(row.id)
        name = team.name if team else row.id
        return {"rank": row.rank, "id": row.id, "name": name, "score": row.score, "prizes": prizes_of.get(row.id, [])}

    scores = [row.score for row in boards.reps]
    return {
        "contest": {
            "id": contest.id,
            "name": contest.name,
            "kind": contest.kind,
            "starts_at": contest.starts_at.isoformat(),
            "ends_at": contest.ends_at.isoformat(),
            "scoring": contest.scoring,
            "team_score": str(contest.team_score),
        },
        "standings": [rep_row(row) for row in boards.reps],
        "teams": [team_row(row) for row in boards.teams],
        "divisions": {
            name: [{"rank": r.rank, "id": r.id, "name": rep_row(r)["name"], "score": r.score} for r in rows]
            for name, rows in boards.divisions.items()
        },
        "gini": gini(scores),
        "spread": spread(scores),
        "prize_chance": {
            "samples": chances["samples"],
            "min_chance": MIN_PRIZE_CHANCE,
            "share_with_chance": chances["share_with_chance"],
        },
        "prize_cost": {
            **cost,
            "expected": chances["expected_cost"],
            "p90": chances["p90_cost"],
        },
        "lead_changes": boards.lead_changes,
        "leaders": list(boards.leaders),
        "events": {"replayed": boards.events, "applied": boards.changes, "refused": boards.refused},
    }


def compare(summaries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Drafts side by side: every rep's rank and score under each, and how many reps each draft moves
    against the first one."""
    order: list[str] = []
    names: dict[str, str] = {}
    ranks: list[dict[str, int]] = []
    scores: list[dict[str, int]] = []
    for summary in summaries:
        ranks.append({row["id"]: row["rank"] for row in summary["standings"]})
        scores.append({row["id"]: row["score"] for row in summary["standings"]})
        for row in summary["standings"]:
            if row["id"] not in names:
                names[row["id"]] = row["name"]
                order.append(row["id"])
    rows = [
        {"id": rep, "name": names[rep], "ranks": [r.get(rep) for r in ranks], "scores": [s.get(rep) for s in scores]}
        for rep in order
    ]
    return {
        "rows": rows,
        "moved": [sum(1 for row in rows if row["ranks"][i] != row["ranks"][0]) for i in range(len(summaries))],
        "champions": [
            s["standings"][0]["id"] if s["standings"] and s["standings"][0]["score"] > 0 else None for s in summaries
        ],
        "gini": [s["gini"] for s in summaries],
        "prize_cost": [s["prize_cost"]["total"] for s in summaries],
        "lead_changes": [s["lead_changes"] for s in summaries],
    }


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
