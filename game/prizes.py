"""Who wins which prize on a final board — pure.

Prizes go to performance: a rank prize needs at least ``min_score`` points (default 1), so a rep or team on 0
never wins one, and its places stay empty rather than going to everyone tied at 0. A tie at the edge of a
rank prize is settled as the prize says (``ties``):

- ``"first"`` (the default): the places go in board order, where a tie goes to whoever reached the score first
  (``game/ranking.py``); the winner's award names the reps it was tied with (``"tie": "reached_first"``).
- ``"share"``: everyone whose standard competition rank falls in the prize's range wins it
  (``"tie": "shared"``), so a prize for rank 1 may have two winners.

A threshold prize goes to everyone who reached its threshold; ties do not matter to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from game.contests import Prize
from game.ranking import Ranked

DEFAULT_MIN_SCORE = 1  # a rank prize is never won with 0 points (or fewer)


def minimum(prize: Prize) -> int:
    """The fewest points that may win ``prize``."""
    if prize.threshold is not None:
        return prize.threshold
    return max(DEFAULT_MIN_SCORE, prize.min_score or DEFAULT_MIN_SCORE)


def winners(prize: Prize, rows: Sequence[Ranked]) -> list[Ranked]:
    """The rows (best first, as on the board) that win ``prize``."""
    return [row for row, _ in _placed(prize, rows)]


def _placed(prize: Prize, rows: Sequence[Ranked]) -> list[tuple[Ranked, int]]:
    """Winning rows with their place on the board (1-based position, ties broken)."""
    floor = minimum(prize)
    if prize.threshold is not None:
        return [(row, place) for place, row in enumerate(rows, 1) if row.score >= floor]
    first, last = prize.rank_from or 0, prize.rank_to or 0
    if prize.ties == "share":
        return [(row, place) for place, row in enumerate(rows, 1) if first <= row.rank <= last and row.score >= floor]
    return [(row, place) for place, row in enumerate(rows[first - 1 : last], first) if row.score >= floor]


def award(prize: Prize, rows: Sequence[Ranked]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The awards of one prize, each saying how a tie at its score was settled, and, when places of a rank
    prize are held by rows below its minimum, what was not awarded (those places stay empty)."""
    placed = _placed(prize, rows)
    winning = {row.id for row, _ in placed}
    given = []
    for row, place in placed:
        tied = [other.id for other in rows if other.score == row.score and other.id != row.id]
        item: dict[str, Any] = {
            "id": row.id,
            "rank": row.rank,
            "place": place,
            "score": row.score,
            "prize": prize.prize,
            "board": prize.board,
            "tie": None,
            "tied_with": [],
        }
        if prize.reward_points:
            item["reward_points"] = prize.reward_points
        if prize.threshold is None and tied:
            if prize.ties == "share":
                shared = [other for other in tied if other in winning]
                if shared:
                    item.update(tie="shared", tied_with=shared)
            else:
                behind = [other for other in tied if other not in winning]
                if behind:
                    item.update(tie="reached_first", tied_with=behind)
        given.append(item)
    unawarded = None
    if prize.threshold is None:
        floor = minimum(prize)
        empty = sum(1 for row in rows[(prize.rank_from or 1) - 1 : prize.rank_to] if row.score < floor)
        if empty:
            unawarded = {
                "prize": prize.prize,
                "board": prize.board,
                "rank": [prize.rank_from, prize.rank_to],
                "places": empty,
                "min_score": floor,
            }
    return given, unawarded


Awards = list[dict[str, Any]]


def awards(prizes: Sequence[Prize], board: str, rows: Sequence[Ranked]) -> tuple[Awards, Awards]:
    """Every award of the prizes for ``board`` (``reps`` or ``teams``) and the places left empty."""
    given: list[dict[str, Any]] = []
    empty: list[dict[str, Any]] = []
    for prize in prizes:
        if prize.board != board:
            continue
        won, unawarded = award(prize, rows)
        given += won
        if unawarded is not None:
            empty.append(unawarded)
    return given, empty
