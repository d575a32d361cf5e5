"""The phones on a ``me:<contest>`` board: one pass per tick for all of them, a frame only for those whose
view changed.

Each tick the hub reads the whole contest board once (as a ``Ranking``: ids and scores, no rows).
``Phones.read`` finds the standing of every rep a phone follows in one walk over it
(``services/standings.py``) and asks the board reader once, in one batched read, for the reps below the
rows read. A phone's view is its rep's standing, the board's epoch and size, and the rep's own latest
wins: a phone whose view is the one it was last sent gets nothing; the others get a frame composed once
per rep and encoding (a rep on two phones shares it). Composing yields to the loop every ``SLICE``
phones, so thousands of phones never stall the other screens of the process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from server.live.board_reader import BoardReader
from server.live.viewer import Viewer
from server.live.wire import WireFrame, encode
from server.services.boards import BoardSpec, BoardView, me_message
from server.services.diffs import Row
from server.services.registry import Snapshot
from server.services.standings import UNRANKED, Ranking, Standing, standings_of

SLICE = 256  # phones looked at between two yields to the loop (a composed frame counts as COMPOSE_COST)
COMPOSE_COST = 16  # a composed and encoded frame costs about this many unchanged phones

PhoneView = tuple[int, int, Standing, tuple[str, ...]]  # epoch, reps on the board, standing, own wins
Offer = tuple[Viewer, WireFrame]


@dataclass(eq=False)
class Phones:
    """Who follows which rep on one ``me:`` board, each rep's standing as last read, and the view each
    phone was last sent."""

    reps: dict[Viewer, str] = field(default_factory=dict)
    standings: dict[str, Standing] = field(default_factory=dict)
    sent: dict[Viewer, PhoneView] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.reps)

    def add(self, viewer: Viewer, rep: str) -> None:
        self.reps[viewer] = rep
        self.sent.pop(viewer, None)

    def remove(self, viewer: Viewer) -> None:
        self.reps.pop(viewer, None)
        self.sent.pop(viewer, None)

    async def read(self, reader: BoardReader, spec: BoardSpec, view: BoardView, snapshot: Snapshot) -> None:
        """Every followed rep's standing in the board just read: one pass over its rows, and one batched
        read for the reps below them."""
        self.standings = await standings(reader, spec, view, snapshot, set(self.reps.values()))

    async def greeting(
        self, reader: BoardReader, viewer: Viewer, spec: BoardSpec, view: BoardView, snapshot: Snapshot
    ) -> WireFrame:
        """The frame a phone gets when it subscribes, whatever it was sent before."""
        rep = self.reps[viewer]
        if rep not in self.standings:  # it came after the last read
            found = view.ranking.standing(rep) if view.ranking is not None else None
            if found is None:  # below the rows read, or not on the board
                found = (await standings(reader, spec, view, snapshot, {rep}))[rep]
            self.standings[rep] = found
        latest = own_wins(view)
        self.sent[viewer] = self._view(view, rep, latest)
        return encode(compose(spec, view, rep, self.standings[rep], snapshot), viewer.binary)

    async def changed(self, spec: BoardSpec, view: BoardView, snapshot: Snapshot, *, every: bool) -> list[Offer]:
        """A frame for each phone whose view changed since it was last sent one (``every``: for all of them,
        after names or targets changed), composed once per rep and encoding, yielding to the loop in slices."""
        latest = own_wins(view)
        offers: list[Offer] = []
        composed: dict[tuple[str, bool], WireFrame] = {}
        work = 0
        for viewer, rep in list(self.reps.items()):
            work += 1
            if work >= SLICE:
                work = 0
                await asyncio.sleep(0)
            if self.reps.get(viewer) != rep or rep not in self.standings:
                continue  # left meanwhile, or came after the read (its greeting was its frame)
            seen = self._view(view, rep, latest)
            if not every and self.sent.get(viewer) == seen:
                continue
            self.sent[viewer] = seen
            frame = composed.get((rep, viewer.binary))
            if frame is None:
                work += COMPOSE_COST
                message = compose(spec, view, rep, self.standings[rep], snapshot)
                frame = composed[rep, viewer.binary] = encode(message, viewer.binary)
            offers.append((viewer, frame))
        return offers

    def _view(self, view: BoardView, rep: str, latest: dict[str, tuple[str, ...]]) -> PhoneView:
        return (view.epoch, view.total, self.standings.get(rep, UNRANKED), latest.get(rep, ()))


async def standings(
    reader: BoardReader, spec: BoardSpec, view: BoardView, snapshot: Snapshot, reps: set[str]
) -> dict[str, Standing]:
    ranking = view.ranking or Ranking([], [])
    found = standings_of(ranking, reps)
    below = [rep for rep in reps if rep not in found]
    contest = snapshot.contests.get(spec.contest_id)
    if below and contest is not None and len(ranking.ids) < view.total:
        found.update(await reader.standings(contest, view.epoch, spec.which, below))
    return {rep: found.get(rep, UNRANKED) for rep in reps}


def recent_of(view: BoardView) -> list[Row]:
    recent: list[Row] = view.extra.get("recent", [])
    return recent


def own_wins(view: BoardView) -> dict[str, tuple[str, ...]]:
    """Each rep's wins among the contest's latest (ids, newest first): a new one changes the rep's view."""
    wins: dict[str, tuple[str, ...]] = {}
    for row in recent_of(view):
        rep = row.get("rep")
        if rep is not None:
            wins[rep] = (*wins.get(rep, ()), row["id"])
    return wins


def compose(spec: BoardSpec, view: BoardView, rep: str, standing: Standing, snapshot: Snapshot) -> dict[str, Any]:
    contest = snapshot.contests[spec.contest_id]
    return me_message(spec, view, rep, standing, contest, datetime.now(UTC), recent_of(view))
