"""The erasure's records on a real Redis of their own, piece by piece: what the connectors hold for the rep's CRM
user ids goes, pending notifications and dead letters naming the person go (others stay), digest snapshots, late
events, flags, disputed lines and credited refs name the pseudonym, and a stream keeps its ids when rewritten."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from game import keys
from game.pseudonym import erasure_of
from server.embedded_redis import EmbeddedRedis
from server.services.erasure_record_store import ErasureStore


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with EmbeddedRedis() as server:
        yield server.url


def test_connector_notification_and_record_state_naming_the_person(redis_url: str) -> None:
    erasure = erasure_of("E1024", "secret", ["王小明", "crm-77"])
    alias = erasure.alias

    async def scenario() -> None:
        redis = Redis.from_url(redis_url)
        try:
            mine, other = json.dumps({"rep": "E1024", "text": "王小明 成交"}), json.dumps({"rep": "E2048"})
            await redis.hset(keys.connector_unmapped("hub"), mapping={"crm-77": "{}", "crm-88": "{}"})
            await redis.hset(keys.connector_held("hub", "crm-77"), "ev1", "{}")
            await redis.set(keys.connector_deal("hub", "d1"), json.dumps({"owner": "E1024", "won": 1}))
            await redis.lpush(keys.connector_deliveries("hub"), mine, other)
            await redis.rpush(keys.notify_outbox("wecom"), mine, other)
            await redis.hset(keys.NOTIFY_DEAD, mapping={"x1": mine, "x2": other})
            await redis.zadd(keys.NOTIFY_DEAD_ORDER, {"x1": 1, "x2": 2})
            await redis.set(
                keys.notify_snapshot("wecom", "daily", "c1"), json.dumps({"E1024": [5, 1], "E2048": [3, 2]})
            )
            late = {"key": "api:e9", "rep": "E1024", "customer": "ACME", "amount": "10"}
            await redis.hset(keys.late_events("c1"), "api:e9", json.dumps(late))
            await redis.hset(keys.FLAGS, "f1", json.dumps({"rep": "E1024", "explanation": "3 deals at 23:59"}))
            await redis.hset(keys.DISPUTED_LINES, "c1|E1024|api:e9", "d7")
            await redis.hset(keys.REWARD_REFS, mapping={"badge|E1024|b1": "1-0", "badge|E10245|b1": "2-0"})
            ids = [await redis.xadd(keys.RECOGNITION, {"m": doc}) for doc in (mine, other)]

            records = ErasureStore(redis).records(erasure)
            assert await records.connectors({"hub": "crm-77"}) == 4
            assert await redis.hkeys(keys.connector_unmapped("hub")) == [b"crm-88"]
            assert not await redis.exists(keys.connector_held("hub", "crm-77"))
            assert json.loads(await redis.get(keys.connector_deal("hub", "d1"))) == {"owner": alias, "won": 1}
            assert await redis.lrange(keys.connector_deliveries("hub"), 0, -1) == [other.encode()]
            assert await records.notifications() == 3
            assert await redis.lrange(keys.notify_outbox("wecom"), 0, -1) == [other.encode()]
            assert await redis.hkeys(keys.NOTIFY_DEAD) == [b"x2"] and await redis.zrange(
                keys.NOTIFY_DEAD_ORDER, 0, -1
            ) == [b"x2"]
            snapshot = json.loads(await redis.get(keys.notify_snapshot("wecom", "daily", "c1")))
            assert snapshot == {alias: [5, 1], "E2048": [3, 2]}
            counts = await records.records()
            assert counts["late_events"] == 1 and counts["flags"] == 1 and counts["disputed_lines"] == 1
            assert json.loads(await redis.hget(keys.late_events("c1"), "api:e9")) == {
                **late,
                "rep": alias,
                "customer": "",
            }
            assert json.loads(await redis.hget(keys.FLAGS, "f1")) == {"rep": alias, "explanation": ""}
            assert await redis.hgetall(keys.DISPUTED_LINES) == {f"c1|{alias}|api:e9".encode(): b"d7"}
            assert await records.rewards() == 1  # the credited ref naming the rep; the look-alike stays
            assert set(await redis.hkeys(keys.REWARD_REFS)) == {f"badge|{alias}|b1".encode(), b"badge|E10245|b1"}
            entries = await redis.xrange(keys.RECOGNITION)
            assert [entry_id for entry_id, _ in entries] == ids
            assert [json.loads(fields[b"m"]) for _, fields in entries] == [{"rep": alias, "text": ""}, {"rep": "E2048"}]
        finally:
            await redis.aclose()

    asyncio.run(scenario())
