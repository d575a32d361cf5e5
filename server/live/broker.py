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
from redis.exceptions import RedisError

from server.live.history import HISTORY_SECONDS, HISTORY_SPANS
from server.services.diffs import Span

log = logging.getLogger("arena.hub")

RECONNECT_SECONDS = 0.5  # between attempts to reach Redis again
POLL_SECONDS = 1.0  # the listener wakes this often with nothing heard, so a dead connection shows


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
    """Redis pub/sub for doorbells (one connection per process) and a sorted set per board for history."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._pubsub = redis.pubsub()
        self._channels: set[str] = set()
        self._listening = False  # before the listener runs, subscribing only notes the channel

    async def subscribe(self, *channels: str) -> None:
        self._channels.update(channels)
        if self._listening:
            with contextlib.suppress(RedisError, OSError):  # the listener re-subscribes after an outage
                await self._pubsub.subscribe(*channels)

    async def unsubscribe(self, *channels: str) -> None:
        self._channels.difference_update(channels)
        if self._listening:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(*channels)

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
                        await self._pubsub.subscribe(*self._channels)
                        connected = True
                        heard = RECONNECTED
                    else:
                        raw = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_SECONDS)
                        if raw is not None:
                            heard = Message(_text(raw["channel"]), _bytes(raw["data"]))
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

    async def publish(self, channel: str, data: bytes) -> None:
        await self.redis.publish(channel, data)

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


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value
