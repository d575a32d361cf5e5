"""Compacting closed contests: when a contest is archived, or has closed for good (past its grace period and
confirmation window, results kept), what it no longer needs is folded into its archive or dropped (see
``game/contest_archive.py``). Results, boards and every rep's ledger still answer, from what is kept."""

from __future__ import annotations

import logging
from datetime import datetime

from game.contest_archive import level_due
from game.contests import Contest
from game.store import Store
from server.services.contest_archive_store import ContestArchiveStore
from server.services.rescore_store import RescoreStore

log = logging.getLogger("arena.archive")


async def compact_contest(
    store: Store, archives: ContestArchiveStore, rescores: RescoreStore, contest: Contest, now: datetime
) -> str | None:
    """Compact the contest's current epoch as far as it may be now; the level it is compacted to (None: it
    may still change, or a rescore is rebuilding it: try again later)."""
    if await rescores.running(contest.id):
        return None
    level = level_due(contest, now, await store.has_results(contest.id))
    if level is None:
        return None
    done = await archives.compact(contest.id, contest.epoch, level)
    if done is not None:
        log.info(
            "compacted %s epoch %d (%s): %d ledgers, %d lines archived, %d keys dropped",
            contest.id, contest.epoch, done.level, done.ledgers, done.lines, done.dropped,
        )  # fmt: skip
    return level
