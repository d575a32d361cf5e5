"""How far a reps import has come, in Redis so the console can ask whichever process answers it.

The console names an import with a token of its own (``POST /reps/import?progress=<token>``) and polls
``GET /reps/import/<token>`` while the import runs; the record is the importer's alone and expires an hour on.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from game import keys
from game.store import text

KEPT_SECONDS = 3600


class ImportProgressStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def record(self, actor: str, token: str, state: str, done: int, total: int) -> None:
        """The import is in ``state`` (reading, storing, rosters, done) with ``done`` of ``total`` reps stored."""
        key = keys.rep_import(actor, token)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"state": state, "done": done, "total": total})
        pipe.expire(key, KEPT_SECONDS)
        await pipe.execute()

    async def read(self, actor: str, token: str) -> dict[str, Any] | None:
        stored = await self.redis.hgetall(keys.rep_import(actor, token))
        if not stored:
            return None
        value = {text(k): text(v) for k, v in stored.items()}
        return {"state": value["state"], "done": int(value["done"]), "total": int(value["total"])}
