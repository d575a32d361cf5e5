"""Flags and the decisions taken on them, in Redis. A flag is kept as detected (what a decision needs later,
whatever the log looks like by then); a decision is claimed first (``pending``), so two managers cannot
both decide, and is recorded final together with its audit entry."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from game import keys
from server.services.audit_store import queue_entry


class FlagStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def keep(self, flags: Mapping[str, dict[str, Any]]) -> list[dict[str, Any] | None]:
        """Store the flags (by id) and read the decision on each, in the order given, in one round trip."""
        stored: dict[FieldT, EncodableT] = {
            flag_id: json.dumps(flag, ensure_ascii=False) for flag_id, flag in flags.items()
        }
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(keys.FLAGS, mapping=stored)
        pipe.hmget(keys.FLAG_DECISIONS, list(stored))
        _, decisions = await pipe.execute()
        return [json.loads(decision) if decision else None for decision in decisions]

    async def flag(self, flag_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(keys.FLAGS, flag_id)
        return json.loads(raw) if raw is not None else None

    async def claim_decision(self, flag_id: str, record: dict[str, Any]) -> dict[str, Any] | None:
        """Mark the flag as being decided; None if that worked, else the decision taken earlier."""
        if await self.redis.hsetnx(keys.FLAG_DECISIONS, flag_id, json.dumps({**record, "state": "pending"})):
            return None
        return json.loads(await self.redis.hget(keys.FLAG_DECISIONS, flag_id) or "{}")

    async def release_decision(self, flag_id: str) -> None:
        """Give a claimed decision up (acting on it failed): the flag may be decided again."""
        await self.redis.hdel(keys.FLAG_DECISIONS, flag_id)

    async def record_decision(
        self, flag_id: str, record: dict[str, Any], actor: str, action: str, target: str, audit: Mapping[str, Any]
    ) -> None:
        """The final decision and its audit entry, together."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.FLAG_DECISIONS, flag_id, json.dumps(record, ensure_ascii=False))
        queue_entry(pipe, actor, action, target, json.dumps(audit, ensure_ascii=False), at=record["at"])
        await pipe.execute()
