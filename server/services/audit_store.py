"""The audit log in Redis: one capped stream of who changed what and when. Writers append inside their own
transaction (``queue_entry``), so a change and its entry land together; readers take the newest entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.typing import EncodableT, FieldT

from game import keys
from game.store import StreamEntries, newest_entries, text

MAX_ENTRIES = 100_000  # approximate: the stream is trimmed as it grows


def queue_entry(pipe: Pipeline, actor: str, action: str, target: str, data: str, at: str | None = None) -> None:
    """Append an entry within ``pipe`` (``data`` is JSON text; ``at`` defaults to now)."""
    entry: dict[FieldT, EncodableT] = {
        "at": at or datetime.now(UTC).isoformat(),
        "actor": actor,
        "action": action,
        "target": target,
        "data": data,
    }
    pipe.xadd(keys.AUDIT_LOG, entry, maxlen=MAX_ENTRIES, approximate=True)


class AuditLog:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def newest(self, count: int) -> list[dict[str, Any]]:
        """The newest ``count`` entries, newest first: ``{"id", "at", "actor", "action", "target", "data"}``
        (``data`` as stored, JSON text)."""
        entries = await newest_entries(self.redis, keys.AUDIT_LOG, count=count)
        return [{text(k): text(v) for k, v in fields.items()} | {"id": text(entry_id)} for entry_id, fields in entries]

    async def older(self, before: str | None, count: int) -> list[dict[str, Any]]:
        """Up to ``count`` entries older than entry id ``before`` (the newest ones when None), newest first."""
        newest = f"({before}" if before else "+"
        entries = cast(StreamEntries, await self.redis.xrevrange(keys.AUDIT_LOG, max=newest, min="-", count=count))
        return [{text(k): text(v) for k, v in fields.items()} | {"id": text(entry_id)} for entry_id, fields in entries]

    async def person_exported(self, actor: str, rep_id: str, sections: dict[str, int]) -> None:
        """Record that ``actor`` exported everything about ``rep_id`` (and how many items of each section)."""
        pipe = self.redis.pipeline(transaction=True)
        queue_entry(pipe, actor, "person.export", rep_id, json.dumps({"sections": sections}, ensure_ascii=False))
        await pipe.execute()

    async def person_erased(self, actor: str, target: str, data: str) -> None:
        """Record an erasure run again for a rep already erased (the first one is recorded with its directory
        change, ``Registry.replace_rep``)."""
        pipe = self.redis.pipeline(transaction=True)
        queue_entry(pipe, actor, "person.erase", target, data)
        await pipe.execute()
