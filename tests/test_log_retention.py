"""The event log's retention (``ARENA_LOG_RETENTION_DAYS``): entries past it are trimmed with their dedupe
entries, recent ones stay, and an event old enough to have been forgotten is refused instead of counted again.
Also the settings of the sharded log and a server refusing a shard count the log was not written with."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import msgpack
import pytest
import redis
from redis.asyncio import Redis

from game import keys
from game.events import Event, new_event
from game.log_retention import earliest_accepted, replayable, trim_before
from game.log_shards import shard_of
from game.store import Plan, Store
from server.config import ConfigError, load_settings
from server.embedded_redis import EmbeddedRedis
from server.services.event_log_store import EventLogStore
from tests.support.events_cli import events_cli_with
from tests.support.log_dedupe import dedupe_entries
from tests.support.org import make_org
from tests.support.server import launch_server
from tests.support.waiting import eventually


def event(name: str, occurred_at: datetime, received_at: datetime) -> Event:
    made = new_event(
        id=name, type="call.logged", rep="rep-1", now=received_at, default_currency="CNY", occurred_at=occurred_at
    )
    return made


def log_as_of(client: redis.Redis, made: Event, shards: int) -> str:
    """Log an event as ``append_event.lua`` would have on the day it was received (its stream id that day)."""
    client.set(keys.EVENT_LOG_SHARDS, shards, nx=True)  # as the deployment did when it first logged
    shard = shard_of(made.key, shards)
    millis = int(made.received_at.timestamp() * 1000)
    stream_id = client.xadd(keys.event_log(shard), {"e": msgpack.packb(made.to_record())}, id=f"{millis}-0")
    client.hset(keys.event_seen(shard), made.key, stream_id)
    return stream_id.decode()


def logged_keys(client: redis.Redis, shards: int) -> set[str]:
    return {key for shard in range(shards) for key in dedupe_entries(client, shard)}


def test_trimming_removes_old_entries_and_their_dedupe_entries_in_every_shard_and_keeps_recent_ones(
    now: datetime,
) -> None:
    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url)
        old = [
            event(f"old-{n}", now - timedelta(days=420, hours=n), now - timedelta(days=420, hours=n)) for n in range(9)
        ]
        for made in reversed(old):  # oldest first, as they arrived
            log_as_of(client, made, 3)
        recent = [event(f"new-{n}", now - timedelta(days=2), now) for n in range(12)]

        async def scenario() -> None:
            redis_client = Redis.from_url(server.url)
            assert [r.new for r in await Store(redis_client, log_shards=3).write_events([Plan(e, []) for e in recent])]
            event_log = EventLogStore(redis_client, shards=3)
            assert await event_log.length() == 21
            # A slice at a time: two entries per shard per run, with more left behind.
            first = await event_log.trim_before(trim_before(now, 400), batch=2, rounds=1)
            assert first.trimmed == first.forgotten == 6 and first.more
            rest = await event_log.trim_before(trim_before(now, 400))
            assert (rest.trimmed, rest.forgotten, rest.more) == (3, 3, False)
            assert await event_log.length() == 12
            nothing = await event_log.trim_before(trim_before(now, 400))
            assert (nothing.trimmed, nothing.forgotten) == (0, 0)
            _, kept = await event_log.read_after(now - timedelta(days=500), None)
            assert sorted(e.key for e in kept) == sorted(e.key for e in recent)
            await redis_client.aclose()

        asyncio.run(scenario())
        assert logged_keys(client, 3) == {e.key for e in recent}
        assert sum(client.xlen(keys.event_log(shard)) for shard in range(3)) == 12
        client.close()


def test_an_event_older_than_the_retention_is_refused_with_its_reason(ingest: httpx.Client, now: datetime) -> None:
    too_old = (earliest_accepted(now, 400) - timedelta(minutes=1)).isoformat()
    just_in = (earliest_accepted(now, 400) + timedelta(hours=1)).isoformat()
    events = [
        {"id": "ancient-1", "type": "call.logged", "rep": "nobody-known", "occurred_at": too_old},
        {"id": "ancient-2", "type": "call.logged", "rep": "nobody-known", "occurred_at": just_in},
    ]
    answer = ingest.post("/api/v1/events", json=events).json()
    assert answer["accepted"] == 0
    first, second = answer["rejected"]
    assert first["index"] == 0
    assert first["errors"] == [
        {
            "field": "occurred_at",
            "message": "must be within the last 399 days: the event log keeps 400 (ARENA_LOG_RETENTION_DAYS)",
        }
    ]
    assert second["index"] == 1 and second["errors"][0]["field"] == "rep"  # only its rep is wrong


def test_a_duplicate_of_an_event_the_log_forgot_is_refused_not_counted_again(tmp_path: Path, now: datetime) -> None:
    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url)
        arena = launch_server(server.url, tmp_path / "server", ARENA_LOG_SHARDS="2", ARENA_SCHEDULER_SECONDS="1")
        try:
            with arena.admin() as admin:
                org = make_org(admin)
            # A deal received 401 days ago: the retention job trims it and its dedupe entry on its next run.
            long_ago = now - timedelta(days=401)
            forgotten = new_event(
                id="deal-long-ago",
                type="deal.won",
                rep=org.reps[0],
                now=long_ago,
                default_currency="CNY",
                occurred_at=long_ago,
                amount=Decimal("5000"),
            )
            log_as_of(client, forgotten, 2)
            eventually(lambda: forgotten.key not in logged_keys(client, 2), what="the old deal trimmed")
            assert sum(client.xlen(keys.event_log(shard)) for shard in range(2)) == 0
            again = {
                "id": forgotten.id,
                "type": "deal.won",
                "rep": org.reps[0],
                "amount": "5000",
                "occurred_at": forgotten.occurred_at.isoformat(),
            }
            with arena.ingest() as ingest:
                answer = ingest.post("/api/v1/events", json=[again]).json()
            assert answer["accepted"] == 0 and answer["rejected"][0]["errors"][0]["field"] == "occurred_at"
            assert sum(client.xlen(keys.event_log(shard)) for shard in range(2)) == 0
            # A contest of those days cannot be rescored any more: its boards would lose the trimmed events.
            with arena.admin() as admin:
                old_contest = {
                    **org.definition,
                    "id": "long-ago",
                    "starts_at": (long_ago - timedelta(days=1)).isoformat(),
                    "ends_at": (long_ago + timedelta(days=6)).isoformat(),
                }
                assert admin.post("/api/v1/contests", json=old_contest).status_code == 201
                refused = admin.post("/api/v1/contests/long-ago/rescore")
                assert refused.status_code == 409, refused.text
                assert "began before the oldest events the log keeps" in refused.json()["error"]
                assert admin.post(f"/api/v1/contests/{org.contest}/rescore").status_code == 202
                eventually(lambda: admin.get(f"/api/v1/contests/{org.contest}/rescore").json()["state"] == "done")
            rebuilt = events_cli_with(server.url, 2, "rebuild")
            assert rebuilt.returncode == 0, rebuilt.stderr
            assert "kept long-ago as it is: it began before the oldest events the log keeps" in rebuilt.stderr
            assert list(json.loads(rebuilt.stdout.splitlines()[-1])["rebuilt"]) == [org.contest]
            alone = events_cli_with(server.url, 2, "rebuild", "--contest", "long-ago")
            assert alone.returncode != 0 and "long-ago began before the oldest events the log keeps" in alone.stderr
        finally:
            arena.stop()
            client.close()


def test_a_server_refuses_to_start_with_another_shard_count_than_its_log(tmp_path: Path, now: datetime) -> None:
    with EmbeddedRedis() as server:
        client = redis.Redis.from_url(server.url)
        log_as_of(client, event("before-sharding", now, now), 1)  # a log written by a one-shard deployment
        with pytest.raises(RuntimeError, match="server exited"):
            launch_server(server.url, tmp_path / "server", ready=False, ARENA_LOG_SHARDS="4").stop()
        (log,) = (tmp_path / "server").glob("server-*.log")
        assert "the event log is written in 1 shard(s) but ARENA_LOG_SHARDS is 4" in log.read_text()
        assert client.xlen(keys.EVENT_LOG) == 1 and client.get(keys.EVENT_LOG_SHARDS) == b"1"
        client.close()


def test_the_log_settings_are_validated() -> None:
    defaults = load_settings({})
    assert (defaults.log_shards, defaults.log_retention_days) == (1, 400)
    chosen = load_settings({"ARENA_LOG_SHARDS": "4", "ARENA_LOG_RETENTION_DAYS": "730"})
    assert (chosen.log_shards, chosen.log_retention_days) == (4, 730)
    for name, value in (
        ("ARENA_LOG_SHARDS", "0"),
        ("ARENA_LOG_SHARDS", "65"),
        ("ARENA_LOG_SHARDS", "two"),
        ("ARENA_LOG_RETENTION_DAYS", "29"),
        ("ARENA_LOG_RETENTION_DAYS", "-1"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_settings({name: value})


def test_a_contest_is_replayable_while_the_log_holds_everything_since_it_began(now: datetime) -> None:
    assert replayable(now, None)
    assert replayable(now, now - timedelta(minutes=6))
    assert not replayable(now, now - timedelta(minutes=4))  # an event may arrive 5 minutes before it occurs
    assert not replayable(now - timedelta(days=1), now)
