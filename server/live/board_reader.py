"""The store edge of the hub: where it reads boards, recent wins and the registry's snapshot.

The hub reads each board through ``server/services/boards.py`` on the engine's ``Store``; behind these two
small protocols its logic runs in tests on boards kept in memory. (Doorbells and history go through the
broker, ``server/live/broker.py``.)
"""

from __future__ import annotations

from typing import Any, Protocol
from zoneinfo import ZoneInfo

from game.contests import Contest
from game.store import Store
from server.services.boards import BoardSpec, BoardView, ScoresRead, read_scores, read_standings, read_view
from server.services.registry import Snapshot
from server.services.standings import Standing


class Snapshots(Protocol):
    """What the hub needs of the registry (``server/services/registry.py``)."""

    def cached(self) -> Snapshot:
        """The last snapshot read, without a round trip."""
        ...

    async def current(self) -> Snapshot:
        """The snapshot, reloaded first if anything changed."""
        ...

    def invalidate(self) -> None:
        """A configuration doorbell rang: check again on the next read."""
        ...


class BoardReader(Protocol):
    """One read of a board, some reps' scores on it, the standings of reps below its rows, and a contest's
    recent wins."""

    async def read(self, spec: BoardSpec, snapshot: Snapshot, *, full: bool = False) -> BoardView | None:
        """The board as it is now (its top rows, or every row when ``full``); None if it does not exist."""
        ...

    async def standings(self, contest: Contest, epoch: int, which: str, reps: list[str]) -> dict[str, Standing]:
        """The standings of reps below the rows read, all in one batched read (never one per phone)."""
        ...

    async def scores_of(self, contest: Contest, epoch: int, which: str, reps: list[str]) -> ScoresRead:
        """Some reps' scores with the board's seq and size, in one read (a board held in memory moves on)."""
        ...

    async def recent_wins(self, contest_id: str) -> list[dict[str, Any]]:
        """The doorbells of a contest's latest deals, newest first (what a reconnecting screen missed)."""
        ...


class StoreBoardReader:
    """Boards from Redis, through the engine's store."""

    def __init__(self, store: Store, *, rows: int, zone: ZoneInfo) -> None:
        self.store = store
        self.rows = rows
        self.zone = zone

    async def read(self, spec: BoardSpec, snapshot: Snapshot, *, full: bool = False) -> BoardView | None:
        return await read_view(spec, self.store, snapshot, limit=self.rows, zone=self.zone, full=full)

    async def standings(self, contest: Contest, epoch: int, which: str, reps: list[str]) -> dict[str, Standing]:
        return await read_standings(self.store, contest, epoch, which, reps)

    async def scores_of(self, contest: Contest, epoch: int, which: str, reps: list[str]) -> ScoresRead:
        return await read_scores(self.store, contest, epoch, which, reps)

    async def recent_wins(self, contest_id: str) -> list[dict[str, Any]]:
        (bells,) = await self.store.recent_wins_of([contest_id])
        return bells
