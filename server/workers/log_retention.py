"""The event log's retention: entries older than ``ARENA_LOG_RETENTION_DAYS`` go, with their dedupe entries.

A step of the scheduler's tick (so one process at a time, under its lease). Looking costs one round trip
(the oldest entry of each shard); a long backlog (the first run on an old deployment) is trimmed a bounded
slice per tick.
Export the entries first when they are to be kept: ``python -m scripts.events export FILE --before DATE``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from game.log_retention import trim_before
from server.services.event_log_store import EventLogStore, LogTrim

log = logging.getLogger("arena.retention")


class LogRetention:
    def __init__(self, event_log: EventLogStore, days: int) -> None:
        self.event_log = event_log
        self.days = days

    async def run(self, now: datetime) -> LogTrim:
        """Trim what the retention lets go as of ``now``."""
        done = await self.event_log.trim_before(trim_before(now, self.days))
        if done.trimmed:
            log.info(
                "event log: %d entries older than %d days trimmed (%d dedupe entries)",
                done.trimmed,
                self.days,
                done.forgotten,
            )
        return done
