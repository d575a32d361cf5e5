"""Scorecard definitions in Redis, one per team, each change with its audit entry in one transaction."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.scorecard import ScorecardDefinition, parse_definition
from server.services.audit_store import queue_entry


class ScorecardStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self, team_id: str) -> ScorecardDefinition | None:
        raw = await self.redis.hget(keys.SCORECARDS, team_id)
        return parse_definition(json.loads(raw)) if raw else None

    async def put(self, team_id: str, definition: ScorecardDefinition, actor: str) -> bool:
        """Keep ``definition`` for the team; True when the team had none before."""
        document: dict[str, Any] = definition.as_dict()
        text = json.dumps(document, ensure_ascii=False)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hsetnx(keys.SCORECARDS, team_id, text)
        pipe.hset(keys.SCORECARDS, team_id, text)
        queue_entry(pipe, actor, "scorecard.put", team_id, text)
        created, *_ = await pipe.execute()
        return bool(created)
