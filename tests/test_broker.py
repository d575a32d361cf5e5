"""The broker's contract, checked on both brokers: ``RedisBroker`` on a real Redis and the ``MemoryBroker`` the
hub's logic is tested on (``tests/test_hub_logic.py``), so the stand-in cannot drift from the real one
unnoticed. Channels are heard in order and only while subscribed; a lost connection loses what is published
meanwhile, and the listener says so when it is back; a board's history keeps its latest spans, each once.
Then what only Redis has: the hour the history is kept, and an unreachable Redis costing only history."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.cluster import key_slot

from game import keys
from server.embedded_redis import EmbeddedRedis
from server.live.broker import RECONNECTED, Broker, Heard, Message, RedisBroker
from server.live.history import HISTORY_SECONDS, HISTORY_SPANS
from server.services.diffs import Span
from tests.support.memory_broker import MemoryBroker
from tests.support.redis_cluster import MASTERS, SLOTS
from tests.support.redis_cluster import RedisCluster as LocalCluster

WAIT_SECONDS = 5.0


@dataclass
class Subject:
    """A broker under test, and what the test does to it that only its kind knows how to do."""

    broker: Broker
    outage: Callable[[Callable[[], Awaitable[None]]], Awaitable[None]]  # lose the connection around a step
    joined: Callable[[str, bool], Awaitable[None]]  # until the channel is (or is no longer) listened to


@contextlib.asynccontextmanager
async def memory_subject() -> AsyncIterator[Subject]:
    broker = MemoryBroker()

    async def outage(during: Callable[[], Awaitable[None]]) -> None:
        broker.cut()
        await during()
        broker.restore()

    async def joined(channel: str, listening: bool) -> None:
        assert (channel in broker.channels) is listening

    yield Subject(broker, outage, joined)
    await broker.close()


@contextlib.asynccontextmanager
async def subject_over(client: Redis, admin: Redis, name: str, sharded: bool) -> AsyncIterator[Subject]:
    """``RedisBroker`` over ``client`` (connections named ``name``), watched through ``admin`` on the node that
    holds its subscriptions: classic ones, or sharded ones on a cluster."""
    broker = RedisBroker(client)

    async def outage(during: Callable[[], Awaitable[None]]) -> None:
        """Redis closes the broker's pub/sub connection; the broker finds its way back by itself."""
        ours = [c["id"] for c in await admin.client_list(_type="pubsub") if c["name"] == name]
        assert ours, "the broker has no pub/sub connection to cut"
        for client_id in ours:
            await admin.client_kill_filter(_id=client_id)
        await during()

    async def joined(channel: str, listening: bool) -> None:
        """SUBSCRIBE is sent without waiting for its answer: ask Redis until it counts the subscriber."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                ((_, classic),) = await admin.pubsub_numsub(channel)
                _, shard = await admin.execute_command("PUBSUB", "SHARDNUMSUB", channel) if sharded else (0, 0)
                assert not (sharded and classic), "a contest's doorbell on a cluster is never a classic channel"
                if bool(classic or shard) is listening:
                    return
                await asyncio.sleep(0.01)

    try:
        yield Subject(broker, outage, joined)
    finally:
        await broker.close()
        await client.aclose()
        await admin.aclose()


def redis_subject(url: str) -> contextlib.AbstractAsyncContextManager[Subject]:
    name = f"broker-{uuid.uuid4().hex[:8]}"
    return subject_over(Redis.from_url(url, client_name=name), Redis.from_url(url), name, sharded=False)


def cluster_subject(cluster: LocalCluster) -> contextlib.AbstractAsyncContextManager[Subject]:
    """On a Redis Cluster of Redis 7: the tests' channels are contest doorbells (``unique``), heard as sharded
    channels on the node of their contest's slot — the node ``unique`` keeps them all on, so that their order
    across channels is kept too (per channel it always is)."""
    name = f"broker-{uuid.uuid4().hex[:8]}"
    client = cast(Redis, RedisCluster.from_url(cluster.url, client_name=name))
    return subject_over(client, Redis(host="127.0.0.1", port=cluster.ports[CHANNEL_NODE]), name, sharded=True)


@pytest.fixture(params=["memory", "redis", "cluster"])
def subject(request: pytest.FixtureRequest) -> Callable[[], contextlib.AbstractAsyncContextManager[Subject]]:
    if request.param == "memory":
        return memory_subject
    if request.param == "cluster":
        cluster = request.getfixturevalue("redis_cluster")
        return lambda: cluster_subject(cluster)
    url = request.getfixturevalue("redis_server").url
    return lambda: redis_subject(url)


async def next_heard(stream: AsyncIterator[Heard]) -> Heard:
    async with asyncio.timeout(WAIT_SECONDS):
        return await anext(stream)


CHANNEL_NODE = 0  # the cluster node whose slots (the first third) hold every channel ``unique`` names


def unique(name: str) -> str:
    """A contest doorbell no other test uses, its slot on the cluster's first node."""
    while True:
        channel = keys.doorbell_channel(f"test-{uuid.uuid4().hex[:8]}-{name}")
        if key_slot(channel.encode()) < SLOTS // MASTERS:
            return channel


