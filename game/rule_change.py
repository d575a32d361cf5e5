"""Who moves when a contest's rules change: the board replayed under the rules in force and under the draft,
compared rep by rep — pure, so a manager sees rank and points before → after before confirming."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from game.ranking import Ranked


@dataclass(frozen=True)
class Move:
    """One rep's place on the board under the rules in force (``before``) and under the draft (``after``);
    None where the rep is not on that board."""

    rep: str
    rank_before: int | None
    rank_after: int | None
    points_before: int | None
    points_after: int | None

    @property
    def climbed(self) -> int:
        """Places gained (negative: lost; 0 when the rep is missing from a board)."""
        if self.rank_before is None or self.rank_after is None:
            return 0
        return self.rank_before - self.rank_after


def who_moves(before: Sequence[Ranked], after: Sequence[Ranked]) -> list[Move]:
    """Every rep whose rank or points differ between the two boards, in their order on the new board (those
    who leave it last)."""
    old = {row.id: row for row in before}
    new = {row.id: row for row in after}
    moves = []
    for rep in [*new, *(rep for rep in old if rep not in new)]:
        was, now = old.get(rep), new.get(rep)
        if was is not None and now is not None and (was.rank, was.score) == (now.rank, now.score):
            continue
        moves.append(
            Move(
                rep,
                was.rank if was else None,
                now.rank if now else None,
                was.score if was else None,
                now.score if now else None,
            )
        )
    return moves
