"""The hub's broker in memory, for testing the hub's logic without sockets or Redis.

It keeps Redis's semantics wherever the hub can tell them apart: only what is published on a subscribed
channel while listening is heard, in order; a lost connection loses what is published meanwhile and the
listener says ``RECONNECTED`` when it is back; a board's history is a sorted set of spans by start (an
identical span is kept once), trimmed to the latest ``HISTORY_SPANS``. It does not expire history.
``tests/test_broker.py`` runs the same checks on it and on ``RedisBroker``, so it cannot drift from the
real one unnoticed.

It lives with the tests, not in ``server/live``: a server running on it would hear no other process's
doorbells, and the server has no use for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgpack

from server.live.broker import RECONNECTED, Heard, Message
from server.live.history import HISTORY_SPANS
from server.services.diffs import Span


class MemoryBroker:
    """A ``Broker`` in one process's memory, with a connection a test can cut and restore."""

    def __init__(self) -> None:
        self.channels: set[str] = set()
        self.published: list[Message] = []  # everything published, heard or not
        self.connected = True
        self._heard: asyncio.Queue[Heard] | None = None  # while someone listens
        self._history: dict[str, dict[bytes, Span]] = {}
        self.closed = False

    async def subscribe(self, *channels: str) -> None:
        self.channels.update(channels)

    async def unsubscribe(self, *channels: str) -> None:
        self.channels.difference_update(channels)

    async def listen(self) -> AsyncIterator[Heard]:
        heard = self._heard = asyncio.Queue()
        if self.connected:
            heard.put_nowait(RECONNECTED)
        try:
            while True:
                yield await heard.get()
        finally:
            self._heard = None

    async def publish(self, channel: str, data: bytes) -> None:
        self.ring(channel, data)

    def ring(self, channel: str, data: bytes) -> None:
        """``publish`` for a test that is not a coroutine at that point (heard on the listener's next turn)."""
        self.published.append(Message(channel, data))
        if self._heard is not None and self.connected and channel in self.channels:
            self._heard.put_nowait(Message(channel, data))

    def cut(self) -> None:
        """The connection is lost: what is published from now until ``restore`` is heard by nobody."""
        self.connected = False

    def restore(self) -> None:
        """The connection is back: the listener says so before anything else it hears."""
        self.connected = True
        if self._heard is not None:
            self._heard.put_nowait(RECONNECTED)

    async def append(self, key: str, span: Span) -> None:
        spans = self._history.setdefault(key, {})
        spans[msgpack.packb(span.as_record())] = span  # as a sorted set member: the same span once
        if len(spans) > HISTORY_SPANS:
            self._history[key] = dict(_by_score(spans)[-HISTORY_SPANS:])

    async def spans_since(self, key: str, seq: int) -> list[Span]:
        return [span for _, span in _by_score(self._history.get(key, {})) if span.start >= seq]

    def forget(self, key: str) -> None:
        """Lose a board's history, as when it expires."""
        self._history.pop(key, None)

    async def close(self) -> None:
        self.closed = True


def _by_score(spans: dict[bytes, Span]) -> list[tuple[bytes, Span]]:
    """A sorted set's order: by score (a span's start), then by member."""
    return sorted(spans.items(), key=lambda item: (item[1].start, item[0]))
