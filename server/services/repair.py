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
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from game.events import Event
from game.store import Plan
from game.xp import XpChange, decide_xp
from server.services.ingest import Targets, plan
from server.services.registry import Snapshot

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.repair")

FIRST_LOOKBACK = timedelta(hours=1)  # with no checkpoint yet (a first start), the log's last hour is checked
BATCH = 500  # logged events per read and per write
SETTLE = timedelta(seconds=2)  # events logged this recently may still be on their way to their contests
PASS_SECONDS = 5.0  # one pass works at most this long (the next tick goes on from the checkpoint)


ATTEMPTS = 5  # passes in a row a failing batch is tried before it is passed by
_failures: dict[str, int] = {}  # checkpoint -> passes in a row whose batch after it failed (this process)


def _failed_again(checkpoint: str) -> int:
    """Count one more failing pass from ``checkpoint``; how many in a row so far."""
    count = _failures.get(checkpoint, 0) + 1
    _failures.clear()  # only the current checkpoint can fail again
    _failures[checkpoint] = count
    return count


# Redis's answers while a node cannot take writes for now (memory full, loading, failing over).
TRANSIENT = ("OOM", "LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "NOREPLICAS")


def transient(error: str) -> bool:
    """Whether a write's error (``<contest or xp>: <Redis's answer>``) will likely pass by itself."""
    return error.partition(": ")[2].startswith(TRANSIENT)


def at(targets: dict[datetime, Targets], snapshot: Snapshot, moment: datetime) -> Targets:
    """The contests accepting events at ``moment``, worked out once per moment (a request's events share it)."""
    if moment not in targets:
        targets[moment] = Targets.at(snapshot, moment)
    return targets[moment]


async def repair_log_tail(arena: Arena, now: datetime) -> int:
    """Complete the writes of the events logged since the checkpoint; how many events needed some. Events
    already fully written cost their planning and two fields of an HMGET per contest: 3,500 to 10,000 events
    a second on one core of a busy machine (measured on a single Redis and on a 3-master cluster), so with the
    default 15-second scheduler and ``PASS_SECONDS`` a pass keeps up with 1,000 to 3,000 events a second of
    sustained ingest (beyond that the checkpoint lags, and catches up when the load falls).

    A batch whose writes still fail is tried again on the next passes (for as long as a node refuses writes
    for now); one that fails otherwise ``ATTEMPTS`` passes in a row fails for good (a score a contest cannot
    hold, which the event's answer reported as a warning) and is passed by, with an error in the log.
    """
    event_log = arena.event_log
    after = await event_log.repaired_upto(now - FIRST_LOOKBACK)
    zone, currency = arena.settings.zone, arena.settings.currency

    def xp(event: Event) -> XpChange | None:
        return decide_xp(event, zone, currency)

    deadline = time.monotonic() + PASS_SECONDS
    repaired = 0
    async for last, events in event_log.batches(after, batch=BATCH, upto=now - SETTLE):
        snapshot = await arena.registry.current()
        targets: dict[datetime, Targets] = {}  # the contests accepting events at each moment of receipt
        plans = [
            Plan(event, plan(event, snapshot, event.received_at, at(targets, snapshot, event.received_at)), xp(event))
            for event in events
        ]
        missing = await arena.store.missing_writes(plans)
        if missing:
            results = await arena.store.write_events(missing, log=False)
            failed = [error for result in results for error in result.errors]
            # Tried again next tick, from this batch:
            if failed and (any(map(transient, failed)) or _failed_again(after) < ATTEMPTS):
                log.warning("repair: %d writes still fail (%s); trying again later", len(failed), failed[0])
                break
            if failed:
                log.error("repair: %d writes fail for good (%s); passing them by", len(failed), failed[0])
            repaired += len(missing)
            log.warning("repair: completed the writes of %d logged events", len(missing))
        await event_log.keep_repaired_upto(last)
        after = last
        if time.monotonic() > deadline:
            break
    return repaired
