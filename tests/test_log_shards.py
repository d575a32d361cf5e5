"""The event log in several shards (``ARENA_LOG_SHARDS``): where each event goes, dedupe that stays exact, and
reads that merge every shard into one global order, a bounded batch at a time, on a real Redis."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

import msgpack
import pytest
from redis.asyncio import Redis

from game import keys, log_record
from game.events import Event, new_event
from game.log_shards import format_position, merge_fetched, parse_position, position_millis, shard_of
from game.store import LogShardsChanged, Plan, Store
from server.embedded_redis import EmbeddedRedis
from server.services.event_log_store import MIN_SHARD_READ, EventLogStore
from tests.support.log_dedupe import dedupe_entries_async

T = TypeVar("T")


@pytest.fixture(scope="module")
def shard_redis() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
def client(shard_redis: EmbeddedRedis) -> Iterator[Redis]:
    """A client on an emptied Redis of this module's own (shard counts are set once per Redis), with a loop."""
    with asyncio.Runner() as runner:
        redis = Redis.from_url(shard_redis.url)
        runner.run(redis.flushall())
        RUNNER[0] = runner
        yield redis
        runner.run(redis.aclose())


RUNNER: list[asyncio.Runner] = [asyncio.Runner()]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return RUNNER[0].run(coroutine)


def event(number: int, now: datetime, source: str = "api") -> Event:
    return new_event(
        id=f"evt-{number}",
        type="call.logged",
        rep=f"rep-{number % 7}",
        now=now,
        default_currency="CNY",
        source=source,
        occurred_at=now - timedelta(minutes=number % 50),
    )


async def log_all(store: Store, events: list[Event], batch: int = 50) -> list[bool]:
    new: list[bool] = []
    for start in range(0, len(events), batch):
        results = await store.write_events([Plan(e, []) for e in events[start : start + batch]])
        new += [result.new for result in results]
    return new


async def collect(batches: AsyncIterator[tuple[str, list[Event]]]) -> tuple[list[str], list[str]]:
    positions, found = [], []
    async for position, events in batches:
        positions.append(position)
        found += [e.key for e in events]
    return positions, found


# --- the pure rules -------------------------------------------------------------------------------


def test_an_event_s_shard_is_a_stable_hash_of_its_key_spread_evenly() -> None:
    # crc32 of the key: the same in every process, on every machine and every Python (a log written by one is
    # read and deduplicated by the others), so these are pinned.
    assert [shard_of(f"api:evt-{n}", 4) for n in range(8)] == [2, 0, 2, 0, 3, 1, 3, 1]
    assert {shard_of(f"api:evt-{n}", 1) for n in range(100)} == {0}
    spread = Counter(shard_of(f"hubspot:deal-{n}", 4) for n in range(20_000))
    assert sorted(spread) == [0, 1, 2, 3]
    assert all(4_500 <= count <= 5_500 for count in spread.values()), spread


def test_positions_read_back_as_written_and_one_shard_keeps_plain_stream_ids() -> None:
    assert format_position(["5-1"]) == "5-1" and parse_position("5-1", 1) == ["5-1"]
    assert format_position(["5-1", "5-1", "5-1"]) == "5-1"
    assert parse_position("5-1", 3) == ["5-1"] * 3
    assert parse_position(format_position(["5-1", "7-0", "0-0"]), 3) == ["5-1", "7-0", "0-0"]
    assert parse_position("-", 2) == parse_position(None, 2) == ["0-0", "0-0"]
    assert position_millis("5-1,7-0,0-0") == 7
    with pytest.raises(ValueError):
        parse_position("5-1,7-0", 3)
    with pytest.raises(ValueError):
        parse_position("five", 1)


def test_merging_orders_by_id_then_shard_and_holds_back_what_a_full_shard_may_still_precede() -> None:
    def entries(*ids: str) -> list[tuple[bytes, dict[bytes, bytes]]]:
        return [(i.encode(), {}) for i in ids]

    fetched = [entries("1-0", "3-0"), entries("1-0", "2-0", "4-0"), entries("5-0")]
    order = [(shard, entry[0].decode()) for shard, entry in merge_fetched(fetched, [False, False, False])]
    assert order == [(0, "1-0"), (1, "1-0"), (1, "2-0"), (0, "3-0"), (1, "4-0"), (2, "5-0")]
    # Shard 0 came back full at 3-0: shard 1's 4-0 and shard 2's 5-0 wait for shard 0's next read.
    held = [(shard, entry[0].decode()) for shard, entry in merge_fetched(fetched, [True, False, False])]
    assert held == [(0, "1-0"), (1, "1-0"), (1, "2-0"), (0, "3-0")]


# --- on Redis ---------------------------------------------------------------------------------------


def test_each_event_is_logged_once_in_its_own_shard_with_duplicates_in_and_across_batches(
    client: Redis, now: datetime
) -> None:
    store = Store(client, log_shards=3)
    events = [event(n, now) for n in range(300)]
    batch = events[:100] + events[:20]  # duplicates within one batch
    first = run(store.write_events([Plan(e, []) for e in batch]))
    assert [r.new for r in first] == [True] * 100 + [False] * 20
    assert run(log_all(store, events)) == [False] * 100 + [True] * 200  # and across batches
    assert run(log_all(store, events)) == [False] * 300
    other_source = run(log_all(store, [event(n, now, source="hubspot") for n in range(10)]))
    assert other_source == [True] * 10  # ids are unique per source
    lengths = [run(client.xlen(keys.event_log(shard))) for shard in range(3)]
    seen = [run(dedupe_entries_async(client, shard)) for shard in range(3)]
    assert lengths == [len(entries) for entries in seen] and sum(lengths) == 310 and min(lengths) > 60
    for e in events[:30]:
        assert run(client.hexists(keys.event_seen_bucket(shard_of(e.key, 3), e.key), e.key))
    assert keys.event_log(0) == keys.EVENT_LOG and keys.event_seen(0) == keys.EVENT_SEEN  # shard 0: the old names
    assert keys.event_log(2) == "arena:{log:2}:events"


