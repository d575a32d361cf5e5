"""The core journeys on a Sentinel-watched master: the server and the event-log commands find the master through
the sentinels alone (no ``ARENA_REDIS_URL``), and every journey works as on a single Redis — two server processes
included, whose notifier lease lets only one deliver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from server.embedded_redis import EmbeddedRedis
from tests.support.calendar import Calendar
from tests.support.closing import closed_contest, results_match_the_board
from tests.support.events_cli import events_cli_for
from tests.support.fake_chat import FakeChat, running_fake_chat
from tests.support.org import deal, make_org, scores, unique
from tests.support.redis_sentinel import SentinelSetup
from tests.support.server import ADMIN_KEY, RunningServer, launch_server
from tests.support.waiting import eventually
from tests.support.websocket import BoardCopy, follow


@pytest.fixture(scope="module")
def sentinel_setup() -> Iterator[SentinelSetup]:
    with SentinelSetup() as setup:
        yield setup


# A one-second scheduler and notifier; the chat fake listens on loopback.
FAST = {"ARENA_NOTIFY_SECONDS": "1", "ARENA_SCHEDULER_SECONDS": "1", "ARENA_OUTBOUND_ALLOW_PRIVATE": "1"}


@pytest.fixture(scope="module")
def pair(
    sentinel_setup: SentinelSetup, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Two server processes on the Sentinel set-up, both running the scheduler and the notifier."""
    tmp = tmp_path_factory.mktemp("sentinel-journeys")
    first = launch_server("", tmp / "a", **FAST, **sentinel_setup.env)
    second = launch_server("", tmp / "b", **FAST, **sentinel_setup.env, ARENA_SECRET_KEY=first.env["ARENA_SECRET_KEY"])
    yield first, second
    second.stop()
    first.stop()


@pytest.fixture(scope="module")
def server(pair: tuple[RunningServer, RunningServer]) -> RunningServer:
    return pair[0]


@pytest.fixture(scope="module")
def chat() -> Iterator[FakeChat]:
    with running_fake_chat() as fake:
        yield fake


def just_now() -> str:
    """Deals announced in chat are fresh ones (the notifier leaves old backfilled deals quiet)."""
    return datetime.now(UTC).isoformat()


def ledger_points(admin: httpx.Client, rep: str, contest: str) -> list[int]:
    response = admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": contest})
    assert response.status_code == 200, response.text
    return [entry["points"] for entry in response.json()["entries"]]


