"""Provisional points over real HTTP and websocket, on a server with a one-second scheduler: rows carry
``provisional``, a payment confirms, results of an ended contest wait for confirmation (with a date) and are
decided once the last deal is settled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from server.embedded_redis import EmbeddedRedis
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, unique
from tests.support.server import ADMIN_KEY, RunningServer, launch_server
from tests.support.waiting import eventually
from tests.support.websocket import next_op

CONFIRM = {"on": "deal.paid", "within_days": 30}


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with EmbeddedRedis() as redis:
        running = launch_server(redis.url, Path(tmp_path_factory.mktemp("provisional")), ARENA_SCHEDULER_SECONDS="1")
        yield running
        running.stop()


def rows(client: httpx.Client, contest: str, board: str = "leaderboard") -> dict[str, dict[str, Any]]:
    response = client.get(f"/api/v1/contests/{contest}/{board}", params={"limit": 50})
    assert response.status_code == 200, response.text
    return {row["id"]: row for row in response.json()["rows"]}


def paid(rep: str, ref: str) -> dict[str, Any]:
    return {"id": unique("pay"), "type": "deal.paid", "rep": rep, "ref": ref}


def test_rows_carry_provisional_points_until_a_payment_confirms_them(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org = make_org(admin, confirm=CONFIRM)
        a, b = org.reps[0], org.reps[1]
        first, second = deal(a, "50000"), deal(b, "20000")
        assert ingest.post("/api/v1/events", json=[first, second, deal(a, "30000")]).json()["accepted"] == 3
        board = rows(admin, org.contest)
        assert (board[a]["score"], board[a]["provisional"]) == (80, 80)
        assert board[org.reps[2]]["provisional"] == 0
        assert rows(admin, org.contest, "teams")[org.teams[0]]["provisional"] == 100

        assert ingest.post("/api/v1/events", json=paid(a, first["id"])).json()["accepted"] == 1
        board = rows(admin, org.contest)
        assert (board[a]["score"], board[a]["provisional"]) == (80, 30)
        standing = admin.get(f"/api/v1/contests/{org.contest}/reps/{a}").json()
        assert standing["provisional"] == 30 and standing["score"] == 80

        # a refund of a provisional deal takes its points and its provisional share away
        ingest.post(
            "/api/v1/events", json={"id": unique("rev"), "type": "deal.reversed", "rep": b, "ref": second["id"]}
        )
        assert (rows(admin, org.contest)[b]["score"], rows(admin, org.contest)[b]["provisional"]) == (0, 0)
        # a contest that does not confirm deals keeps its rows as they were
        plain = make_org(admin)
        ingest.post("/api/v1/events", json=deal(plain.reps[0], "10000"))
        assert "provisional" not in rows(admin, plain.contest)[plain.reps[0]]


def test_a_confirmation_reaches_websocket_viewers_as_a_diff(fast: RunningServer) -> None:
    with fast.admin() as admin:
        org = make_org(admin, confirm=CONFIRM)
    rep = org.reps[0]
    won = deal(rep, "40000")

    async def scenario() -> None:
        async with connect(f"{fast.ws_url}?token={ADMIN_KEY}", subprotocols=["arena.v1.json"]) as ws:
            await next_op(ws, "hello")
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
            snapshot = await next_op(ws, "snapshot")
            assert snapshot["contest"]["confirm"] == CONFIRM
            assert all(row["provisional"] == 0 for row in snapshot["rows"])
            loop = asyncio.get_running_loop()
            with fast.ingest() as ingest:
                await loop.run_in_executor(None, lambda: ingest.post("/api/v1/events", json=won))
                scored = await next_op(ws, "diff")
                while all(row["id"] != rep for row in scored["rows"]):  # the launch's roster diff may come first
                    scored = await next_op(ws, "diff")
                mine = next(r for r in scored["rows"] if r["id"] == rep)
                assert (mine["rank"], mine["score"], mine["provisional"]) == (1, 40, 40)
                await loop.run_in_executor(None, lambda: ingest.post("/api/v1/events", json=paid(rep, won["id"])))
                confirmed = await next_op(ws, "diff")
                # only the confirmed row changed: same score and rank, nothing provisional left
                assert confirmed["rows"] == [{**mine, "provisional": 0}]

    asyncio.run(scenario())


def test_results_wait_for_confirmation_then_crown_the_champion(fast: RunningServer, now: datetime) -> None:
    calendar = Calendar(now)
    with fast.admin() as admin, fast.ingest() as ingest:
        ends = datetime.now(now.tzinfo) + timedelta(seconds=3)
        org = make_org(admin, confirm=CONFIRM, ends_at=ends.isoformat(), grace_hours=0)
        a, b = org.reps[0], org.reps[1]
        big, small = deal(a, "90000", occurred_at=calendar.at(2)), deal(b, "10000", occurred_at=calendar.at(2))
        sent = datetime.now(now.tzinfo)
        assert ingest.post("/api/v1/events", json=[big, small]).json()["accepted"] == 2

        def awaiting() -> dict[str, Any] | None:
            body = admin.get(f"/api/v1/contests/{org.contest}/results").json()
            return body if body["status"] == "awaiting_confirmation" else None

        body = eventually(awaiting, what="the ended contest awaiting confirmation", timeout=15)
        confirm_by = datetime.fromisoformat(body["confirm_by"])
        assert timedelta(days=30) <= confirm_by - sent + timedelta(seconds=1) <= timedelta(days=30, seconds=5)
        assert body["final"] is False
        # the ended contest still takes the payments of its deals; the refund of the big one too
        answer = ingest.post(
            "/api/v1/events",
            json=[paid(b, small["id"]), {"id": unique("rev"), "type": "deal.reversed", "rep": a, "ref": big["id"]}],
        ).json()
        assert answer["accepted"] == 2 and "late" not in answer

        def final() -> dict[str, Any] | None:
            result = admin.get(f"/api/v1/contests/{org.contest}/results").json()
            return result if result["status"] == "final" else None

        decided = eventually(final, what="results decided once every deal is settled", timeout=15)
        assert decided["champion"] == b and decided["final"] is True


def test_the_api_document_describes_confirmation_and_provisional_rows(fast: RunningServer) -> None:
    schemas = httpx.get(fast.base_url + "/api/v1/openapi.json").json()["components"]["schemas"]
    confirm = schemas["Confirm"]
    assert confirm["required"] == ["on", "within_days"] and "auto_after_days" in confirm["properties"]
    assert "confirm" in schemas["ContestDefinition"]["properties"]
    assert "provisional" in schemas["LeaderboardRow"]["properties"]
    assert "awaiting_confirmation" in str(schemas["Results"]["properties"]["status"])


def test_a_bad_confirmation_rule_is_a_422_naming_the_field(fast: RunningServer) -> None:
    with fast.admin() as admin:
        org = make_org(admin)
        bad = {**org.definition, "id": unique("contest"), "confirm": {"on": "deal.won", "within_days": 30}}
        response = admin.post("/api/v1/contests", json=bad)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["confirm.on"]
        worse = {**bad, "confirm": {"on": "deal.paid", "within_days": 0}}
        response = admin.post("/api/v1/contests", json=worse)
        assert response.status_code == 422 and "within_days" in response.json()["errors"][0]["field"]


def test_the_ledger_says_when_a_deal_was_confirmed(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org = make_org(admin, confirm=CONFIRM)
        rep = org.reps[0]
        won = deal(rep, "12000")
        ingest.post("/api/v1/events", json=[won, paid(rep, won["id"])])
        for lang, note in (("en", f"{won['id']} confirmed"), ("zh-CN", f"{won['id']} 已确认")):
            book = admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": org.contest, "lang": lang}).json()
            assert [e["points"] for e in book["entries"]] == [12, 0]
            assert book["entries"][1]["note"].startswith(note)
