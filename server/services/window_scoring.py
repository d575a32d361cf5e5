"""Scoring a contest's past: a contest created live, or launched, with a start in the past takes in the events
already logged in its window (a deal of the 1st logged before a launch on the 6th), as a rescore would.

Live ingestion scores whatever arrives from the launch on; this replays, into the contest's current epoch, the
log from the window's start up to the newest entry at the launch (``upto``), through the rescore's replay
(``decide`` per event, quietly, idempotent per event). Entries of reps the contest leaves out are skipped before
they are parsed. Progress is kept in the contest's meta hash (``window_*``: what ``GET /contests/{id}/rescore``
reports as ``window``); the scheduler does not close a contest while its window is being scored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from game.contests import Contest
from game.directory import Directory
from game.log_shards import position_millis
from game.scoring import REVERSING_TYPES, UPDATING_TYPES
from server.services.rescore import ensure_roster, write_replayed

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.window")
_UNDOING = REVERSING_TYPES | UPDATING_TYPES


def concerns(contest: Contest, directory: Directory) -> Callable[[dict[str, Any]], bool]:
    """Whether a logged record may change ``contest``: a correction always (its original may have scored),
    anything else when its rep takes part."""

    def keep(record: dict[str, Any]) -> bool:
        if record["type"] in _UNDOING:
            return True
        rep = directory.reps.get(record["rep"])
        team = record.get("team") if record.get("team") is not None else (rep.team if rep else None)
        return rep is not None and contest.includes(rep.id, team)

    return keep


async def start_window_scoring(arena: Arena, contest_id: str) -> None:
    """Mark the window as being scored (before the answer goes back), then score it in the background."""
    upto = await arena.event_log.newest_id()
    await arena.rescores.window_started(contest_id)

    async def run() -> None:
        state = "failed"
        try:
            await score_window(arena, contest_id, upto)
            state = "done"
        except Exception:
            log.exception("scoring the window of %s failed", contest_id)
        finally:
            await arena.rescores.window_finished(contest_id, state)

    task = asyncio.get_running_loop().create_task(run())
    arena.background.add(task)
    task.add_done_callback(arena.background.discard)


async def score_window(arena: Arena, contest_id: str, upto: str) -> int:
    """Replay the log of the contest's window, up to ``upto``, into its current epoch; returns events read."""
    snapshot = await arena.registry.current()
    contest = snapshot.contests[contest_id]
    first = int(contest.starts_at.timestamp() * 1000)
    span = max(1, position_millis(upto) - first)
    batches = arena.event_log.window_batches(contest.starts_at, upto, concerns(contest, snapshot.directory))

    async def progress(last: str, count: int) -> None:
        share = min(1.0, max(0.0, (position_millis(last) - first) / span))
        await arena.rescores.window_progressed(contest_id, count, share)

    await ensure_roster(arena.store, arena.registry, contest)  # an ended contest has none yet
    read = await write_replayed(arena.store, arena.registry, batches, contest, progress)
    await arena.rescores.window_progressed(contest_id, read, 1.0)
    # screens read the scored boards (the teams were regrouped before the replay)
    await ensure_roster(arena.store, arena.registry, contest, ring=True, regroup_teams=False)
    return read
