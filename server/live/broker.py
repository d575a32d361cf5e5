"""The hub's broker: doorbells heard on channels, and the history of the spans the hub sent.

The hub needs two things beyond its process: to hear the doorbells of the boards its screens watch, and to
keep the diff spans it sent so a screen that reconnects gets a diff instead of a snapshot. Both sit behind
``Broker``, so the hub's logic (coalescing, recovery, bounded outboxes) runs the same on Redis
(``RedisBroker``: one pub/sub connection per process, sorted sets for history) and in memory
(``tests/support/memory_broker.py``), and is tested without sockets or Redis. Boards themselves are read
from the store (``server/live/board_reader.py``), not through the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import NamedTuple, Protocol, cast

import msgpack
from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterPubSub
from redis.asyncio.connection import Connection
from redis.exceptions import RedisError

from game.keys import channel_has_slot
from game.store import bell_command, rings_sharded
from server.live.history import HISTORY_SECONDS, HISTORY_SPANS
from server.services.diffs import Span

log = logging.getLogger("arena.hub")

RECONNECT_SECONDS = 0.5  # between attempts to reach Redis again
POLL_SECONDS = 1.0  # the listener wakes this often with nothing heard, so a dead connection shows
SHARDED_SLICE_SECONDS = 0.02  # with sharded doorbells: each wait on one kind of channel before the other's


class Message(NamedTuple):
    """One message heard on a channel: a doorbell, a configuration change, a badge."""

    channel: str
    data: bytes


class Reconnected:
    """What ``Broker.listen`` yields each time it has (re)joined its channels, the first time included:
    whatever was published while it was not listening is lost, so the hub refreshes every board."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RECONNECTED"


RECONNECTED = Reconnected()
Heard = Message | Reconnected


class Broker(Protocol):
    """Channels to listen on, a stream of what is heard, and each board's recent history of spans."""

    async def subscribe(self, *channels: str) -> None:
        """Listen on ``channels`` too. Never fails for want of a connection: the listener joins every
        channel it should hear whenever it (re)connects."""
        ...

    async def unsubscribe(self, *channels: str) -> None:
        """Stop listening on ``channels``; like ``subscribe``, never fails for want of a connection."""
        ...

    def listen(self) -> AsyncIterator[Heard]:
        """Messages on the subscribed channels, in order, for as long as it is iterated; it survives lost
        connections, and yields ``RECONNECTED`` on every (re)connection, the first one included."""
        ...

    async def publish(self, channel: str, data: bytes) -> None:
        """Ring a channel (the engine's scripts ring boards themselves; this is for tests and tools)."""
        ...

    async def append(self, key: str, span: Span) -> None:
        """Keep ``span`` in a board's history: at most ``HISTORY_SPANS`` (the latest), for
        ``HISTORY_SECONDS`` after the last one. Best effort: history is a cache, losing it costs a snapshot."""
        ...

    async def spans_since(self, key: str, seq: int) -> list[Span]:
        """The recorded spans starting at ``seq`` or later, by start; [] when the history cannot be read."""
        ...

    async def close(self) -> None:
        """Let go of the connection; never fails."""
        ...


