"""The event log as read back from Redis: every accepted event, in order, for replays. Insights read a time
range of it as ``LogEvent``s (bounded, so one request cannot replay the world); a rescore walks all of it
in batches as engine ``Event``s. Writes go through the engine's scripts (``game/store.py``) only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import msgpack
from redis.asyncio import Redis

from game import keys
from game.events import Event
from game.log_event import LogEvent
from game.simulation import paused_gc
from game.store import read_stream
from server.errors import ApiError

LOG_BATCH = 2000  # entries per XRANGE: each batch is parsed between two awaits
LOG_SLACK = timedelta(hours=1)  # stream ids are Redis's clock, received_at the app's: read a little wider
MAX_REPLAY_EVENTS = 2_000_000  # a request may replay at most this many logged events
REPLAY_BATCH = 500  # entries per XRANGE for a rescore: each batch is written before the next is read


def _stream_id(moment: datetime) -> str:
    return f"{max(0, int(moment.timestamp() * 1000))}-0"


class EventLogStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def read_events(self, since: datetime, until: datetime | None = None) -> list[LogEvent]:
        """Logged events received from about ``since`` to ``until`` (default: now), in log order.

        The range is read a little wider than asked (the replay filters by ``received_at`` itself); more
        than ``MAX_REPLAY_EVENTS`` is refused with 413.
        """
        start = _stream_id(since - LOG_SLACK)
        end = _stream_id(until + LOG_SLACK) if until is not None else "+"
        events: list[LogEvent] = []
        with paused_gc():
            while True:
                entries = await read_stream(self.redis, keys.EVENT_LOG, start, end, count=LOG_BATCH)
                if not entries:
                    break
                events.extend(LogEvent.from_record(msgpack.unpackb(fields[b"e"], raw=False)) for _, fields in entries)
                if len(events) > MAX_REPLAY_EVENTS:
                    raise ApiError(
                        413, f"too many events to replay: at most {MAX_REPLAY_EVENTS:,}; choose a shorter period"
                    )
                if len(entries) < LOG_BATCH:
                    break
                start = "(" + entries[-1][0].decode()
        return events

    async def batches(self, after: str = "-", batch: int = REPLAY_BATCH) -> AsyncIterator[tuple[str, list[Event]]]:
        """The whole log after stream id ``after``, in order, in batches, with the id of each batch's last
        entry (to resume from)."""
        start = after if after == "-" else f"({after}"
        while True:
            entries = await read_stream(self.redis, keys.EVENT_LOG, start, "+", count=batch)
            if not entries:
                return
            events = [Event.from_record(msgpack.unpackb(fields[b"e"], raw=False)) for _, fields in entries]
            last = entries[-1][0].decode()
            yield last, events
            start = f"({last}"

    async def length(self) -> int:
        return int(await self.redis.xlen(keys.EVENT_LOG))