Opener = Callable[[], contextlib.AbstractAsyncContextManager[Subject]]


def test_a_broker_hears_its_channels_in_order_and_nothing_else(subject: Opener) -> None:
    async def scenario() -> None:
        async with subject() as s:
            a, b, other = unique("a"), unique("b"), unique("other")
            await s.broker.subscribe(a, b)
            heard = s.broker.listen()
            assert await next_heard(heard) is RECONNECTED  # joined: what was published before is lost
            await s.joined(a, True)
            await s.joined(b, True)
            for channel, data in ((a, b"1"), (other, b"2"), (b, b"3"), (a, b"4")):
                await s.broker.publish(channel, data)
            assert [await next_heard(heard) for _ in range(3)] == [Message(a, b"1"), Message(b, b"3"), Message(a, b"4")]

            await s.broker.unsubscribe(a)
            await s.joined(a, False)
            await s.broker.publish(a, b"5")
            await s.broker.publish(b, b"6")
            assert await next_heard(heard) == Message(b, b"6")

    asyncio.run(scenario())


def test_a_broker_that_lost_its_connection_says_so_and_hears_every_channel_again(subject: Opener) -> None:
    async def scenario() -> None:
        async with subject() as s:
            a, b = unique("a"), unique("b")
            await s.broker.subscribe(a)
            heard = s.broker.listen()
            assert await next_heard(heard) is RECONNECTED
            await s.broker.subscribe(b)  # while listening
            await s.joined(b, True)

            async def publish_while_away() -> None:
                await s.broker.publish(a, b"lost")

            await s.outage(publish_while_away)
            assert await next_heard(heard) is RECONNECTED  # the hub refreshes every board on this
            await s.joined(a, True)
            await s.joined(b, True)
            await s.broker.publish(b, b"1")
            await s.broker.publish(a, b"2")
            assert [await next_heard(heard) for _ in range(2)] == [Message(b, b"1"), Message(a, b"2")]

    asyncio.run(scenario())


async def stop(listener: asyncio.Future[Any], broker: RedisBroker, *clients: Redis | RedisCluster) -> None:
    """Stop listening, then let go of the broker and the clients."""
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await listener
    await broker.close()
    for client in clients:
        await client.aclose()


