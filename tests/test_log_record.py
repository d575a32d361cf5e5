"""The event log's compact storage: entries as positional arrays (``game/log_record.py``) and dedupe entries in
small buckets with short stream ids (``append_event.lua``), read back exactly as before, alongside entries and
dedupe entries written before them (msgpack maps, one unbucketed hash per shard), on a real Redis."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import msgpack
import pytest
from redis.asyncio import Redis

from game import keys, log_record
from game.events import Event, new_event
from game.log_event import LogEvent
from game.log_shards import id_order, shard_of
from game.store import Plan, Store, load_lua
from server.embedded_redis import EmbeddedRedis
from server.services.event_log_store import EventLogStore
from tests.support.log_dedupe import dedupe_entries_async

SHARDS = 2


def call(name: str, now: datetime, **extra: object) -> Event:
    return new_event(id=name, type="call.logged", rep="rep-1", now=now, default_currency="CNY", **extra)  # type: ignore[arg-type]


def varied(now: datetime) -> list[Event]:
    """Events with every optional field, unusual types, sources and moments."""
    win = new_event(
        id="deal-1",
        type="deal.won",
        rep="rep-2",
        now=now,
        default_currency="CNY",
        amount=Decimal("102300.25"),
        category="high_margin",
        customer="acme",
        attrs={"new_customer": True, "region": "华东", "n": 3},
    )
    return [
        call("c-1", now),
        call("c-2", now, occurred_at=now.replace(microsecond=0) - timedelta(days=3)),
        Event(**{**win.__dict__, "team": "team-1"}),
        new_event(id="r-1", type="deal.reversed", rep="rep-2", now=now, default_currency="CNY", ref="deal-1"),
        new_event(id="x-1", type="custom.kind", rep="rep-3", now=now, default_currency="CNY", source="hubspot"),
        call("c-3", now, occurred_at=now.astimezone(timezone(timedelta(hours=8))) - timedelta(hours=1)),
    ]


def test_every_record_reads_back_as_it_was_and_the_compact_form_is_a_third_of_the_map(now: datetime) -> None:
    for event in varied(now):
        record = event.to_record()
        field, raw = log_record.pack(record)
        assert field == log_record.COMPACT_FIELD
        assert log_record.pack_event(event) == (field, raw)  # the ingest path's shortcut writes the same bytes
        assert log_record.unpack({field: raw}) == record
        assert Event.from_record(log_record.unpack({field: raw})) == event
        assert log_record.unpack({b"e": msgpack.packb(record)}) == record  # entries written before
        for fields in ({field: raw}, {b"e": msgpack.packb(record)}):  # what replays read: moments parsed once
            parsed = log_record.unpack(fields, parsed=True)
            assert Event.from_record(parsed) == event
            assert repr(LogEvent.from_record(parsed)) == repr(LogEvent.from_event(event))
            assert LogEvent.from_record(parsed).received_at == event.received_at
    plain = call("sim-s2-call-2", now).to_record()
    assert len(log_record.pack(plain)[1]) * 3 < len(msgpack.packb(plain)) * 1.2
    offset = call("c-3", now, occurred_at=now.astimezone(timezone(timedelta(hours=8)))).to_record()
    assert isinstance(msgpack.unpackb(log_record.pack(offset)[1])[3], str)  # +08:00 would not read back as integer


def test_a_record_the_array_does_not_know_is_kept_as_a_map(now: datetime) -> None:
    record = call("c-1", now).to_record()
    for unusual in ({**record, "extra": 1}, {k: v for k, v in record.items() if k != "source"}):
        field, raw = log_record.pack(unusual)
        assert field == log_record.MAP_FIELD and log_record.unpack({field: raw}) == unusual


async def write_as_before(client: Redis, event: Event, stream_id: str) -> None:
    """Log an event as ``append_event.lua`` did before the compact forms: a map under ``e``, the full stream id in
    the shard's unbucketed dedupe hash."""
    shard = shard_of(event.key, SHARDS)
    await client.xadd(keys.event_log(shard), {"e": msgpack.packb(event.to_record())}, id=stream_id)
    await client.hset(keys.event_seen(shard), event.key, stream_id)


def one_per_shard(now: datetime) -> list[Event]:
    names = [f"ahead-{n}" for n in range(100)]
    return [call(next(name for name in names if shard_of(f"api:{name}", SHARDS) == s), now) for s in range(SHARDS)]


