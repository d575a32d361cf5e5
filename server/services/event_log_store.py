"""The event log as read back from Redis: every accepted event, in order, for replays. Insights read a time
range of it as ``LogEvent``s (bounded, so one request cannot replay the world); a rescore walks all of it
in batches as engine ``Event``s. Writes go through the engine's scripts (``game/store.py``) only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgpack
from redis.asyncio import Redis

from game import keys
from game.events import Event
from game.log_event import LogEvent
from game.simulation import paused_gc
from game.store import newest_entries, read_stream, text
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

    async def read_after(self, since: datetime, after: str | None) -> tuple[str | None, list[LogEvent]]:
        """Logged events after stream id ``after`` (from about ``since`` when None), in log order, with the id of
        the last one read (``after`` when there is nothing new): what an incremental replay feeds next. At most
        ``MAX_REPLAY_EVENTS`` at once (413 beyond)."""
        start = f"({after}" if after else _stream_id(since - LOG_SLACK)
        events: list[LogEvent] = []
        last = after
        with paused_gc():
            while True:
                entries = await read_stream(self.redis, keys.EVENT_LOG, start, "+", count=LOG_BATCH)
                if not entries:
                    break
                events.extend(LogEvent.from_record(msgpack.unpackb(fields[b"e"], raw=False)) for _, fields in entries)
                if len(events) > MAX_REPLAY_EVENTS:
                    raise ApiError(413, f"too many events to replay: at most {MAX_REPLAY_EVENTS:,}")
                last = entries[-1][0].decode()
                if len(entries) < LOG_BATCH:
                    break
                start = f"({last}"
        return last, events

    async def batches(
        self, after: str = "-", batch: int = REPLAY_BATCH, upto: datetime | None = None
    ) -> AsyncIterator[tuple[str, list[Event]]]:
        """The whole log after stream id ``after`` (up to about ``upto``), in order, in batches, with the id of
        each batch's last entry (to resume from)."""
        start = after if after == "-" else f"({after}"
        end = "+" if upto is None else _stream_id(upto)
        while True:
            entries = await read_stream(self.redis, keys.EVENT_LOG, start, end, count=batch)
            if not entries:
                return
            events = [Event.from_record(msgpack.unpackb(fields[b"e"], raw=False)) for _, fields in entries]
            last = entries[-1][0].decode()
            yield last, events
            start = f"({last}"

    async def window_batches(
        self, since: datetime, upto: str, keep: Callable[[dict[str, Any]], bool], batch: int = REPLAY_BATCH
    ) -> AsyncIterator[tuple[str, list[Event]]]:
        """The entries received from about ``since`` up to stream id ``upto``, in order and in batches, as engine
        ``Event``s: only the records ``keep`` accepts are parsed (with the id of each batch's last entry)."""
        start = _stream_id(since - LOG_SLACK)
        while True:
            entries = await read_stream(self.redis, keys.EVENT_LOG, start, upto, count=batch)
            if not entries:
                return
            records = (msgpack.unpackb(fields[b"e"], raw=False) for _, fields in entries)
            last = entries[-1][0].decode()
            yield last, [Event.from_record(record) for record in records if keep(record)]
            if len(entries) < batch:
                return
            start = f"({last}"

    async def newest_id(self) -> str:
        """The stream id of the newest entry (``0-0`` for an empty log): where a backfill may stop."""
        newest = await newest_entries(self.redis, keys.EVENT_LOG, count=1)
        return newest[0][0].decode() if newest else "0-0"

    async def logged(self, event_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The logged records of some events by their keys (those found), in two round trips: the dedupe
        hash names each event's stream id, then one XRANGE each."""
        if not event_keys:
            return {}
        stream_ids = await self.redis.hmget(keys.EVENT_SEEN, list(event_keys))
        wanted = [(key, text(sid)) for key, sid in zip(event_keys, stream_ids, strict=True) if sid]
        pipe = self.redis.pipeline(transaction=False)
        for _key, sid in wanted:
            pipe.xrange(keys.EVENT_LOG, min=sid, max=sid, count=1)
        found: dict[str, dict[str, Any]] = {}
        for (key, _sid), entries in zip(wanted, await pipe.execute(), strict=True):
            if entries:
                found[key] = msgpack.unpackb(entries[0][1][b"e"], raw=False)
        return found

    async def repaired_upto(self, default: datetime) -> str:
        """The stream id up to which the repair pass has checked the log (about ``default`` the first time)."""
        kept = await self.redis.get(keys.REPAIRED_UPTO)
        return text(kept) if kept else _stream_id(default)

    async def keep_repaired_upto(self, stream_id: str) -> None:
        await self.redis.set(keys.REPAIRED_UPTO, stream_id)

    async def length(self) -> int:
        return int(await self.redis.xlen(keys.EVENT_LOG))
