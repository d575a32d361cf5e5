"""A rep's own standing on a contest board, for the phones (``me:<contest>`` frames).

A phone shows its rep's rank, score and the gap to the next rank. The hub holds each watched board in
memory as reps and scores (``server/live/ranking.py``, loaded from a ``Ranking``: ids and scores as Redis
returns them, no row built per rep) and ranks the reps held there; reps below the reps held come from one
batched read (``boards.read_standings``). A ``Standing`` is also the key a phone's frame is composed by:
the same standing, the same frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class Standing(NamedTuple):
    """A rep's place: ``rank`` None when the rep has no score on the board (yet). (A tuple: thousands are
    made and compared per tick.)"""

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
