"""What a backup keeps and how it is written: every kind of key as JSON (binary values too) on a single Redis and on
a cluster, restored under another key prefix; keys with a time to live and rebuilt boards left out; the
scheduled job's interval, rotation, ``LATEST`` pointer and a failure kept where ``/readyz`` shows it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import redis
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from game import keys
from server.config import ConfigError, load_settings
from server.embedded_redis import EmbeddedRedis
from server.services.backup_store import (
    CONFIG_FILE,
    EVENTS_FILE,
    LATEST,
    Backups,
    backups,
    dump_config,
    rebuilt_from_log,
    restore_config,
)
from server.services.event_log_store import EventLogStore
from tests.support.org import unique
from tests.support.server import ROOT

PICTURE = bytes(range(256))  # not text: kept in base64


@pytest.fixture
def prefixes() -> Iterator[tuple[str, str]]:
    """Two prefixes of the test's own (the key names are global: set back afterwards)."""
    before = keys.PREFIX
    yield unique("bk"), unique("bk")
    keys.use_prefix(before)


def client(request: pytest.FixtureRequest, deployment: str) -> Redis:
    if deployment == "cluster":
        cluster = request.getfixturevalue("redis_cluster")
        return cast(Redis, RedisCluster.from_url(cluster.url))
    return Redis.from_url(request.getfixturevalue("redis_server").url)


async def organisation(redis: Redis) -> None:
    """One key of every kind the backup keeps, one with a time to live and one board (both left out)."""
    await redis.hset(keys.REPS, mapping={"r1": json.dumps({"name": "销售 1"})})
    await redis.set(keys.BRAND, json.dumps({"accent": "#c00"}))
    await redis.sadd(keys.decided_flags("c1"), "f1", "f2")
    await redis.zadd(keys.NOTIFY_DEAD_ORDER, {"d1": 1.5, "d2": 1765000000000})
    await redis.rpush(keys.notify_outbox("ch"), "first", "second")
    await redis.xadd(keys.AUDIT_LOG, {"who": "admin", "what": "rep.put"}, id="1765000000000-0")
    await redis.xadd(keys.AUDIT_LOG, {"who": "管理员", "what": "team.put"}, id="1765000000001-3")
    await redis.hset(keys.media("org:logo"), mapping={"type": "image/png", "data": PICTURE})
    await redis.hset(keys.badges("r1"), "champion:c1", json.dumps({"badge": "champion"}))
    await redis.set(keys.ContestKeys("c1").results, json.dumps({"final": True}))
    await redis.set(keys.login_failures("ip", "127.0.0.1"), 3, ex=600)
    await redis.zadd(keys.ContestKeys("c1").rep_board, {"r1": 5})


async def contents(redis: Redis) -> dict[str, Any]:
    return {
        "reps": await redis.hgetall(keys.REPS),
        "brand": await redis.get(keys.BRAND),
        "flags": await redis.smembers(keys.decided_flags("c1")),
        "dead": await redis.zrange(keys.NOTIFY_DEAD_ORDER, 0, -1, withscores=True),
        "outbox": await redis.lrange(keys.notify_outbox("ch"), 0, -1),
        "audit": await redis.xrange(keys.AUDIT_LOG),
        "logo": await redis.hgetall(keys.media("org:logo")),
        "badges": await redis.hgetall(keys.badges("r1")),
        "results": await redis.get(keys.ContestKeys("c1").results),
    }


@pytest.mark.parametrize("deployment", ["single", "cluster"])
def test_the_configuration_round_trips_as_json_under_another_prefix(
    request: pytest.FixtureRequest, deployment: str, prefixes: tuple[str, str]
) -> None:
    async def run() -> None:
        redis = client(request, deployment)
        try:
            keys.use_prefix(prefixes[0])
            await organisation(redis)
            kept = await contents(redis)
            assert kept["logo"][b"data"] == PICTURE and len(kept["audit"]) == 2
            document = json.loads(json.dumps(await dump_config(redis)))  # as written to and read from the file
            assert keys.login_failures("ip", "127.0.0.1").removeprefix(prefixes[0] + ":") not in document
            assert keys.ContestKeys("c1").rep_board.removeprefix(prefixes[0] + ":") not in document
            assert len(document) == 9

            keys.use_prefix(prefixes[1])
            assert await restore_config(redis, document) == 9
            assert await contents(redis) == kept
        finally:
            await redis.aclose()

    asyncio.run(run())


