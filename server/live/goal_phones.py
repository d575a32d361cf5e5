"""The phones on the ``goals`` board: each rep's own goals of the month, quarter and year under way, with pace,
sent when the phone subscribes and again whenever a figure changed.

What moves a goal is an event in the log, and every event that gives or takes back XP rings the XP doorbell
(a won deal always does): the hub marks this board dirty on it, and one read per tick answers the goals of every
rep followed in the process at once, from the month sums kept as the log grows (``server/services/
period_totals.py``: the read costs the events logged since, not the period). Only the phones whose rep's figures
differ from what they were last sent get a frame, composed once per rep and encoding.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Coroutine
from dataclasses import dataclass, field
from typing import Any

from server.live.board_reader import BoardReader
from server.live.followers import Followers
from server.live.phones import Phones
from server.live.viewer import Viewer
from server.live.wire import WireFrame, encode
from server.services.boards import BoardSpec, BoardView
from server.services.registry import Snapshot

Goals = list[dict[str, Any]]  # a rep's goals as the API lists them, each with its pace
GoalsOf = Callable[[Collection[str]], Coroutine[Any, Any, dict[str, Goals]]]  # reps -> their goals now
Offer = tuple[Viewer, WireFrame]
BOARD = "goals"
READ_WAIT = 0.05  # seconds a tick waits for the goals read before leaving it to finish on its own
PERSONAL = ("me", BOARD)  # boards on which every phone sees its own rep's view


def goals_message(rep: str, goals: Goals) -> dict[str, Any]:
    """The ``goals`` message: a rep's goals under way with their pace, as of now."""
    shown = [{key: goal.get(key) for key in ("id", "name", "metric", "period", "target", "pace")} for goal in goals]
    return {"op": "goals", "board": BOARD, "rep": rep, "goals": shown}


async def _none(reps: Collection[str]) -> dict[str, Goals]:
    return {}


def _nothing() -> None:
    return None


@dataclass(eq=False)
class GoalPhones(Followers[Goals]):
    """Who follows which rep on the ``goals`` board, each rep's figures as last read and what each phone was
    last sent. (The same shape as ``Phones`` of the ``me`` boards, so the hub drives both alike.)"""

    goals_of: GoalsOf = _none
    wake: Callable[[], None] = _nothing  # marks the board dirty: a read that outlasted its tick has finished
    figures: dict[str, Goals] = field(default_factory=dict)
    stale: bool = False  # unused: every read is a whole read
    seq: int = 0
    _reading: asyncio.Task[dict[str, Goals]] | None = None
    _waking: bool = False  # the read under way wakes the board when it ends

    def unfollowed(self, rep: str) -> None:
        self.figures.pop(rep, None)

    def hear(self, bell: dict[str, Any] | None) -> None:
        """Contest doorbells are not this board's: the XP doorbell marks it dirty, and each read is whole."""

    async def refresh(self, reader: BoardReader, spec: BoardSpec, snapshot: Snapshot) -> BoardView:
        """Every followed rep's goals read again, one read for all of them. A read that takes longer than
        ``READ_WAIT`` (the sums' first build after a start) goes on by itself and wakes the board when done,
        so the other boards of the tick do not wait for it."""
        reading = self._reading
        if reading is None:
            reading = self._reading = asyncio.create_task(self.goals_of(list(self.followers)))
        done, _ = await asyncio.wait({reading}, timeout=READ_WAIT)
        if not done:
            if not self._waking:
                self._waking = True
                reading.add_done_callback(lambda _: self.wake())
            return BoardView(0, self.seq, [])
        self._reading, self._waking = None, False
        self.figures = reading.result()
        self.seq += 1
        return BoardView(0, self.seq, [])

    async def greeting(
        self, reader: BoardReader, viewer: Viewer, spec: BoardSpec, view: BoardView, snapshot: Snapshot
    ) -> WireFrame:
        """The frame a phone gets when it subscribes: its rep's goals now."""
        rep = self.reps[viewer]
        if rep not in self.figures:
            self.figures.update(await self.goals_of([rep]))
        goals = self.figures.get(rep, [])
        self.sent[viewer] = goals
        return encode(goals_message(rep, goals), viewer.binary)

    async def changed(self, spec: BoardSpec, view: BoardView, snapshot: Snapshot, *, every: bool) -> list[Offer]:
        """A frame for each phone whose rep's figures changed since it was last sent (``every``: for all)."""
        offers: list[Offer] = []
        for rep, goals in self.figures.items():
            phones = self.followers.get(rep, set())
            composed: dict[bool, WireFrame] = {}
            for viewer in phones:
                if not every and self.sent.get(viewer) == goals:
                    continue
                self.sent[viewer] = goals
                frame = composed.get(viewer.binary)
                if frame is None:
                    frame = composed[viewer.binary] = encode(goals_message(rep, goals), viewer.binary)
                offers.append((viewer, frame))
        return offers


def phones_for(kind: str, goals_of: GoalsOf | None, wake: Callable[[], None]) -> Phones | GoalPhones:
    """The phones of a new board: its reps' goals on the goals board, standings on the others (``me``)."""
    return GoalPhones(goals_of=goals_of, wake=wake) if kind == BOARD and goals_of is not None else Phones()
