"""The core journeys of Sales Arena, written once and run on every Redis deployment (a single Redis, a Redis
Cluster, Sentinel): each takes started servers — two processes on one store where it matters — and what
else it needs, and checks what an operator and a screen would see."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect as ws_connect

from game import keys
from game.events import parse_event
from game.store import Plan, Store
from server.config import load_settings
from server.redis_connection import connect
from tests.support.closing import closed_contest, rescored, results_match_the_board
from tests.support.fake_chat import FakeChat
from tests.support.org import deal, make_org, scores, unique
from tests.support.server import ADMIN_KEY, ROOT, RunningServer
from tests.support.waiting import eventually
from tests.support.websocket import BoardCopy, follow


@dataclass(frozen=True)
class Place:
    """Where the servers keep their data: the Redis URL and the settings that name the deployment."""

    name: str
    url: str
    env: dict[str, str]


def post(server: RunningServer, events: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
    with server.ingest() as ingest:
        response = ingest.post("/api/v1/events", json=events)
        assert response.status_code == 200, response.text
        return dict(response.json())


def ledger(admin: httpx.Client, rep: str, contest: str) -> dict[str, Any]:
    response = admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": contest, "lang": "en"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def board_rows(admin: httpx.Client, contest: str) -> tuple[list[Any], list[Any]]:
    reps = admin.get(f"/api/v1/contests/{contest}/leaderboard", params={"limit": 500}).json()["rows"]
    teams = admin.get(f"/api/v1/contests/{contest}/teams").json()["rows"]
    return reps, teams


def scoring(a: RunningServer, b: RunningServer) -> str:
    """A contest; deals sent twice (counted once) and a reversal through one process; the other process's
    leaderboard, team board and ledger agree to the point. Returns the contest id."""
    with a.admin() as admin:
        org = make_org(admin)
    big, small = deal(org.reps[0], "300000"), deal(org.reps[0], "5500")
    other = deal(org.reps[3], "42000")
    assert post(a, [big, small, other])["accepted"] == 3
    again = post(a, [big, other])
    assert again["accepted"] == 0 and again["duplicates"] == 2, again
    reversal = {"id": unique("rev"), "type": "deal.reversed", "rep": org.reps[0], "ref": big["id"]}
    assert post(a, reversal)["accepted"] == 1
    assert post(a, reversal)["duplicates"] == 1
    with b.admin() as admin:
        board = eventually(lambda: (s := scores(admin, org.contest))[org.reps[0]] == 5 and s, what="the reversal")
        assert board[org.reps[3]] == 42 and sum(board.values()) == 47
        teams = scores(admin, org.contest, "teams")
        assert teams == {org.teams[0]: 5, org.teams[1]: 42}
        book = ledger(admin, org.reps[0], org.contest)
        assert [e["points"] for e in book["entries"]] == [300, 5, -300]
        assert book["total"] == 5 and book["entries"][2]["note"] == f"reversal of {big['id']}"
    return org.contest


# Rounds of deals a diff test may post: a process still hearing an organisation's set-up when its screen subscribes
# sends that screen the whole board again (names may have changed), so a change can arrive as a snapshot then.
DIFF_ROUNDS = 4


def websocket_diff(a: RunningServer, b: RunningServer) -> None:
    """A screen on one process holds a snapshot; deals written through the other arrive as diffs on it."""
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)

    async def watch() -> BoardCopy:
        copy = BoardCopy()
        async with ws_connect(f"{b.ws_url}?token={ADMIN_KEY}", subprotocols=["arena.v1.json"]) as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
            await follow(ws, copy, lambda c: c.seq >= 0 and len(c.rows) == 2)
            for round_ in range(1, DIFF_ROUNDS + 1):
                await asyncio.to_thread(post, a, [deal(org.reps[1], "7000")])
                await follow(ws, copy, lambda c, n=round_: c.rows[org.reps[1]]["score"] == 7 * n, timeout=10)
                await asyncio.to_thread(post, a, [deal(org.reps[0], "9000")])
                await follow(ws, copy, lambda c, n=round_: c.rows[org.reps[0]]["score"] == 9 * n, timeout=10)
                if any(m["op"] == "diff" for m in copy.log):
                    break
        return copy

    copy = asyncio.run(watch())
    assert next(m["op"] for m in copy.log if m["op"] in ("snapshot", "diff")) == "snapshot"
    assert any(m["op"] == "diff" for m in copy.log), "changes arrive as diffs, not snapshots"
    assert [row["id"] for row in copy.ordered()] == [org.reps[0], org.reps[1]]


def rescore(a: RunningServer, b: RunningServer) -> None:
    """A live contest's rule changes: its board is rebuilt from the event log into a new epoch, read the same
    on both processes."""
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
    post(a, [deal(org.reps[0], "10000"), deal(org.reps[1], "30000")])
    changed = {**org.definition, "rules": [{"on": "deal.won", "points_per": 500}], "change_reason": "double points"}
    del changed["id"]
    with a.admin() as admin:
        assert eventually(lambda: scores(admin, org.contest) == {org.reps[0]: 10, org.reps[1]: 30})
        response = admin.put(f"/api/v1/contests/{org.contest}", json=changed)
        assert response.status_code == 202, response.text
        rescored(admin, org.contest, 2)
    with b.admin() as admin:
        assert eventually(lambda: scores(admin, org.contest) == {org.reps[0]: 20, org.reps[1]: 60})


def closing(a: RunningServer) -> None:
    """A contest closes while watched (a one-second scheduler): its results are the final board, with the
    champion and the prize."""
    with a.admin() as admin, a.ingest() as ingest:
        org, champion, _ = closed_contest(admin, ingest)
        kept = results_match_the_board(admin, org.contest)
        assert kept["champion"] == champion


def notified_once(a: RunningServer, b: RunningServer, chat: FakeChat) -> None:
    """Two processes share one chat channel: each deal is announced once, whichever process took it."""
    name = unique("wins")
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
        created = admin.post(
            "/api/v1/notifications/channels",
            json={"type": "wecom", "name": name, "url": chat.hook("wecom", name), "contests": [org.contest]}
            | {"events": ["deal"]},
        )
        assert created.status_code == 201, created.text
    path = f"/wecom/{name}"
    moment = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    post(a, [deal(org.reps[0], 1234, occurred_at=moment)])
    post(b, [deal(org.reps[0], 4321, occurred_at=moment)])
    eventually(lambda: sum("¥4,321" in m.text for m in chat.at(path)) == 1, what="the second deal announced")
    eventually(lambda: sum("¥1,234" in m.text for m in chat.at(path)) == 1, what="the first deal announced")
    # One more deal after both: once it is in, nothing sent before it can still be on its way.
    post(b, [deal(org.reps[0], 5555, occurred_at=moment)])
    eventually(lambda: any("¥5,555" in m.text for m in chat.at(path)), what="a later deal announced")
    texts = [m.text for m in chat.at(path)]
    assert [sum(amount in t for t in texts) for amount in ("¥1,234", "¥4,321", "¥5,555")] == [1, 1, 1], texts


def events_cli(place: Place, *args: str) -> dict[str, Any]:
    """``python -m scripts.events`` with the deployment's settings, as an operator runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    env.update(place.env, ARENA_REDIS_URL=place.url)
    result = subprocess.run(
        [sys.executable, "-m", "scripts.events", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def export_import_rebuild(a: RunningServer, place: Place, contest: str, tmp: Path) -> None:
    """The event log is exported, imported again (every event a duplicate: nothing counts twice) and a contest
    is rebuilt from it into a new epoch with the same boards."""
    with a.admin() as admin:
        before = board_rows(admin, contest)
    backup = tmp / f"{place.name}-backup.jsonl"
    exported = events_cli(place, "export", str(backup))
    assert exported["exported"] >= 5 and backup.exists()
    imported = events_cli(place, "import", str(backup))
    assert imported["imported"] == 0 and imported["duplicates"] == exported["exported"], imported
    rebuilt = events_cli(place, "rebuild", "--contest", contest)
    epoch = rebuilt["rebuilt"][contest]["epoch"]
    assert epoch >= 2
    with a.admin() as admin:
        assert eventually(lambda: board_rows(admin, contest) == before, what="the same boards after the rebuild")
        assert ledger(admin, before[0][0]["id"], contest)["total"] == before[0][0]["score"]
    # The superseded epochs are gone, wherever their keys were (a SCAN covers every node of a cluster).
    assert not stored_keys(place, keys.ContestKeys(contest, epoch - 1).epoch_pattern())
    assert stored_keys(place, keys.ContestKeys(contest, epoch).epoch_pattern())


def stored_keys(place: Place, pattern: str) -> list[str]:
    """The keys matching ``pattern`` in the deployment, every node of a cluster included."""

    async def scan() -> list[str]:
        redis = connect(load_settings({**place.env, "ARENA_REDIS_URL": place.url}).redis, max_connections=2)
        try:
            return [key.decode() async for key in redis.scan_iter(match=pattern, count=1000)]
        finally:
            await redis.aclose()

    return asyncio.run(scan())


def completed_after_a_crash(a: RunningServer, b: RunningServer, place: Place) -> None:
    """Events whose log entry was written and nothing else — a process killed between its log write and its
    contest writes — are completed by the repair pass (the scheduler's, every second here), once: the board,
    the ledger and XP show them, and the client's retry is a duplicate that changes nothing."""
    with a.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
    first, second = deal(org.reps[0], "13000"), deal(org.reps[1], "4000")
    settings = load_settings({**place.env, "ARENA_REDIS_URL": place.url})
    now = datetime.now(UTC)
    events = [replace(parse_event(raw, now=now, default_currency="CNY"), team=org.teams[0]) for raw in (first, second)]

    async def log_only() -> None:
        redis = connect(settings.redis, max_connections=2)
        try:
            results = await Store(redis).write_events([Plan(event, []) for event in events])
            assert [result.new for result in results] == [True, True]
        finally:
            await redis.aclose()

    asyncio.run(log_only())
    with b.admin() as admin:
        expected = {org.reps[0]: 13, org.reps[1]: 4}
        eventually(lambda: scores(admin, org.contest) == expected, what="the repair pass completing the events")
        assert ledger(admin, org.reps[0], org.contest)["total"] == 13
    again = post(a, [first, second])
    assert again["duplicates"] == 2, again
    with b.admin() as admin:
        assert scores(admin, org.contest) == expected
