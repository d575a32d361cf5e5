"""Each rep's own standing on a contest board, for the phones: found in one pass over the rows a tick read.

A phone shows its rep's rank, score and the gap to the next rank (``me:<contest>`` frames). The hub reads
the whole board (up to 10,000 reps) once per tick as a ``Ranking``; ``standings_of`` walks it once for
every rep a phone follows (not once per phone), and the reps below the rows read come from one batched
read (``boards.read_standings``). A
``Standing`` is also the key a phone's frame is composed by: the same standing, the same frame.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Standing:
    """A rep's place: ``rank`` None when the rep has no score on the board (yet)."""

    rank: int | None
    score: int
    gap_to_next: int | None  # points to the nearest higher score; None at the top
    provisional: int | None = None  # points not yet confirmed, in contests that confirm deals


UNRANKED = Standing(None, 0, None)


@dataclass(slots=True)
class Ranking:
    """A whole board as two lists, best first, as Redis returns it: cheap to read for 10,000 reps (no row
    dicts, no names), and all a phone's standing needs."""

    ids: list[str]
    scores: list[int]
    provisional: dict[str, int] | None = None  # in contests that confirm deals: each rep's unconfirmed points
    _positions: dict[str, int] | None = field(default=None, repr=False, compare=False)

    def standing(self, rep_id: str) -> Standing | None:
        """One rep's standing, for a phone that just subscribed (the index is built once per read, so a
        thousand phones subscribing at once do not walk the board a thousand times); None if not on it."""
        if self._positions is None:
            self._positions = {rep: position for position, rep in enumerate(self.ids)}
        position = self._positions.get(rep_id)
        if position is None:
            return None
        scores, score = self.scores, self.scores[position]
        first = position
        while first > 0 and scores[first - 1] == score:  # back over the ties: they share the first one's rank
            first -= 1
        gap = scores[first - 1] - score if first > 0 else None
        pending = self.provisional
        return Standing(first + 1, score, gap, None if pending is None else pending.get(rep_id, 0))


def standings_of(ranking: Ranking, reps: Collection[str]) -> dict[str, Standing]:
    """The standings of ``reps`` that are on ``ranking``, in one pass over it (ranks are competition ranks)."""
    found: dict[str, Standing] = {}
    wanted = len(reps)
    pending = ranking.provisional
    higher: int | None = None  # the nearest score above the current one
    previous: int | None = None
    rank = 0
    for position, (rep_id, score) in enumerate(zip(ranking.ids, ranking.scores, strict=True)):
        if score != previous:
            higher, previous, rank = previous, score, position + 1
        if rep_id in reps:
            gap = higher - score if higher is not None else None
            found[rep_id] = Standing(rank, score, gap, None if pending is None else pending.get(rep_id, 0))
            if len(found) == wanted:
                break
    return found
