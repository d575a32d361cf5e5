"""Fair play, measured and built in — pure functions over replayed boards.

Measures (what a manager sees before launching): how spread out the points are (Gini coefficient, how far
the median rep is from the top), who has a real chance at a prize and what the prizes would cost.

What a contest can choose to be fairer by construction (improvement scoring, leagues) is
``game.fairness_options``.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Mapping, Sequence
from decimal import Decimal
from operator import mul
from typing import Any

from game.contest_replay import Boards, shown
from game.contests import Contest
from game.directory import Directory
from game.errors import Collector
from game.events import parse_amount
from game.prizes import winners
from game.ranking import Ranked, competition_ranks
from game.rosters import team_rosters
from game.scoring import team_target

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


def prize_cost(contest: Contest, boards: Boards, values: Sequence[Decimal | None]) -> dict[str, Any]:
    """What the prizes cost on the predicted final boards (won as ``game.prizes`` hands them out: a tie shares
    a prize only where the prize says so), and which have no value."""
    total = Decimal(0)
    lines: list[dict[str, Any]] = []
    for prize, value in zip(contest.prizes, values, strict=False):
        won = winners(prize, boards.reps if prize.board == "reps" else boards.teams)
        cost = value * len(won) if value is not None else None
        if cost is not None:
            total += cost
        lines.append(
            {
                "prize": prize.prize,
                "board": prize.board,
                "value": value,
                "winners": [w.id for w in won],
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

    A resampled board has no time tie-break: a tie at the edge of a prize that is not shared goes to one of
    them, which keeps the cost right but makes each one's chance approximate.
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
    on_roster = team_rosters(contest, directory)
    rosters = {
        row.id: on_roster[row.id].members if row.id in on_roster else tuple(team_vectors.get(row.id, {}))
        for row in boards.teams
    }
    for _ in range(samples):
        counts = [0] * width
        for _day in range(width):
            counts[rng.randrange(width)] += 1
        totals = {rep: sum(map(mul, reps_vectors.get(rep, zero), counts)) for rep in participants}
        ranked = competition_ranks(
            sorted(((rep, shown(totals[rep], targets[rep])) for rep in participants), key=lambda r: -r[1])
        )
        cost = Decimal(0)
        prized: set[str] = set()
        for prize, value in rep_prizes:
            won = winners(prize, ranked)
            prized.update(row.id for row in won)
            if value is not None:
                cost += value * len(won)
        if team_prizes:
            team_scores = []
            for team_row in boards.teams:
                vectors = team_vectors.get(team_row.id, {})
                members = [sum(map(mul, v, counts)) for v in vectors.values()]
                if mode == "best":  # from the roster only, as the board picks (game/rosters.py)
                    eligible = [sum(map(mul, vectors.get(rep, zero), counts)) for rep in rosters[team_row.id]]
                    score = sum(sorted(eligible, reverse=True)[:best_n])
                elif mode == "average":
                    score = math.floor(sum(members) / sizes[team_row.id])
                else:
                    score = sum(members)
                team_scores.append((team_row.id, shown(score, team_targets[team_row.id])))
            team_ranked = competition_ranks(sorted(team_scores, key=lambda r: -r[1]))
            for prize, value in team_prizes:
                if value is not None:
                    cost += value * len(winners(prize, team_ranked))
        for rep in prized:
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
