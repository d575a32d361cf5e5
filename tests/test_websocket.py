"""The websocket contract over real sockets: snapshot on subscribe, a newer frame after every change."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import msgpack
import pytest
import websockets
from websockets.asyncio.client import ClientConnection, connect

from server.embedded_redis import EmbeddedRedis
from tests.conftest import ADMIN_KEY, RunningServer, deal, launch_server, make_org


async def next_op(ws: ClientConnection, op: str, timeout: float = 5.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            raw = await ws.recv()
            message = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
            if message["op"] == op:
                return message


def post(server: RunningServer, events: Any) -> dict[str, Any]:
    with server.ingest() as client:
        return client.post("/api/v1/events", json=events).json()


def test_subscribe_gets_a_snapshot_then_a_newer_one_after_a_deal(server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin)

    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}", subprotocols=["arena.v1.json"]) as ws:
            assert ws.subprotocol == "arena.v1.json"
            hello = await next_op(ws, "hello")
            assert hello["protocol"] == "arena.v1"
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
            first = await next_op(ws, "snapshot")
            assert first["board"] == f"contest:{org.contest}" and first["epoch"] == 1
            assert {r["id"] for r in first["rows"]} == set(org.reps)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, post, server, deal(org.reps[2], "50000"))
            update = await next_op(ws, "snapshot")
            assert update["seq"] > first["seq"]
            assert update["rows"][0] == {
                "rank": 1,
                "id": org.reps[2],
                "name": "销售 0-2",
                "team": org.teams[0],
                "score": 50,
            }
            celebration = await next_op(ws, "celebrate")
            assert celebration["rep"] == org.reps[2] and celebration["amount"] == "50000"

    asyncio.run(scenario())


def test_msgpack_subprotocol_and_team_board(server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, kind="team", team_score="best:2")

    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}", subprotocols=["arena.v1.msgpack"]) as ws:
            assert ws.subprotocol == "arena.v1.msgpack"
            await ws.send(msgpack.packb({"op": "subscribe", "board": f"contest:{org.contest}:teams"}))
            first = await next_op(ws, "snapshot")
            assert {r["id"] for r in first["rows"]} == set(org.teams)
            loop = asyncio.get_running_loop()
            reps = org.reps[3:6]  # the second team's three reps
            await loop.run_in_executor(
                None, post, server, [deal(reps[0], 1000), deal(reps[1], 5000), deal(reps[2], 3000)]
            )
            while True:
                update = await next_op(ws, "snapshot")
                if update["rows"][0]["score"] == 8:
                    break
            assert update["rows"][0]["id"] == org.teams[1]
            assert "team" not in update["rows"][0]

    asyncio.run(scenario())


def test_unauthorized_and_foreign_origins_are_refused(server: RunningServer) -> None:
    async def scenario() -> None:
        async with connect(server.ws_url, subprotocols=["arena.v1.json"]) as ws:
            error = await next_op(ws, "error")
            assert error["code"] == "unauthorized"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001
        with pytest.raises(websockets.InvalidStatus):
            async with connect(f"{server.ws_url}?token={ADMIN_KEY}", origin="http://evil.example"):
                pass
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}", origin=server.base_url) as ws:
            assert (await next_op(ws, "hello"))["role"] == "admin"

    asyncio.run(scenario())


def test_invalid_requests_get_error_frames(server: RunningServer) -> None:
    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as ws:
            await ws.send("not json")
            assert (await next_op(ws, "error"))["code"] == "bad_message"
            await ws.send(json.dumps({"op": "subscribe", "board": "contest:does-not-exist"}))
            assert (await next_op(ws, "error"))["code"] == "bad_board"
            await ws.send(json.dumps({"op": "dance"}))
            assert (await next_op(ws, "error"))["code"] == "unknown_op"

    asyncio.run(scenario())


def test_display_token_sees_only_its_playlist_and_initials_of_opted_out_reps(server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin)
        other = make_org(admin)
        admin.put(f"/api/v1/reps/{org.reps[0]}", json={"name": "Alice Chen", "team": org.teams[0], "opted_out": True})
        display = admin.post("/api/v1/displays", json={"name": "大厅电视", "playlist": [f"contest:{org.contest}"]})
        assert display.status_code == 201
        token = display.json()["token"]
        assert display.json()["url"].endswith(f"/tv/{token}")
    post(server, deal(org.reps[0], 70000))

    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={token}") as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{other.contest}"}))
            assert (await next_op(ws, "error"))["code"] == "forbidden"
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
            snapshot = await next_op(ws, "snapshot")
            assert snapshot["rows"][0]["name"] == "A.C."

    asyncio.run(scenario())


def test_a_deal_posted_to_one_process_reaches_a_viewer_of_another(
    redis_server: EmbeddedRedis, server: RunningServer, tmp_path: Path
) -> None:
    second = launch_server(redis_server.url, tmp_path)
    try:
        with server.admin() as admin:
            org = make_org(admin)

        async def scenario() -> None:
            async with connect(f"{second.ws_url}?token={ADMIN_KEY}") as ws:
                await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
                await next_op(ws, "snapshot")
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, post, server, deal(org.reps[1], 20000))
                update = await next_op(ws, "snapshot")
                assert update["rows"][0]["id"] == org.reps[1] and update["rows"][0]["score"] == 20

        asyncio.run(scenario())
        assert httpx.get(second.base_url + "/readyz").status_code == 200
    finally:
        second.stop()


def test_server_starts_without_redis_and_says_it_is_not_ready(tmp_path: Path) -> None:
    from server.embedded_redis import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"
    running = launch_server(dead, tmp_path)
    try:
        assert httpx.get(running.base_url + "/healthz").json() == {"status": "ok"}
        response = httpx.get(running.base_url + "/readyz", timeout=10)
        assert response.status_code == 503 and "redis" in response.json()["reason"]
    finally:
        running.stop()


def test_readyz_turns_503_when_redis_goes_away(tmp_path: Path) -> None:
    with EmbeddedRedis() as private:
        running = launch_server(private.url, tmp_path)
        try:
            assert httpx.get(running.base_url + "/readyz").status_code == 200
            private.stop()
            response = httpx.get(running.base_url + "/readyz", timeout=10)
            assert response.status_code == 503
            assert "redis" in response.json()["reason"]
        finally:
            running.stop()
