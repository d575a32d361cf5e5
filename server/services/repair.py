"""The repair pass: every logged event's contest and XP writes exist, whatever happened after its log entry.

The event log is the source of truth: an event is acknowledged once its log entry exists, and its contest and
XP changes are written after it (on a Redis Cluster in a second round trip, on other nodes). A failure between
the two — a node refusing a write, a process killed mid-request — leaves an event logged but not scored. The
scheduler (under its lease, its first tick at start-up included) walks the log's tail past a checkpoint,
plans each event again as it was planned when received, and writes only what is missing: the scripts'
per-event dedupe makes a write that did land a no-op, so nothing counts twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from game.store import Plan
from game.xp import decide_xp
from server.services.ingest import plan

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.repair")

FIRST_LOOKBACK = timedelta(hours=1)  # with no checkpoint yet (a first start), the log's last hour is checked
BATCH = 500  # logged events per read and per write
MOST_PER_PASS = 20_000  # one pass checks at most this many events (the next tick goes on)


async def repair_log_tail(arena: Arena, now: datetime) -> int:
    """Complete the writes of the events logged since the checkpoint; how many events needed some. Events
    already fully written cost one existence check per contest."""
    event_log = arena.event_log
    after = await event_log.repaired_upto(now - FIRST_LOOKBACK)
    zone, currency = arena.settings.zone, arena.settings.currency
    checked = repaired = 0
    async for last, events in event_log.batches(after, batch=BATCH):
        snapshot = await arena.registry.current()
        plans = [Plan(e, plan(e, snapshot, e.received_at), decide_xp(e, zone, currency)) for e in events]
        missing = await arena.store.missing_writes(plans)
        if missing:
            results = await arena.store.write_events(missing, log=False)
            failed = [error for result in results for error in result.errors]
            if failed:  # try again next tick, from this batch
                log.warning("repair: %d writes still fail (%s); trying again later", len(failed), failed[0])
                break
            repaired += len(missing)
            log.warning("repair: completed the writes of %d logged events", len(missing))
        await event_log.keep_repaired_upto(last)
        checked += len(events)
        if checked >= MOST_PER_PASS:
            break
    return repaired