class RedisBroker:
    """Redis pub/sub for doorbells (one connection per process) and a sorted set per board for history.

    On a Redis Cluster of Redis 7 or newer, contest doorbells are sharded channels (SSUBSCRIBE on the node of
    the contest's slot; redis-py keeps one connection per node that holds some) and the few org-wide channels
    (configuration, badges, XP) stay classic; elsewhere every channel is classic.
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._pubsub = redis.pubsub()
        self._channels: set[str] = set()
        self._listening = False  # before the listener runs, subscribing only notes the channel
        self._sharded: bool | None = None  # known once the listener has reached Redis

    def _split(self, channels: tuple[str, ...] | set[str]) -> tuple[list[str], list[str]]:
        """(classic channels, sharded channels)."""
        sharded = [c for c in channels if self._sharded and channel_has_slot(c)]
        return [c for c in channels if c not in sharded], sharded

    async def _join(self, channels: tuple[str, ...] | set[str]) -> None:
        classic, sharded = self._split(channels)
        if classic:
            await self._pubsub.subscribe(*classic)
        if sharded:
            await self._pubsub.ssubscribe(*sharded)

    async def subscribe(self, *channels: str) -> None:
        self._channels.update(channels)
        if self._listening and self._sharded is not None:
            with contextlib.suppress(RedisError, OSError):  # the listener re-subscribes after an outage
                await self._join(channels)

    async def unsubscribe(self, *channels: str) -> None:
        self._channels.difference_update(channels)
        if self._listening and self._sharded is not None:
            classic, sharded = self._split(channels)
            with contextlib.suppress(RedisError, OSError):
                if classic:
                    await self._pubsub.unsubscribe(*classic)
                if sharded:
                    await self._pubsub.sunsubscribe(*sharded)

    async def _next(self) -> dict[str, object] | None:
        """The next message heard, or None after a wait with nothing."""
        if not self._sharded:
            return await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_SECONDS)
        sharded = cast("ClusterPubSub", self._pubsub)  # sharded doorbells: a cluster's pub/sub
        for _ in range(max(1, int(POLL_SECONDS / (2 * SHARDED_SLICE_SECONDS)))):
            raw = None
            if sharded.shard_channels:
                raw = await sharded.get_sharded_message(ignore_subscribe_messages=True, timeout=SHARDED_SLICE_SECONDS)
                if lost_a_node(sharded):
                    raise ConnectionError("a cluster node's pub/sub connection was lost")
            if raw is None and sharded.channels:  # (asking with no classic channel joined is an error)
                raw = await sharded.get_message(ignore_subscribe_messages=True, timeout=SHARDED_SLICE_SECONDS)
            elif not sharded.shard_channels:
                await asyncio.sleep(SHARDED_SLICE_SECONDS)
            if raw is not None:
                return cast("dict[str, object]", raw)
        return None

    async def listen(self) -> AsyncIterator[Heard]:
        self._listening = True
        try:
            connected = False
            while True:
                heard: Heard | None = None
                try:
                    if not connected and not self._channels:  # nothing to hear yet
                        await asyncio.sleep(POLL_SECONDS)
                        continue
                    if not connected:
                        if self._sharded is None:
                            self._sharded = await rings_sharded(self.redis)
                        elif self._sharded:  # start over: one node's connection may be gone, the others not
                            await self._renew_pubsub()
                        await self._join(set(self._channels))
                        connected = True
                        heard = RECONNECTED
                    else:
                        raw = await self._next()
                        if raw is not None:
                            heard = Message(_text(cast("bytes", raw["channel"])), _bytes(cast("bytes", raw["data"])))
                except (RedisError, OSError) as exc:
                    if connected:
                        log.warning("doorbell connection lost (%s); reconnecting", exc)
                    connected = False
                    await asyncio.sleep(RECONNECT_SECONDS)
                    continue
                if heard is not None:
                    yield heard
        finally:
            self._listening = False

    async def _renew_pubsub(self) -> None:
        """A new pub/sub for the cluster, the old one let go (``listen`` joins every channel again)."""
        old, self._pubsub = self._pubsub, self.redis.pubsub()
        with contextlib.suppress(Exception):
            await old.aclose()

    async def publish(self, channel: str, data: bytes) -> None:
        if self._sharded is None:
            self._sharded = await rings_sharded(self.redis)
        ring = self.redis.spublish if bell_command(channel, self._sharded) == "SPUBLISH" else self.redis.publish
        await ring(channel, data)

    async def append(self, key: str, span: Span) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(key, {msgpack.packb(span.as_record()): span.start})
        pipe.zremrangebyrank(key, 0, -(HISTORY_SPANS + 1))
        pipe.expire(key, HISTORY_SECONDS)
        with contextlib.suppress(RedisError, OSError):
            await pipe.execute()

    async def spans_since(self, key: str, seq: int) -> list[Span]:
        try:
            raw = cast("list[bytes]", await self.redis.zrangebyscore(key, seq, "+inf"))  # members, no scores
        except (RedisError, OSError):
            return []
        return [Span.from_record(msgpack.unpackb(item, raw=False)) for item in raw]

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()


def lost_a_node(pubsub: ClusterPubSub) -> bool:
    """Whether the connection to some node holding sharded subscriptions failed. redis-py then reconnects that
    node in the background without saying so, and what was rung there meanwhile (and until it subscribes
    again) is lost: the broker starts over and says ``RECONNECTED``, so the hub reads every board again."""
    for node_pubsub in list(pubsub.node_pubsub_mapping.values()):
        connection = cast("Connection | None", node_pubsub.connection)  # (redis-py types it as None)
        if connection is not None and not connection.is_connected:
            return True
    return bool(getattr(pubsub, "_poll_cool_off", None))  # a node whose last poll failed (redis-py's own mark)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value
