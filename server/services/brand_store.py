"""The organisation's brand in Redis: its colours and the digest of its logo (the logo's bytes are in the media
store, under ``org:logo``)."""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from game import keys


class BrandStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def get(self) -> dict[str, Any]:
        raw = await self.redis.get(keys.BRAND)
        return json.loads(raw) if raw else {"accent": None, "background": None, "logo": ""}

    async def put(self, document: dict[str, Any]) -> None:
        await self.redis.set(keys.BRAND, json.dumps(document))
