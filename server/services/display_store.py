"""TV displays in Redis: each display's document by id, and its token's digest pointing back at it (the token
itself is never stored). Both change together, so a rotated or revoked token stops working at once."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.store import text


class DisplayStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def display(self, display_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(keys.DISPLAYS, display_id)
        return json.loads(raw) if raw is not None else None

    async def displays(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in (await self.redis.hgetall(keys.DISPLAYS)).values()]

    async def by_token(self, digest: str) -> dict[str, Any] | None:
        """The display whose current token has this digest (None when unknown, rotated or revoked)."""
        display_id = await self.redis.hget(keys.DISPLAY_TOKENS, digest)
        document = await self.display(text(display_id)) if display_id else None
        if document is None or document.get("token_digest") != digest:
            return None
        return document

    async def save(self, document: dict[str, Any], old_digest: str | None = None) -> None:
        """Store a display; a token digest it no longer has (``old_digest``) stops opening it."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.DISPLAYS, document["id"], json.dumps(document, ensure_ascii=False))
        if old_digest and old_digest != document.get("token_digest"):
            pipe.hdel(keys.DISPLAY_TOKENS, old_digest)
        if document.get("token_digest"):
            pipe.hset(keys.DISPLAY_TOKENS, document["token_digest"], document["id"])
        await pipe.execute()

    async def remove(self, document: dict[str, Any]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(keys.DISPLAYS, document["id"])
        if document.get("token_digest"):
            pipe.hdel(keys.DISPLAY_TOKENS, document["token_digest"])
        await pipe.execute()
