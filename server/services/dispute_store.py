"""Disputes (申诉) in Redis: one hash of JSON documents by dispute id, and one hash of the ledger lines under an
open dispute (``contest|rep|event`` -> dispute id). Filing and resolving are check-and-set transactions (WATCH),
so a line never has two open disputes and a dispute is resolved once; a resolution and its audit entry land
together."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from game import keys
from server.services.audit_store import queue_entry

Dispute = dict[str, Any]
AUDITED = ("rep", "contest", "kind", "event", "decision", "note", "adjustment")


class DisputeConflict(Exception):
    """The line already has an open dispute, or the dispute is no longer open."""


def line_of(dispute: Dispute) -> str | None:
    """The ledger line a dispute is about, as the open-lines hash keys it (None for a line-less dispute)."""
    event = dispute.get("event")
    return f"{dispute['contest']}|{dispute['rep']}|{event}" if event else None


class DisputeStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def all(self) -> list[Dispute]:
        return [json.loads(value) for value in (await self.redis.hgetall(keys.DISPUTES)).values()]

    async def get(self, dispute_id: str) -> Dispute | None:
        raw = await self.redis.hget(keys.DISPUTES, dispute_id)
        return json.loads(raw) if raw is not None else None

    async def file(self, dispute: Dispute, admissible: Callable[[list[Dispute]], None]) -> None:
        """Store a new open dispute unless its line already has one (``DisputeConflict``). ``admissible`` sees
        every stored dispute first and may raise to store nothing (a rep's limit of open disputes)."""
        line = line_of(dispute)
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(keys.DISPUTES, keys.DISPUTED_LINES)
                if line is not None and await pipe.hexists(keys.DISPUTED_LINES, line):
                    raise DisputeConflict(line)
                admissible([json.loads(v) for v in (await pipe.hgetall(keys.DISPUTES)).values()])
                pipe.multi()
                pipe.hset(keys.DISPUTES, dispute["id"], json.dumps(dispute, ensure_ascii=False))
                if line is not None:
                    pipe.hset(keys.DISPUTED_LINES, line, dispute["id"])
                await pipe.execute()
            except WatchError:
                raise DisputeConflict(dispute["id"]) from None

    async def resolve(
        self, dispute_id: str, resolution: Callable[[Dispute], Dispute], actor: str, audit: str
    ) -> Dispute | None:
        """Write the resolved dispute ``resolution`` makes of the open one, free its line and audit it, in one
        transaction; None when there is no such dispute, ``DisputeConflict`` when it is not open (any more).
        ``resolution`` may raise to write nothing; ``audit`` is the audit entry's action."""
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(keys.DISPUTES)
                raw = await pipe.hget(keys.DISPUTES, dispute_id)
                if raw is None:
                    return None
                stored = json.loads(raw)
                if stored["status"] != "open":
                    raise DisputeConflict(dispute_id)
                resolved = resolution(stored)
                pipe.multi()
                pipe.hset(keys.DISPUTES, dispute_id, json.dumps(resolved, ensure_ascii=False))
                if (line := line_of(resolved)) is not None:
                    pipe.hdel(keys.DISPUTED_LINES, line)
                data = {k: resolved.get(k) for k in AUDITED}
                queue_entry(pipe, actor, audit, resolved["contest"], json.dumps(data, ensure_ascii=False))
                await pipe.execute()
            except WatchError:
                raise DisputeConflict(dispute_id) from None
        return resolved
