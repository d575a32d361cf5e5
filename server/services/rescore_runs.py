"""A rescore asked for by a manager (a rules change, a late event applied, a plain rescore), run in the
background: one per contest at a time, the late events no manager applied left out, and a closed contest's
results corrected from the new board once it is done."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from game.log_retention import replayable
from server.errors import ApiError
from server.services.rescore import drop_epoch, rescore

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.contests")


async def claim_rescore(arena: Arena, contest_id: str, actor: str) -> None:
    """Take the contest's rescore lease (409 while another rescore runs, or when the log no longer holds all of the
    contest's events: a rescore would drop the trimmed ones from its boards)."""
    contest = (await arena.registry.current()).contests.get(contest_id)
    if contest is not None and not replayable(contest.starts_at, await arena.event_log.trimmed_before()):
        raise ApiError(
            409,
            f"contest {contest_id!r} began before the oldest events the log keeps (ARENA_LOG_RETENTION_DAYS): "
            "it cannot be rescored",
        )
    if not await arena.rescores.claim(contest_id, actor):
        raise ApiError(409, f"a rescore of {contest_id!r} is running: wait for it to finish")


async def start_rescore(
    arena: Arena, contest_id: str, definition: dict[str, Any] | None, actor: str, reason: str | None = None
) -> None:
    await claim_rescore(arena, contest_id, actor)
    launch_rescore(arena, contest_id, definition, actor, reason)


def launch_rescore(
    arena: Arena, contest_id: str, definition: dict[str, Any] | None, actor: str, reason: str | None
) -> None:
    """Rescore in the background; the caller holds the lease."""

    async def settle() -> None:
        await arena.sync_rosters(contest=contest_id)
        await arena.scheduler.correct(contest_id, actor, reason or "rescore")

    async def run() -> None:
        try:
            skip = await arena.late_events.unapplied(contest_id)
            epoch = await rescore(
                arena.store,
                arena.registry,
                arena.rescores,
                arena.event_log,
                contest_id,
                definition,
                actor,
                reason=reason,
                skip=skip,
                settle=settle,
            )
            await drop_epoch(arena.rescores, contest_id, epoch - 1)
        except Exception:
            log.exception("rescore of %s failed", contest_id)

    task = asyncio.get_running_loop().create_task(run())
    arena.background.add(task)
    task.add_done_callback(arena.background.discard)