def test_the_core_journeys_on_sentinel(
    sentinel_setup: SentinelSetup, server: RunningServer, tmp_path: Path, calendar: Calendar
) -> None:
    assert httpx.get(server.base_url + "/readyz").json() == {"status": "ready"}
    with server.admin() as admin, server.ingest() as ingest:
        org = make_org(admin, rules=[{"on": "deal.won", "points_per": 1000}])
        first, second = org.reps[0], org.reps[1]
        big = deal(first, "300000")
        # Ingest with a duplicate inside the batch and one sent again later; a reversal takes a deal back.
        answer = ingest.post("/api/v1/events", json=[big, deal(first, "5000"), big, deal(second, "70000")]).json()
        assert (answer["accepted"], answer["duplicates"]) == (3, 1)
        assert ingest.post("/api/v1/events", json=big).json()["duplicates"] == 1
        reversal = {"id": unique("rev"), "type": "deal.reversed", "rep": first, "ref": big["id"]}
        assert ingest.post("/api/v1/events", json=reversal).json()["accepted"] == 1
        # The leaderboard and the ledger that explains it.
        assert scores(admin, org.contest) == {first: 5, second: 70, **dict.fromkeys(org.reps[2:], 0)}
        assert ledger_points(admin, first, org.contest) == [300, 5, -300]

        # A screen gets a diff when a deal lands.
        async def watch_a_deal() -> BoardCopy:
            copy = BoardCopy()
            async with connect(f"{server.ws_url}?token={ADMIN_KEY}", subprotocols=["arena.v1.json"]) as ws:
                await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
                await follow(ws, copy, lambda c: c.seq >= 0)
                response = await asyncio.to_thread(ingest.post, "/api/v1/events", json=deal(org.reps[2], "42000"))
                assert response.json()["accepted"] == 1
                await follow(ws, copy, lambda c: c.rows[org.reps[2]]["score"] == 42)
            return copy

        copy = asyncio.run(watch_a_deal())
        assert [message["op"] for message in copy.log][-1] == "diff"

        # Rescoring makes a new epoch with the same totals.
        before = scores(admin, org.contest)
        assert admin.post(f"/api/v1/contests/{org.contest}/rescore").status_code == 202
        eventually(lambda: admin.get(f"/api/v1/contests/{org.contest}/rescore").json()["state"] == "done")
        assert admin.get(f"/api/v1/contests/{org.contest}/rescore").json()["epoch"] == 2
        assert scores(admin, org.contest) == before

        # Export, import (idempotent: nothing doubles) and rebuild, with the sentinels as the only address.
        backup = tmp_path / "log.jsonl"
        exported = events_cli_for(server, "export", str(backup))
        ids = [json.loads(line)["id"] for line in backup.read_text().splitlines()]
        assert exported["exported"] == len(ids) == len(set(ids)) and big["id"] in ids and reversal["id"] in ids
        again = events_cli_for(server, "import", str(backup))
        assert again["imported"] == 0 and again["duplicates"] == len(ids)
        rebuilt = events_cli_for(server, "rebuild", "--contest", org.contest)
        assert rebuilt["rebuilt"][org.contest]["epoch"] == 3
        assert scores(admin, org.contest) == before


def test_a_contest_closes_with_its_results(server: RunningServer) -> None:
    with server.admin() as admin, server.ingest() as ingest:
        org, champion, _ = closed_contest(admin, ingest)
        assert results_match_the_board(admin, org.contest)["champion"] == champion


def test_two_processes_deliver_each_deal_exactly_once(
    pair: tuple[RunningServer, RunningServer], chat: FakeChat
) -> None:
    name = unique("sentinel")
    path = f"/wecom/{name}"
    with pair[1].admin() as admin:
        org = make_org(admin)
        channel = {"type": "wecom", "name": "群", "url": chat.hook("wecom", name), "contests": [org.contest]}
        response = admin.post("/api/v1/notifications/channels", json={**channel, "events": ["deal"]})
        assert response.status_code == 201, response.text
    amounts = [20_001 + i for i in range(6)]
    for i, amount in enumerate(amounts):
        with pair[i % 2].ingest() as ingest:
            answer = ingest.post("/api/v1/events", json=deal(org.reps[i], amount, occurred_at=just_now()))
            assert answer.json()["accepted"] == 1, answer.text
    # A later deal, collected after all of them: once it is in, nothing from before is still on its way.
    with pair[0].ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[0], 1001, occurred_at=just_now()))
    eventually(lambda: any("¥1,001" in m.text for m in chat.at(path)), what="the later deal in the chat")
    messages = chat.at(path)
    assert [sum(f"¥{amount:,}" in m.text for m in messages) for amount in amounts] == [1] * 6
    assert len(messages) == 7


def test_a_write_no_replica_acknowledged_is_refused_as_an_outage(tmp_path: Path) -> None:
    """``ARENA_REDIS_WAIT_REPLICAS`` above the replicas there are: the client is told to retry (503), never 2xx."""
    with EmbeddedRedis() as lone:
        running = launch_server(lone.url, tmp_path, ARENA_REDIS_WAIT_REPLICAS="1")
        try:
            with running.admin() as admin, running.ingest() as ingest:
                org = make_org(admin)
                response = ingest.post("/api/v1/events", json=deal(org.reps[0], "9000"))
                assert response.status_code == 503 and response.json() == {"error": "storage unavailable"}
                assert response.headers["Retry-After"]
        finally:
            running.stop()
