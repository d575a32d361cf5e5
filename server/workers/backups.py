"""Scheduled backups: every ``ARENA_BACKUP_HOURS`` a whole backup into ``ARENA_BACKUP_DIR``, the oldest past
``ARENA_BACKUP_KEEP`` removed (``server/services/backup.py``; restore with ``python -m scripts.backup restore``).

A step of the scheduler's tick, so only the lease holder writes. When the last one was written (or why it
failed) is kept in Redis, shared by every process: ``/readyz`` shows it, and a failure is logged and tried
again on the next tick.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from game import keys
from server.config import Settings
from server.services.backup import Written, as_text, rotate, write_backup
from server.services.event_log_store import EventLogStore

log = logging.getLogger("arena.backups")

# A long backup outlives the scheduler's lease, and another process may take the lease meanwhile: this claim keeps
# it from starting a second one (a process that dies mid-backup holds it back this long at most).
CLAIM_SECONDS = 3600


class Backups:
    def __init__(self, redis: Redis, event_log: EventLogStore, directory: Path | None, hours: float, keep: int):
        self.redis = redis
        self.event_log = event_log
        self.directory = directory
        self.every = timedelta(hours=hours)
        self.keep = keep

    @classmethod
    def configured(cls, redis: Redis, event_log: EventLogStore, settings: Settings) -> Backups:
        return cls(redis, event_log, settings.backup_dir, settings.backup_hours, settings.backup_keep)

    async def state(self) -> dict[str, str]:
        """last_at, last_name, last_error, error_at (those there are)."""
        raw = await self.redis.hgetall(keys.BACKUP_STATE)
        return {as_text(k): as_text(v) for k, v in raw.items()}

    async def due(self, now: datetime) -> bool:
        last = await self.redis.hget(keys.BACKUP_STATE, "last_at")
        return last is None or now - datetime.fromisoformat(as_text(last)) >= self.every

    async def run(self, now: datetime) -> Written | None:
        """Write a backup if one is due; None when none was (or it failed: logged and kept for ``/readyz``)."""
        if self.directory is None or not await self.due(now):
            return None
        token = secrets.token_hex(8)
        if not await self.redis.set(keys.BACKUP_RUNNING, token, nx=True, ex=CLAIM_SECONDS):
            return None  # another process is writing one
        try:
            written = await write_backup(self.redis, self.event_log, self.directory, now)
            removed = rotate(self.directory, self.keep)
        except (OSError, ValueError) as exc:  # a full disk, no permission, a key of a kind it cannot write out
            log.error("backup into %s failed: %s", self.directory, exc)
            await self.redis.hset(keys.BACKUP_STATE, mapping={"last_error": str(exc), "error_at": now.isoformat()})
            return None
        finally:
            if as_text(await self.redis.get(keys.BACKUP_RUNNING) or b"") == token:
                await self.redis.delete(keys.BACKUP_RUNNING)
        await self.redis.hset(keys.BACKUP_STATE, mapping={"last_at": now.isoformat(), "last_name": written.path.name})
        await self.redis.hdel(keys.BACKUP_STATE, "last_error", "error_at")
        log.info(
            "backup %s written (%d keys, %d events; %d old ones removed)",
            written.path.name,
            written.keys,
            written.events,
            len(removed),
        )
        return written

    async def readiness(self) -> dict[str, Any] | None:
        """What ``/readyz`` tells of backups (None when they are off)."""
        if self.directory is None:
            return None
        return await self.state()
