"""The websocket contract over real sockets: snapshot on subscribe, a newer frame after every change."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import msgpack
import pytest
import websockets
from websockets.asyncio.client import ClientConnection, connect

from game import keys
from server.embedded_redis import EmbeddedRedis
from tests.support.accounts import rep_session_cookie
from tests.support.org import deal, make_org, post_events
from tests.support.server import ADMIN_KEY, RunningServer, launch_server
from tests.support.waiting import eventually
from tests.support.websocket import BoardCopy, follow, next_op


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
            copy = BoardCopy()
            copy.apply(first)
            await loop.run_in_executor(None, post_events, server, deal(org.reps[2], "50000"))
            # (the launch's own roster diff, an empty one, may come first)
            await follow(ws, copy, lambda c: c.rows[org.reps[2]]["score"] > 0)
            assert copy.seq > first["seq"]
            assert copy.ordered()[0] == {
                "rank": 1,
                "id": org.reps[2],
                "name": "销售 0-2",
                "team": org.teams[0],
                "score": 50,
            }
            assert [r["rank"] for r in copy.ordered()] == [1, 2, 2, 2, 2, 2]
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
                None, post_events, server, [deal(reps[0], 1000), deal(reps[1], 5000), deal(reps[2], 3000)]
            )
            copy = BoardCopy()
            copy.apply(first)
            await follow(ws, copy, lambda c: c.ordered()[0]["score"] == 8)
            top = copy.ordered()[0]
            assert top["id"] == org.teams[1] and "team" not in top
            assert all(isinstance(m, dict) for m in copy.log)  # binary frames decoded as msgpack maps

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
    post_events(server, deal(org.reps[0], 70000))

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
                copy = BoardCopy()
                copy.apply(await next_op(ws, "snapshot"))
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, post_events, server, deal(org.reps[1], 20000))
                await follow(ws, copy, lambda c: c.rows[org.reps[1]]["score"] == 20)
                assert copy.ordered()[0]["id"] == org.reps[1]

        asyncio.run(scenario())
        assert httpx.get(second.base_url + "/readyz").status_code == 200
    finally:
        second.stop()


def test_server_starts_without_redis_and_says_it_is_not_ready(tmp_path: Path) -> None:
    from server.embedded_redis import free_port

    dead = f"redis://127.0.0.1:{free_port()}/0"
    running = launch_server(dead, tmp_path, ready=False)
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


async def deal_celebrations(ws: ClientConnection, count: int, timeout: float = 5.0) -> list[str]:
    """The amounts of the next ``count`` deal celebrations, skipping other messages."""
    amounts: list[str] = []
    async with asyncio.timeout(timeout):
        while len(amounts) < count:
            message = json.loads(await ws.recv())
            if message["op"] == "celebrate" and message["kind"] == "deal":
                amounts.append(message["amount"])
    return amounts


def history_reaches_the_current_seq(server: RunningServer, redis_client: Any, contest: str, board: str) -> bool:
    """The board's diff history in Redis (``server/history.py``) has a span ending at the board's current
    seq: the hub has recorded every change so far, so a client that was away can catch up with a diff."""
    with server.admin() as admin:
        current = admin.get(f"/api/v1/contests/{contest}/leaderboard").json()
    spans = redis_client.zrange(keys.ContestKeys(contest, current["epoch"]).history(board), 0, -1)
    return current["seq"] in {msgpack.unpackb(span)["t"] for span in spans}


def test_a_reconnecting_client_recovers_the_missed_diffs_and_celebrations_once(
    server: RunningServer, redis_client: Any
) -> None:
    with server.admin() as admin:
        org = make_org(admin)
    board = f"contest:{org.contest}"

    async def scenario() -> None:
        copy = BoardCopy()
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": board}))
            copy.apply(await next_op(ws, "snapshot"))
        # Away: three deals land while the client is disconnected. Its board, watched by nobody now, lingers
        # and records them; another screen watches the contest's team board.
        loop = asyncio.get_running_loop()
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as other:
            await other.send(json.dumps({"op": "subscribe", "board": f"{board}:teams"}))
            await next_op(other, "snapshot")
            for rep, amount in ((org.reps[0], 30000), (org.reps[1], 70000), (org.reps[0], 50000)):
                await loop.run_in_executor(None, post_events, server, deal(rep, amount))
            # Its three celebrations: the hub has heard every doorbell, so none is still on its way to become
            # a live celebration for the returning client (on top of the recovered one).
            assert await deal_celebrations(other, 3) == ["30000", "70000", "50000"]
        await loop.run_in_executor(
            None,
            partial(eventually, what="the board's history records the three deals"),
            partial(history_reaches_the_current_seq, server, redis_client, org.contest, board),
        )
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": board, "epoch": copy.epoch, "seq": copy.seq}))
            recovery = await next_op(ws, "diff")
            assert recovery["recovered"] is True
            copy.apply(recovery)
            assert [(r["id"], r["score"]) for r in copy.ordered()[:2]] == [(org.reps[0], 80), (org.reps[1], 70)]
            assert await deal_celebrations(ws, 3) == ["30000", "70000", "50000"]
            # Each once: the recovery offers its celebrations in one go while answering the subscribe, and
            # requests are answered in order, so a repeat would come before the answer to this ping.
            await ws.send(json.dumps({"op": "ping", "t": "after-recovery"}))
            async with asyncio.timeout(5):
                later = []
                while (message := json.loads(await ws.recv()))["op"] != "pong":
                    later.append(message)
            assert message["t"] == "after-recovery"
            assert [m for m in later if m["op"] == "celebrate"] == []
        # Up to date: an empty recovery, not silence.
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": board, "epoch": copy.epoch, "seq": copy.seq}))
            empty = await next_op(ws, "diff")
            assert empty["recovered"] is True and empty["rows"] == [] and empty["removed"] == []
            # An epoch the server does not have: a fresh snapshot, and it says so.
            await ws.send(json.dumps({"op": "subscribe", "board": board, "epoch": 99, "seq": 1}))
            fresh = await next_op(ws, "snapshot")
            assert fresh["recovered"] is False and len(fresh["rows"]) == len(org.reps)

    asyncio.run(scenario())


def test_a_rep_gets_their_own_standing_with_every_change(server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=3, default_target=100)
    me, rival = org.reps[0], org.reps[1]
    cookie = rep_session_cookie(server, me)

    async def scenario() -> None:
        async with connect(server.ws_url, additional_headers={"Cookie": cookie}) as ws:
            hello = await next_op(ws, "hello")
            assert hello["role"] == "rep"
            await ws.send(json.dumps({"op": "subscribe", "board": f"me:{org.contest}"}))
            first = await next_op(ws, "me")
            assert first["rep"] == me and first["rank"] == 1 and first["target"] == 100
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, post_events, server, [deal(rival, 42000), deal(me, 20000)])
            async with asyncio.timeout(5):
                while True:
                    update = await next_op(ws, "me")
                    if update["score"] == 20 and update["rank"] == 2:
                        break
            assert update["gap_to_next"] == 22 and update["of"] == 3
            assert update["pace"]["target"] == 100 and update["pace"]["percent"] == 20.0
            assert [r["amount"] for r in update["recent"]] == ["20000"]
            await ws.send(json.dumps({"op": "subscribe", "board": f"me:{org.contest}:{rival}"}))
            assert (await next_op(ws, "error"))["code"] in ("bad_board", "forbidden")

    asyncio.run(scenario())


def test_xp_and_feed_boards_move_live(server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin)
    rep = org.reps[3]

    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": "xp:day"}))
            await ws.send(json.dumps({"op": "subscribe", "board": f"feed:{org.contest}"}))
            xp, feed = BoardCopy(), BoardCopy()
            async with asyncio.timeout(5):
                while xp.seq < 0 or feed.seq < 0:
                    message = json.loads(await ws.recv())
                    if message.get("board") == "xp:day":
                        xp.apply(message)
                    elif message.get("board") == f"feed:{org.contest}":
                        feed.apply(message)
            loop = asyncio.get_running_loop()
            now = datetime.now(UTC).isoformat()
            await loop.run_in_executor(None, post_events, server, deal(rep, "20000000", occurred_at=now))
            async with asyncio.timeout(5):
                while rep not in xp.rows or not feed.rows:
                    message = json.loads(await ws.recv())
                    if message.get("board") == "xp:day":
                        xp.apply(message)
                    elif message.get("board") == f"feed:{org.contest}":
                        feed.apply(message)
            assert xp.rows[rep]["score"] == 20010 and xp.rows[rep]["name"] == "销售 1-0"
            [win] = feed.ordered()
            assert win["name"] == "销售 1-0" and win["amount"] == "20000000" and win["score"] == 20000

    asyncio.run(scenario())


def test_connections_per_address_are_limited(redis_server: EmbeddedRedis, tmp_path: Path) -> None:
    limited = launch_server(redis_server.url, tmp_path, ARENA_WS_PER_IP="2")
    try:

        async def scenario() -> None:
            async with (
                connect(f"{limited.ws_url}?token={ADMIN_KEY}") as one,
                connect(f"{limited.ws_url}?token={ADMIN_KEY}") as two,
            ):
                assert (await next_op(one, "hello"))["op"] == (await next_op(two, "hello"))["op"] == "hello"
                async with connect(f"{limited.ws_url}?token={ADMIN_KEY}") as three:
                    assert (await next_op(three, "error"))["code"] == "too_many_connections"
                    with pytest.raises(websockets.ConnectionClosed) as closed:
                        await three.recv()
                    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4029
            async with connect(f"{limited.ws_url}?token={ADMIN_KEY}") as again:  # released on close
                assert (await next_op(again, "hello"))["op"] == "hello"

        asyncio.run(scenario())
    finally:
        limited.stop()


def test_repeated_invalid_messages_close_the_socket(server: RunningServer) -> None:
    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                for _ in range(100):  # more than the server tolerates (MAX_BAD_MESSAGES), as fast as they go
                    await ws.send("garbage")
                while True:
                    await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4009

    asyncio.run(scenario())


def test_a_new_leader_is_celebrated(server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin)
    first, second = org.reps[0], org.reps[1]

    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
            copy = BoardCopy()
            copy.apply(await next_op(ws, "snapshot"))
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, post_events, server, deal(first, 10000))
            # The hub's board has ``first`` leading (had both deals come in one tick, nobody would have led before).
            await follow(ws, copy, lambda c: c.rows[first]["score"] == 10 and c.ordered()[0]["id"] == first)
            await loop.run_in_executor(None, post_events, server, deal(second, 30000))
            async with asyncio.timeout(5):
                while True:
                    message = json.loads(await ws.recv())
                    if message["op"] == "celebrate" and message["kind"] == "lead_change":
                        break
            assert message["rep"] == second and message["previous"] == first and message["points"] == 30

    asyncio.run(scenario())


def test_a_malformed_doorbell_or_badge_does_not_stop_the_live_boards(server: RunningServer, redis_client: Any) -> None:
    """Anything can be published on Redis: the hub logs what it cannot read and carries on."""
    with server.admin() as admin:
        org = make_org(admin)

    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
            copy = BoardCopy()
            copy.apply(await next_op(ws, "snapshot"))
            for data in ('{"type": "deal.won", "rep": 7, "points": "lots"}', "[1, 2]", '{"type": null}'):
                redis_client.publish(keys.doorbell_channel(org.contest), data)
            for data in ('{"rep": ["x"], "badge": {"a": 1}}', '"just a string"'):
                redis_client.publish(keys.BADGE_CHANNEL, data)
            # A well-formed announcement after them reaches the screen: the hub has read past all of them (it
            # reads in order) and carries on. Only then the deal, whose doorbell alone can bring its update.
            marker = {"action": "awarded", "rep": org.reps[2], "badge": "after-the-garbage", "period": "test"}
            redis_client.publish(keys.BADGE_CHANNEL, json.dumps(marker))
            await follow(ws, copy, lambda c: any(m.get("badge") == "after-the-garbage" for m in c.log))
            await asyncio.get_running_loop().run_in_executor(None, post_events, server, deal(org.reps[2], 42000))
            await follow(ws, copy, lambda c: c.rows[org.reps[2]]["score"] == 42)

    asyncio.run(scenario())
