"""Each rep's own standing on a contest board, for the phones: found in one pass over the rows a tick read.

A phone shows its rep's rank, score and the gap to the next rank (``me:<contest>`` frames). The hub reads
the board once per tick; ``standings_of`` walks those rows once for every rep a phone follows (not once
per phone), and the reps below the rows read come from one batched read (``boards.read_standings``). A
``Standing`` is also the key a phone's frame is composed by: the same standing, the same frame.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from server.services.diffs import Row


@dataclass(frozen=True, slots=True)
class Standing:
    """A rep's place: ``rank`` None when the rep has no score on the board (yet)."""

    rank: int | None
    score: int
    gap_to_next: int | None  # points to the nearest higher score; None at the top
    provisional: int | None = None  # points not yet confirmed, in contests that confirm deals


UNRANKED = Standing(None, 0, None)


def standings_of(rows: list[Row], reps: Collection[str]) -> dict[str, Standing]:
    """The standings of ``reps`` that appear in ``rows`` (a board, best first), in one pass over the rows."""
    found: dict[str, Standing] = {}
    wanted = len(reps)
    higher: int | None = None  # the nearest score above the current row's
    previous: int | None = None
    for row in rows:
        score = row["score"]
        if previous is not None and score != previous:
            higher = previous
        previous = score
        rep_id = row["id"]
        if rep_id in reps:
            gap = higher - score if higher is not None else None
            found[rep_id] = Standing(row["rank"], score, gap, row.get("provisional"))
            if len(found) == wanted:
                break
    return found