def test_entries_and_dedupe_entries_written_before_are_read_deduplicated_and_trimmed_with_the_new_ones(
    now: datetime,
) -> None:
    with EmbeddedRedis() as server:

        async def scenario() -> None:
            client = Redis.from_url(server.url)
            await client.set(keys.EVENT_LOG_SHARDS, SHARDS)
            base = int(now.timestamp() * 1000)
            old = [call(f"old-{n}", now - timedelta(minutes=10)) for n in range(6)]
            for n, event in enumerate(old):
                await write_as_before(client, event, f"{base - 60_000 + n}-0")
            # An old entry ahead of the clock in every shard: the new entries' ids then count up from it (-1, -2…),
            # so ids with and without a sequence number are both stored.
            ahead = [call(f"ahead-{shard}", now - timedelta(minutes=10)) for shard in range(SHARDS)]
            ahead = [
                next(call(f"ahead-{n}", now) for n in range(100) if shard_of(f"api:ahead-{n}", SHARDS) == s)
                for s in range(SHARDS)
            ]
            for event in ahead:
                await write_as_before(client, event, f"{base + 5_000}-0")
            new = varied(now) + [call(f"new-{n}", now) for n in range(40)]
            store = Store(client, log_shards=SHARDS)
            batch = new + new[:5] + old[:3]  # duplicates in one batch, and of entries written before
            results = await store.write_events([Plan(e, []) for e in batch])
            assert [r.new for r in results] == [True] * len(new) + [False] * 8
            restarted = Store(Redis.from_url(server.url), log_shards=SHARDS)  # a new process: the same answers
            again = await restarted.write_events([Plan(e, []) for e in old + ahead + new])
            assert not any(r.new for r in again)

            everything = old + ahead + new
            dedupe: dict[str, str] = {}
            for shard in range(SHARDS):
                dedupe |= await dedupe_entries_async(client, shard)
                for name in [n async for n in client.scan_iter(match=keys.event_seen(shard) + ":*")]:
                    assert await client.object("encoding", name) in (b"listpack", b"ziplist")  # ziplist: Redis < 7
            assert sorted(dedupe) == sorted(e.key for e in everything)
            assert any(id_order(sid)[1] > 0 for sid in dedupe.values())

            # The duplicate's answer names the entry it duplicates, in full, whichever form it was written in.
            append = client.register_script(load_lua("append_event"))
            for event in (old[0], ahead[0], new[0], next(e for e in new if id_order(dedupe[e.key])[1] > 0)):
                shard = shard_of(event.key, SHARDS)
                field, raw = log_record.pack(event.to_record())
                reply = await append(
                    keys=[keys.event_seen(shard), keys.event_log(shard), keys.event_seen(shard)],
                    args=[event.key, field, raw, keys.log_seen_bucket(event.key)],
                )
                assert [int(reply[0]), reply[1].decode()] == [0, dedupe[event.key]]

            event_log = EventLogStore(client, shards=SHARDS)
            found = await event_log.logged([e.key for e in everything] + ["api:never"])
            assert found == {e.key: e.to_record() for e in everything}
            read = [e async for _, batch_ in event_log.batches(batch=7) for e in batch_]
            assert sorted(e.key for e in read) == sorted(e.key for e in everything)
            assert {e.key: e for e in read} == {e.key: e for e in everything}
            assert [e.id for e in read[:6]] == [e.id for e in old]  # in log order

            # A dedupe entry that names another entry than the one trimmed stays (it is not this entry's).
            moved = new[1]
            moved_bucket = keys.event_seen_bucket(shard_of(moved.key, SHARDS), moved.key)
            await client.hset(moved_bucket, moved.key, "1-5")
            trimmed = await event_log.trim_before(now + timedelta(days=1))
            assert (trimmed.trimmed, trimmed.forgotten) == (len(everything), len(everything) - 1)
            left: dict[str, str] = {}
            for shard in range(SHARDS):
                left |= await dedupe_entries_async(client, shard)
            assert left == {moved.key: "1-5"}
            await client.aclose()
            await restarted.redis.aclose()

        asyncio.run(scenario())


@pytest.mark.parametrize("shards", [1, 3])
def test_a_stream_id_with_a_sequence_number_is_kept_whole(shards: int, now: datetime) -> None:
    with EmbeddedRedis() as server:

        async def scenario() -> None:
            client = Redis.from_url(server.url)
            events = [call(f"same-ms-{n}", now) for n in range(30)]
            store = Store(client, log_shards=shards)
            await client.set(keys.EVENT_LOG_SHARDS, shards)  # as a deployment does when it first logs
            before = [call(f"before-{n}", now) for n in range(10)]
            await store.write_events([Plan(e, []) for e in before])
            raw = [await client.hget(keys.event_seen_bucket(shard_of(e.key, shards), e.key), e.key) for e in before]
            assert any(b"-" not in value for value in raw)  # the first id of a millisecond is kept without its -0
            ahead = msgpack.packb(call("x", now).to_record())
            for shard in range(shards):  # every later id in this shard gets a sequence number
                await client.xadd(keys.event_log(shard), {"e": ahead}, id="9999999999999-0")
            await store.write_events([Plan(e, []) for e in events])
            found = await EventLogStore(client, shards=shards).logged([e.key for e in before + events])
            assert found == {e.key: e.to_record() for e in before + events}
            await client.aclose()

        asyncio.run(scenario())
