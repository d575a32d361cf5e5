"""Final results of a contest: standings, champions, race winners and who gets which prize — pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from game.contests import Contest
from game.prizes import awards
from game.ranking import Ranked


@dataclass(frozen=True)
class Contribution:
    """A ledger entry reduced to what a race needs: which deal, when, how many points."""

    deal: str
    at: int
    points: int
    note: str


def race_finish(entries: Sequence[Contribution], target: int) -> int | None:
    """When a rep first reached ``target`` counting only deals that still stand, in occurred order.

    A reversed deal contributes nothing (its apply and undo entries cancel), so a refunded deal cannot
    win a race after the fact.
    """
    net: dict[str, int] = defaultdict(int)
    when: dict[str, int] = {}
    for entry in entries:
        net[entry.deal] += entry.points
        if entry.note == "apply":
            when[entry.deal] = entry.at
    total = 0
    for deal in sorted((d for d in net if net[d] and d in when), key=lambda d: (when[d], d)):
        total += net[deal]
        if total >= target:
            return when[deal]
    return None


def final_results(
    contest: Contest,
    reps: Sequence[Ranked],
    teams: Sequence[Ranked],
    finishes: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Standings, champions and prizes (``game.prizes``: performance only, ties as each prize says). In a race
    the winner is whoever reached the target first; elsewhere the champion is the first on the board with
    points (ties already broken by who got there first)."""
    champion: str | None = None
    if contest.kind == "race" and contest.target and finishes:
        champion = min(finishes, key=lambda rep: (finishes[rep], rep))
    elif reps and reps[0].score > 0:
        champion = reps[0].id
    best_team = teams[0].id if teams and teams[0].score > 0 else None
    rep_awards, rep_empty = awards(contest.prizes, "reps", reps)
    team_awards, team_empty = awards(contest.prizes, "teams", teams)
    return {
        "contest": contest.id,
        "champion": champion,
        "best_team": best_team,
        "standings": [{"rank": r.rank, "id": r.id, "score": r.score} for r in reps],
        "teams": [{"rank": t.rank, "id": t.id, "score": t.score} for t in teams],
        "prizes": rep_awards + team_awards,
        "unawarded": rep_empty + team_empty,
        "finishes": finishes or {},
    }