def test_every_read_merges_the_shards_in_one_global_order_in_bounded_batches(client: Redis, now: datetime) -> None:
    store = Store(client, log_shards=4)
    event_log = EventLogStore(client, shards=4)
    events = [event(n, now) for n in range(1_000)]
    run(log_all(store, events, batch=100))

    async def global_order() -> list[str]:
        keyed = []
        for shard in range(4):
            for stream_id, fields in await client.xrange(keys.event_log(shard)):
                millis, seq = map(int, stream_id.decode().split("-"))
                keyed.append(((millis, seq, shard), Event.from_record(log_record.unpack(fields)).key))
        return [key for _, key in sorted(keyed)]

    expected = run(global_order())
    assert sorted(expected) == sorted(e.key for e in events)
    positions, found = run(collect(event_log.batches(batch=64)))
    assert found == expected
    assert len(positions) >= 1_000 // (4 * MIN_SHARD_READ)  # a bounded batch at a time: at most 100 per shard
    # Resuming from any position reads exactly the rest, in the same order.
    middle = positions[len(positions) // 2]
    _, rest = run(collect(event_log.batches(after=middle, batch=64)))
    _, head = run(collect(event_log.batches(upto=middle, batch=64)))
    assert head + rest == expected
    assert run(event_log.length()) == 1_000
    assert [e.key for e in run(event_log.read_events(now - timedelta(days=1)))] == expected
    # An incremental reader picks up exactly what arrived since its position.
    last, seen = run(event_log.read_after(now - timedelta(days=1), None))
    assert len(seen) == 1_000
    later = [event(n, now) for n in range(1_000, 1_200)]
    run(log_all(store, later))
    again, fresh = run(event_log.read_after(now - timedelta(days=1), last))
    assert sorted(e.key for e in fresh) == sorted(e.key for e in later)
    assert run(event_log.read_after(now, again)) == (again, [])
    newest = run(event_log.newest_id())
    assert len(parse_position(newest, 4)) == 4
    _, upto_newest = run(collect(event_log.window_batches(now - timedelta(days=1), newest, lambda record: True)))
    assert len(upto_newest) == 1_200
    found_records = run(event_log.logged([e.key for e in events[:40]] + ["api:never-sent"]))
    assert set(found_records) == {e.key for e in events[:40]}
    assert found_records[events[7].key]["id"] == "evt-7"


def test_one_shard_reads_as_before_sharding(client: Redis, now: datetime) -> None:
    store = Store(client)
    event_log = EventLogStore(client)
    run(log_all(store, [event(n, now) for n in range(120)]))
    positions, found = run(collect(event_log.batches(batch=50)))
    assert len(found) == 120 and len(positions) == 3
    newest = run(client.xrevrange(keys.EVENT_LOG, count=1))[0][0].decode()
    assert positions[-1] == newest == run(event_log.newest_id())  # positions are plain stream ids


def test_a_log_refuses_another_shard_count_than_it_was_first_written_with(client: Redis, now: datetime) -> None:
    run(log_all(Store(client), [event(1, now)]))  # a log written before sharding: one shard
    with pytest.raises(LogShardsChanged, match=r"written in 1 shard.*ARENA_LOG_SHARDS is 3"):
        run(Store(client, log_shards=3).write_events([Plan(event(2, now), [])]))
    assert run(client.xlen(keys.EVENT_LOG)) == 1 and not run(client.exists(keys.event_log(1), keys.event_log(2)))
    run(client.flushall())
    run(Store(client, log_shards=3).check_log_shards())  # an empty log takes the count it is first given
    with pytest.raises(LogShardsChanged, match="written in 3 shard"):
        run(Store(client, log_shards=2).check_log_shards())
    run(Store(client, log_shards=3).check_log_shards())


def test_a_position_resumes_exactly_when_a_shard_appends_behind_another_s_clock(client: Redis, now: datetime) -> None:
    """Cluster nodes' clocks differ, and two shards can log in the same millisecond: an entry appended later to
    one shard may carry an earlier id than entries already read from another. Positions keep one id per shard,
    so an incremental reader still gets it, once."""
    event_log = EventLogStore(client, shards=2)
    base = int(now.timestamp() * 1000)

    def append(shard: int, millis: int, name: str) -> None:
        record = msgpack.packb(event(0, now).to_record() | {"id": name})
        run(client.xadd(keys.event_log(shard), {"e": record}, id=f"{millis}-0"))

    append(0, base, "a")
    append(0, base + 50, "b")  # shard 0's clock runs ahead
    append(1, base + 10, "c")
    since = now - timedelta(minutes=1)
    position, first = run(event_log.read_after(since, None))
    assert [e.id for e in first] == ["a", "c", "b"]
    assert position == f"{base + 50}-0,{base + 10}-0"
    append(1, base + 20, "d")  # later, but before what was read from shard 0
    append(1, base + 50, "e")  # the very id shard 0 has: after it, by shard number
    append(0, base + 60, "f")
    position, later = run(event_log.read_after(since, position))
    assert [e.id for e in later] == ["d", "e", "f"]
    assert run(event_log.read_after(since, position)) == (position, [])
    _, everything = run(collect(event_log.batches()))
    assert [key.split(":", 1)[1] for key in everything] == ["a", "c", "d", "b", "e", "f"]