def test_scheduled_backups_come_at_their_interval_rotate_and_say_why_they_failed(
    redis_server: EmbeddedRedis, tmp_path: Path, prefixes: tuple[str, str]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")

    async def run() -> None:
        redis = Redis.from_url(redis_server.url)
        try:
            keys.use_prefix(prefixes[0])
            await redis.hset(keys.REPS, "r1", "{}")
            event_log = EventLogStore(redis, shards=1)
            failing = Backups(redis, event_log, blocked / "backups", hours=1, keep=2)
            assert await failing.run(now) is None
            state = await failing.readiness()
            assert state is not None and state["error_at"] == now.isoformat() and "a-file" in state["last_error"]

            directory = tmp_path / "backups"
            job = Backups(redis, event_log, directory, hours=1, keep=2)
            await redis.set(keys.BACKUP_RUNNING, "another process", ex=60)
            assert await job.run(now) is None and not directory.exists()  # one at a time
            await redis.delete(keys.BACKUP_RUNNING)
            written = [await job.run(now + timedelta(minutes=m)) for m in (0, 30, 60, 120, 121)]
            assert [w is not None for w in written] == [True, False, True, True, False]
            assert [p.name for p in backups(directory)] == [
                w.path.name for w in written[2:4] if w is not None
            ]  # the oldest rotated away
            newest = backups(directory)[-1]
            assert (directory / LATEST).read_text().strip() == newest.name
            assert json.loads((newest / CONFIG_FILE).read_text())["events"] == 0
            assert (newest / EVENTS_FILE).read_text() == ""
            assert await job.readiness() == {
                "last_at": (now + timedelta(minutes=120)).isoformat(),
                "last_name": newest.name,
            }  # the earlier failure cleared
            assert [p.name for p in directory.iterdir() if p.name.startswith(".")] == []
            assert not await redis.exists(keys.BACKUP_RUNNING)
            off = Backups(redis, event_log, None, hours=1, keep=2)
            assert await off.run(now + timedelta(days=1)) is None and await off.readiness() is None
        finally:
            await redis.aclose()

    asyncio.run(run())


def test_the_backup_settings_have_defaults_and_refuse_nonsense() -> None:
    defaults = load_settings({})
    assert (defaults.backup_dir, defaults.backup_hours, defaults.backup_keep) == (None, 24.0, 14)
    chosen = load_settings({"ARENA_BACKUP_DIR": "/srv/b", "ARENA_BACKUP_HOURS": "0.5", "ARENA_BACKUP_KEEP": "3"})
    assert (chosen.backup_dir, chosen.backup_hours, chosen.backup_keep) == (Path("/srv/b"), 0.5, 3)
    for name, value in (
        ("ARENA_BACKUP_HOURS", "0"),
        ("ARENA_BACKUP_HOURS", "daily"),
        ("ARENA_BACKUP_HOURS", "9000"),
        ("ARENA_BACKUP_KEEP", "0"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_settings({name: value})


def test_only_the_contests_a_rebuild_leaves_as_they_are_keep_their_boards_in_a_backup(now: datetime) -> None:
    document = {"definition": {"starts_at": (now - timedelta(days=30)).isoformat()}, "state": "active"}
    assert rebuilt_from_log(document, None)
    assert rebuilt_from_log(document, now - timedelta(days=31))
    assert not rebuilt_from_log(document, now - timedelta(days=29))  # its first events were trimmed
    assert not rebuilt_from_log({**document, "state": "archived"}, None)


def test_the_command_takes_lists_and_restores_only_into_an_empty_prefix_unless_forced(
    redis_server: EmbeddedRedis, redis_client: redis.Redis, tmp_path: Path, prefixes: tuple[str, str]
) -> None:
    source, target = prefixes

    def cli(prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")} | {"ARENA_KEY_PREFIX": prefix}
        return subprocess.run(
            [sys.executable, "-m", "scripts.backup", *args, "--redis", redis_server.url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    keys.use_prefix(source)
    redis_client.hset(keys.TEAMS, "t1", json.dumps({"id": "t1", "name": "战队"}))
    taken = cli(source, "take", str(tmp_path))
    assert taken.returncode == 0, taken.stderr
    summary = json.loads(taken.stdout.splitlines()[-1])
    assert (summary["keys"], summary["events"]) == (1, 0)
    listed = cli(source, "list", str(tmp_path))
    assert json.loads(listed.stdout.splitlines()[-1]) == {"backups": [Path(summary["backup"]).name]}

    refused = cli(source, "restore", str(tmp_path))
    assert refused.returncode != 0 and f"Redis already holds keys under {source}" in refused.stderr
    assert cli(source, "restore", str(tmp_path), "--force").returncode == 0
    restored = cli(target, "restore", str(tmp_path))
    assert restored.returncode == 0, restored.stderr
    keys.use_prefix(target)
    assert redis_client.hget(keys.TEAMS, "t1") == json.dumps({"id": "t1", "name": "战队"}).encode()
    assert cli(target, "restore", str(tmp_path / "nothing")).returncode != 0
