"""The event log as read back from Redis: every accepted event, in order, for replays. Insights read a time
range of it as ``LogEvent``s (bounded, so one request cannot replay the world); a rescore walks all of it
in batches as engine ``Event``s. Writes go through the engine's scripts (``game/store.py``) only; the retention
job trims the oldest entries here.

The log may have several shards (``game/log_shards.py``): every read merges them into one global order, a
bounded batch at a time (one pipelined XRANGE per batch over all shards), and hands out positions that say
how far each shard was read.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis

from game import keys, log_record
from game.events import Event
from game.log_event import LogEvent
from game.log_shards import (
    StreamEntry,
    format_position,
    id_before,
    id_order,
    merge_fetched,
    parse_position,
    shard_of,
)
from game.simulation import paused_gc
from game.store import StreamEntries, load_lua, newest_entries, read_stream, text
from server.errors import ApiError

LOG_BATCH = 2000  # entries per XRANGE: each batch is parsed between two awaits
LOG_SLACK = timedelta(hours=1)  # stream ids are Redis's clock, received_at the app's: read a little wider
MAX_REPLAY_EVENTS = 2_000_000  # a request may replay at most this many logged events
REPLAY_BATCH = 500  # entries per XRANGE for a rescore: each batch is written before the next is read
MIN_SHARD_READ = 100  # a batch reads at least this many entries of each shard
TRIM_BATCH = 1000  # entries trimmed per script call (their dedupe entries go in the same call)
TRIM_ROUNDS = 20  # script calls per shard per trim: a long backlog is trimmed over several runs


def full_stream_id(stream_id: str) -> str:
    """A stream id as a dedupe bucket keeps it (``1700000000000`` for ``1700000000000-0``) in full."""
    return stream_id if "-" in stream_id else f"{stream_id}-0"


def _stream_id(moment: datetime) -> str:
    return f"{max(0, int(moment.timestamp() * 1000))}-0"


@dataclass(frozen=True)
class LogTrim:
    trimmed: int  # log entries removed
    forgotten: int  # dedupe entries removed with them
    more: bool  # older entries are left for the next run


class EventLogStore:
    def __init__(self, redis: Redis, *, shards: int = 1) -> None:
        self.redis = redis
        self.shards = shards
        self._trim = redis.register_script(load_lua("trim_log"))

    async def _merged(
        self, after: Sequence[str], upto: Sequence[str], count: int
    ) -> AsyncGenerator[tuple[str, list[StreamEntry]], None]:
        """Every shard's entries after the ids ``after`` up to the ids ``upto`` (inclusive; ``+``: the end), in
        global order, about ``count`` at a time, each batch with the position it reaches. A shard whose read comes
        back short is done (as a single stream's read was)."""
        positions = list(after)
        per_shard = count if self.shards == 1 else max(MIN_SHARD_READ, -(-count // self.shards))
        reading = list(range(self.shards))
        while reading:
            pipe = self.redis.pipeline(transaction=False)
            for shard in reading:
                pipe.xrange(keys.event_log(shard), min="(" + positions[shard], max=upto[shard], count=per_shard)
            fetched: list[StreamEntries] = [[] for _ in range(self.shards)]
            for shard, reply in zip(reading, await pipe.execute(), strict=True):
                fetched[shard] = cast(StreamEntries, reply)
            full = [len(entries) >= per_shard for entries in fetched]
            merged = merge_fetched(fetched, full)
            for shard, (stream_id, _) in merged:
                positions[shard] = stream_id.decode()
            reading = [
                shard
                for shard in reading
                if full[shard] or (fetched[shard] and fetched[shard][-1][0].decode() != positions[shard])
            ]
            if merged:
                yield format_position(positions), [entry for _, entry in merged]

    def _everywhere(self, position: str) -> list[str]:
        return ["+"] * self.shards if position == "+" else parse_position(position, self.shards)

    async def read_events(self, since: datetime, until: datetime | None = None) -> list[LogEvent]:
        """Logged events received from about ``since`` to ``until`` (default: now), in log order.

        The range is read a little wider than asked (the replay filters by ``received_at`` itself); more
        than ``MAX_REPLAY_EVENTS`` is refused with 413.
        """
        start = [id_before(since - LOG_SLACK)] * self.shards
        end = self._everywhere(_stream_id(until + LOG_SLACK) if until is not None else "+")
        events: list[LogEvent] = []
        with paused_gc():
            async for _, entries in self._merged(start, end, LOG_BATCH):
                events.extend(LogEvent.from_record(log_record.unpack(fields, parsed=True)) for _, fields in entries)
                if len(events) > MAX_REPLAY_EVENTS:
                    raise ApiError(
                        413, f"too many events to replay: at most {MAX_REPLAY_EVENTS:,}; choose a shorter period"
                    )
        return events

    async def read_after(
        self, since: datetime, after: str | None, most: int = MAX_REPLAY_EVENTS
    ) -> tuple[str | None, list[LogEvent]]:
        """Logged events after position ``after`` (from about ``since`` when None), in log order, with the position
        of the last one read (``after`` when there is nothing new): what an incremental replay feeds next. At most
        ``MAX_REPLAY_EVENTS`` at once (413 beyond); with a smaller ``most``, about that many (whole batches), the
        rest left for the next read from the position returned."""
        start = parse_position(after, self.shards) if after else [id_before(since - LOG_SLACK)] * self.shards
        events: list[LogEvent] = []
        last = after
        with paused_gc():
            async with aclosing(self._merged(start, ["+"] * self.shards, min(LOG_BATCH, most))) as batches:
                async for reached, entries in batches:
                    last = reached
                    events.extend(LogEvent.from_record(log_record.unpack(f, parsed=True)) for _, f in entries)
                    if len(events) > MAX_REPLAY_EVENTS:
                        raise ApiError(413, f"too many events to replay: at most {MAX_REPLAY_EVENTS:,}")
                    if len(events) >= most:
                        break
        return last, events

    async def batches(
        self, after: str = "-", batch: int = REPLAY_BATCH, upto: str | datetime = "+"
    ) -> AsyncIterator[tuple[str, list[Event]]]:
        """The whole log after position ``after`` (up to stream id ``upto``, or about a moment), in order, in
        batches, with the position each batch reaches (to resume from)."""
        end = _stream_id(upto) if isinstance(upto, datetime) else upto
        async for last, entries in self._merged(parse_position(after, self.shards), self._everywhere(end), batch):
            yield last, [Event.from_record(log_record.unpack(fields, parsed=True)) for _, fields in entries]

    async def window_batches(
        self, since: datetime, upto: str, keep: Callable[[dict[str, Any]], bool], batch: int = REPLAY_BATCH
    ) -> AsyncIterator[tuple[str, list[Event]]]:
        """The entries received from about ``since`` up to position ``upto``, in order and in batches, as engine
        ``Event``s: only the records ``keep`` accepts are parsed (with the position each batch reaches)."""
        start = [id_before(since - LOG_SLACK)] * self.shards
        async for last, entries in self._merged(start, self._everywhere(upto), batch):
            records = (log_record.unpack(fields, parsed=True) for _, fields in entries)
            yield last, [Event.from_record(record) for record in records if keep(record)]

    async def newest_id(self) -> str:
        """The position of the newest entry of every shard (``0-0`` for an empty log): where a backfill may stop.
        With one shard, the stream id of the newest entry."""
        if self.shards == 1:
            newest = await newest_entries(self.redis, keys.event_log(0), count=1)
            return newest[0][0].decode() if newest else "0-0"
        pipe = self.redis.pipeline(transaction=False)
        for shard in range(self.shards):
            pipe.xrevrange(keys.event_log(shard), count=1)
        return format_position([text(newest[0][0]) if newest else "0-0" for newest in await pipe.execute()])

    async def logged(self, event_keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The logged records of some events by their keys (those found), in two round trips: each shard's dedupe
        hash names its events' stream ids, then one XRANGE each."""
        if not event_keys:
            return {}
        by_shard: dict[int, list[str]] = {}
        for key in dict.fromkeys(event_keys):
            by_shard.setdefault(shard_of(key, self.shards), []).append(key)
        pipe = self.redis.pipeline(transaction=False)
        asked = [(shard, key) for shard, wanted_keys in by_shard.items() for key in wanted_keys]
        for shard, key in asked:
            pipe.hget(keys.event_seen_bucket(shard, key), key)
        for shard, wanted_keys in by_shard.items():  # entries written before the buckets
            pipe.hmget(keys.event_seen(shard), wanted_keys)
        replies = await pipe.execute()
        earlier = iter(sid for stream_ids in replies[len(asked) :] for sid in stream_ids)
        wanted = [
            (key, shard, full_stream_id(text(sid or unbucketed)))
            for (shard, key), sid, unbucketed in zip(asked, replies[: len(asked)], earlier, strict=True)
            if sid or unbucketed
        ]
        pipe = self.redis.pipeline(transaction=False)
        for _key, shard, sid in wanted:
            pipe.xrange(keys.event_log(shard), min=sid, max=sid, count=1)
        found: dict[str, dict[str, Any]] = {}
        for (key, _shard, _sid), entries in zip(wanted, await pipe.execute(), strict=True):
            if entries:
                found[key] = log_record.unpack(entries[0][1])
        return found

    async def repaired_upto(self, default: datetime) -> str:
        """The stream id up to which the repair pass has checked the log (about ``default`` the first time)."""
        kept = await self.redis.get(keys.REPAIRED_UPTO)
        return text(kept) if kept else _stream_id(default)

    async def keep_repaired_upto(self, stream_id: str) -> None:
        await self.redis.set(keys.REPAIRED_UPTO, stream_id)

    async def length(self) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for shard in range(self.shards):
            pipe.xlen(keys.event_log(shard))
        return sum(int(length) for length in await pipe.execute())

    async def trim_before(self, moment: datetime, *, batch: int = TRIM_BATCH, rounds: int = TRIM_ROUNDS) -> LogTrim:
        """Remove the entries received before ``moment`` from every shard, with their dedupe entries (at most
        ``rounds`` batches per shard; ``more`` says some are left). One round trip when there is nothing to trim. Each
        batch goes in one script call, so a dedupe entry never outlives its log entry nor goes before it."""
        end = id_before(moment)
        pipe = self.redis.pipeline(transaction=False)
        for shard in range(self.shards):
            pipe.xrange(keys.event_log(shard), min="-", max=end, count=1)
        aged = [shard for shard, oldest in enumerate(await pipe.execute()) if oldest]
        trimmed = forgotten = 0
        more = False
        for shard in aged:
            for _ in range(rounds):
                entries = await read_stream(self.redis, keys.event_log(shard), "-", end, count=batch)
                if not entries:
                    break
                triples: list[str | bytes] = []
                for stream_id, fields in entries:
                    key = Event.from_record(log_record.unpack(fields, parsed=True)).key
                    triples += [keys.log_seen_bucket(key), key, stream_id]
                millis, seq = id_order(entries[-1][0])
                removed, dropped = await self._trim(
                    keys=[keys.event_seen(shard), keys.event_log(shard)], args=[f"{millis}-{seq + 1}", *triples]
                )
                trimmed += int(removed)
                forgotten += int(dropped)
                if len(entries) < batch:
                    break
            else:
                more = True
        if trimmed:
            await self.redis.set(keys.EVENT_LOG_TRIMMED, int(moment.timestamp() * 1000))
        return LogTrim(trimmed, forgotten, more)

    async def mark_rewritten(self) -> None:
        """Count an in-place rewrite of the log (an erasure renames a rep in it): what was derived from the log
        and kept in memory (the month sums of ``period_totals.py``) starts over in every process."""
        await self.redis.incr(keys.EVENT_LOG_REWRITES)

    async def version(self) -> tuple[datetime | None, int]:
        """What the log's earlier entries depend on: the moment the retention trimmed before (``trimmed_before``)
        and the number of in-place rewrites, read in one round trip."""
        millis, rewrites = await self.redis.mget([keys.EVENT_LOG_TRIMMED, keys.EVENT_LOG_REWRITES])
        trimmed = None if millis is None else datetime.fromtimestamp(int(millis) / 1000, UTC)
        return trimmed, int(rewrites or 0)

    async def trimmed_before(self) -> datetime | None:
        """The moment before which the retention trimmed entries (None: nothing was ever trimmed)."""
        millis = await self.redis.get(keys.EVENT_LOG_TRIMMED)
        return None if millis is None else datetime.fromtimestamp(int(millis) / 1000, UTC)
