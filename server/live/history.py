"""Per-board diff history in Redis, bounded, so a screen that reconnects catches up without a snapshot.

Each hub records the span it sent on each tick (from seq → to seq). A reconnecting client names the
(epoch, seq) it last saw; if the recorded spans chain from there to now it gets one merged diff,
otherwise a fresh snapshot. History is a cache: losing it costs a snapshot, never correctness.
"""

from __future__ import annotations

import msgpack
from redis.asyncio import Redis

from game import keys
from server.services.boards import BoardSpec
from server.services.diffs import Span

HISTORY_SPANS = 200  # per board
HISTORY_SECONDS = 3600


def key_for(spec: BoardSpec, epoch: int) -> str:
    if spec.kind == "xp":
        return f"{keys.XP_BOARD_PREFIX}history:{spec.which}"
    return keys.ContestKeys(spec.contest_id, epoch).history(spec.board)


async def record(redis: Redis, key: str, span: Span) -> None:
    pipe = redis.pipeline(transaction=False)
    pipe.zadd(key, {msgpack.packb(span.as_record()): span.start})
    pipe.zremrangebyrank(key, 0, -(HISTORY_SPANS + 1))
    pipe.expire(key, HISTORY_SECONDS)
    await pipe.execute()


async def spans_since(redis: Redis, key: str, start: int) -> list[Span]:
    raw = await redis.zrangebyscore(key, start, "+inf")
    return [Span.from_record(msgpack.unpackb(item, raw=False)) for item in raw]
