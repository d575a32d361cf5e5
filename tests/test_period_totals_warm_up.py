"""The month sums are fed in the background (``period_totals.warm_up``), batch by batch, so that the first goals
request after a start finds them fed; a rewrite of the log (an erasure) makes them start over."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from game import keys, log_record
from game.events import Event
from server.arena import Arena
from server.config import Settings
from server.embedded_redis import EmbeddedRedis
from server.redis_connection import RedisDeployment
from server.services.period_totals import origin_of, warm_up, with_totals

EVENTS = 23


async def scenario(url: str) -> None:
    arena = Arena(Settings(secret_key="warm-up-test-" + "x" * 32, timezone="Asia/Shanghai"), RedisDeployment(url=url))
    try:
        now = datetime.now(UTC)
        for number in range(EVENTS):
            at = now - timedelta(hours=EVENTS - number)
            event = Event(id=f"w{number}", type="deal.won", rep="wang", occurred_at=at, received_at=at,
                          amount=Decimal(100), currency="CNY")  # fmt: skip
            name, packed = log_record.pack_event(event)
            await arena.redis.xadd(keys.event_log(0), {name: packed})
        origin = origin_of(arena, now)
        assert await warm_up(arena, batch=5) == EVENTS  # five batches of five and one short one
        assert await warm_up(arena, batch=5) == 0  # nothing new
        fed_by_request = await with_totals(arena, origin, lambda totals: totals.events)
        assert fed_by_request == EVENTS  # the requests answer from the sums the warm-up fed

        await arena.event_log.mark_rewritten()  # as an erasure does: every process starts over
        assert await warm_up(arena, batch=50) == EVENTS
    finally:
        await arena.redis.aclose()


def test_the_warm_up_feeds_the_sums_in_batches_and_starts_over_after_a_rewrite() -> None:
    with EmbeddedRedis() as redis:
        asyncio.run(scenario(redis.url))
