"""Head-to-head challenges in Redis: one hash of JSON documents by challenge id. An answer is a
check-and-set (WATCH), so two answers to one challenge cannot both win."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from game import keys

Challenge = dict[str, Any]


class ChallengeChanged(Exception):
    """Someone else answered the challenge between our read and our write."""


class ChallengeStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def all(self) -> list[Challenge]:
        return [json.loads(value) for value in (await self.redis.hgetall(keys.CHALLENGES)).values()]

    async def save(self, challenge: Challenge) -> None:
        await self.redis.hset(keys.CHALLENGES, challenge["id"], json.dumps(challenge))

    async def change(self, challenge_id: str, change: Callable[[Challenge], Challenge]) -> Challenge | None:
        """Apply ``change`` to the stored challenge and write the result, unless the challenge changed
        meanwhile (``ChallengeChanged``); None when there is no such challenge. ``change`` may raise to
        write nothing."""
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(keys.CHALLENGES)
                raw = await pipe.hget(keys.CHALLENGES, challenge_id)
                if raw is None:
                    return None
                changed = change(json.loads(raw))
                pipe.multi()
                pipe.hset(keys.CHALLENGES, challenge_id, json.dumps(changed))
                await pipe.execute()
            except WatchError:
                raise ChallengeChanged(challenge_id) from None
        return changed