def test_a_cluster_broker_that_lost_one_node_of_two_says_so_and_hears_both_again(redis_cluster: LocalCluster) -> None:
    """Sharded subscriptions on two nodes, and one node's connection lost: the broker does not go on deaf to
    that node's channels (redis-py would reconnect it quietly, losing what is rung meanwhile) but starts over,
    says ``RECONNECTED`` and hears every channel again."""

    def on_node(index: int) -> str:
        while True:
            channel = keys.doorbell_channel(f"test-{uuid.uuid4().hex[:8]}")
            if key_slot(channel.encode()) * MASTERS // SLOTS == index:
                return channel

    async def scenario() -> None:
        name = f"broker-{uuid.uuid4().hex[:8]}"
        first, second = on_node(0), on_node(1)
        redis = RedisCluster.from_url(redis_cluster.url, client_name=name)
        broker, admin = RedisBroker(cast(Redis, redis)), Redis(host="127.0.0.1", port=redis_cluster.ports[1])
        heard: list[Heard] = []

        async def pump() -> None:
            async for item in broker.listen():
                heard.append(item)

        async def until(count: int) -> None:
            async with asyncio.timeout(WAIT_SECONDS):
                while len(heard) < count:
                    await asyncio.sleep(0.01)

        await broker.subscribe(first, second)
        listener = asyncio.create_task(pump())
        try:
            await until(1)
            async with asyncio.timeout(WAIT_SECONDS):
                while not (ours := [c["id"] for c in await admin.client_list(_type="pubsub") if c["name"] == name]):
                    await asyncio.sleep(0.01)
            for client_id in ours:
                await admin.client_kill_filter(_id=client_id)
            await until(2)
            assert heard == [RECONNECTED, RECONNECTED]
            async with asyncio.timeout(WAIT_SECONDS):  # joined again on the node that was lost
                while (await admin.execute_command("PUBSUB", "SHARDNUMSUB", second))[1] == 0:
                    await asyncio.sleep(0.01)
            await broker.publish(second, b"1")
            await broker.publish(first, b"2")
            await until(4)
            assert sorted(heard[2:]) == sorted([Message(second, b"1"), Message(first, b"2")])
        finally:
            await stop(listener, broker, redis, admin)

    asyncio.run(scenario())


def test_a_boards_history_keeps_its_latest_spans_by_start_each_once(subject: Opener) -> None:
    async def scenario() -> None:
        async with subject() as s:
            key = unique("history")
            spans = [Span(n, n + 1, [{"rank": 1, "id": f"r{n}", "score": n}], []) for n in range(HISTORY_SPANS + 5)]
            for span in [*spans[::2], *spans[1::2], spans[-1]]:  # out of order, the last one twice
                await s.broker.append(key, span)
            assert await s.broker.spans_since(key, 0) == spans[5:]  # the oldest five are gone
            assert await s.broker.spans_since(key, 150) == spans[150:]
            assert await s.broker.spans_since(key, HISTORY_SPANS + 5) == []
            assert await s.broker.spans_since(unique("never-written"), 0) == []

    asyncio.run(scenario())


def test_redis_history_is_kept_an_hour_after_the_last_span(redis_server: EmbeddedRedis) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(redis_server.url)
        try:
            key = unique("history")
            await RedisBroker(redis).append(key, Span(1, 2))
            assert HISTORY_SECONDS - 5 < await redis.ttl(key) <= HISTORY_SECONDS
        finally:
            await redis.aclose()

    asyncio.run(scenario())


def test_a_redis_broker_without_redis_costs_history_and_doorbells_not_errors() -> None:
    """Redis down: subscribing, recording and reading history do not fail (a screen that reconnects gets a
    snapshot); the listener keeps trying."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there

    async def scenario() -> None:
        redis = Redis.from_url(f"redis://127.0.0.1:{port}", socket_connect_timeout=1)
        broker = RedisBroker(redis)
        heard = broker.listen()
        listener = asyncio.ensure_future(anext(heard))
        try:
            await asyncio.sleep(0.2)
            await broker.subscribe(unique("a"))
            await broker.unsubscribe(unique("a"))
            await broker.append(unique("history"), Span(1, 2))
            assert await broker.spans_since(unique("history"), 0) == []
            assert not listener.done()  # still trying, quietly
        finally:
            await stop(listener, broker, redis)

    asyncio.run(scenario())
