"""Comeback: a rep who was in the bottom half of a contest's board and is now in the top three.

Judged on the board as the scheduler reads it; the low-water marks (who was ever in the bottom half)
are kept per contest epoch. A comeback earned stays earned for that contest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from game.ranking import Ranked

MIN_REPS = 6  # below this, "the bottom half" is two people and a comeback means little
TOP = 3


def bottom_half(board: Sequence[Ranked]) -> list[str]:
    """Reps in the bottom half right now (to mark)."""
    if len(board) < MIN_REPS:
        return []
    return [row.id for row in board if row.rank > len(board) / 2]


def came_back(board: Sequence[Ranked], marked: Iterable[str]) -> list[str]:
    """Reps in the top three with points who were once marked in the bottom half."""
    if len(board) < MIN_REPS:
        return []
    low = set(marked)
    return [row.id for row in board if row.rank <= TOP and row.score > 0 and row.id in low]
