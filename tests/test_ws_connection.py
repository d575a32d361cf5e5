"""The transport of /ws: handshakes refused with HTTP, message size limits, keepalive, restarts, and one
write per screen per tick — against the real server on loopback (and the real hub on a real Redis)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from game import keys
from server.arena import Arena
from server.config import Settings
from server.embedded_redis import EmbeddedRedis
from server.live.broker import Message
from server.live.viewer import Viewer
from server.redis_connection import RedisDeployment
from server.services.ingest import ingest
from tests.support.server import ADMIN_KEY, RunningServer, launch_server
from tests.support.waiting import NeverHappened, eventually_async
from tests.support.websocket import next_op


def test_handshakes_this_server_does_not_serve_are_refused_with_http(server: RunningServer) -> None:
    async def scenario() -> None:
        with pytest.raises(websockets.InvalidStatus) as unknown:
            async with connect(f"{server.ws_url}?token={ADMIN_KEY}", subprotocols=["chat.v2"]):  # type: ignore[list-item]
                pass
        assert unknown.value.response.status_code == 400
        assert b"arena.v1.json" in unknown.value.response.body
        elsewhere = server.ws_url.replace("/ws", "/socket")
        with pytest.raises(websockets.InvalidStatus) as missing:
            async with connect(f"{elsewhere}?token={ADMIN_KEY}"):
                pass
        assert missing.value.response.status_code == 404

    asyncio.run(scenario())


def test_a_message_over_4_kb_gets_an_error_and_one_over_64_kb_closes(server: RunningServer) -> None:
    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}", max_size=None) as ws:
            await next_op(ws, "hello")
            await ws.send(json.dumps({"op": "ping", "pad": "x" * 5000}))
            assert (await next_op(ws, "error"))["code"] == "bad_message"
            await ws.send(json.dumps({"op": "ping", "t": 7}))  # still served
            assert (await next_op(ws, "pong"))["t"] == 7
            await ws.send("x" * 70_000)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009

    asyncio.run(scenario())


class SilentClient:
    """A websocket client that completes the handshake and then answers nothing, like a TV whose power
    was cut (its socket stays open on the server's side)."""

    def __init__(self, url: str) -> None:
        uri = parse_uri(url)
        self.protocol = ClientProtocol(uri)
        self.sock = socket.create_connection((uri.host, uri.port), timeout=10)
        self.protocol.send_request(self.protocol.connect())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        self.frames: list[Frame] = []
        while not any(isinstance(event, Response) for event in self._read()):
            pass

    def _read(self) -> list[Any]:
        data = self.sock.recv(65536)
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        events = self.protocol.events_received()
        self.frames += [event for event in events if isinstance(event, Frame)]
        self.protocol.data_to_send()  # thrown away: this client answers no ping
        return events if data else [None]

    def read_until_closed(self) -> None:
        while None not in self._read():
            pass


def test_a_client_that_stops_answering_pings_is_cut_and_its_slot_freed(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    limited = launch_server(redis_server.url, tmp_path, ARENA_WS_PING_SECONDS="1", ARENA_WS_PER_IP="1")
    try:
        silent = SilentClient(f"{limited.ws_url}?token={ADMIN_KEY}")
        started = time.monotonic()
        silent.read_until_closed()
        waited = time.monotonic() - started
        opcodes = [f.opcode for f in silent.frames]
        assert Opcode.PING in opcodes and opcodes[-1] is Opcode.CLOSE, opcodes
        assert silent.protocol.close_rcvd is not None and silent.protocol.close_rcvd.code == 1011
        assert 0.9 < waited < 5, waited  # pinged on its first turn of the wheel, cut on the next

        async def reconnect() -> None:  # the only slot of this address is free again
            async with connect(f"{limited.ws_url}?token={ADMIN_KEY}") as ws:
                assert (await next_op(ws, "hello"))["role"] == "admin"

        asyncio.run(reconnect())
    finally:
        limited.stop()


def test_a_server_that_stops_tells_its_screens_to_come_back(redis_server: EmbeddedRedis, tmp_path: Path) -> None:
    stopping = launch_server(redis_server.url, tmp_path)
    try:

        async def scenario() -> None:
            async with connect(f"{stopping.ws_url}?token={ADMIN_KEY}") as ws:
                await next_op(ws, "hello")
                await asyncio.get_running_loop().run_in_executor(None, stopping.stop)
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012

        asyncio.run(scenario())
    finally:
        stopping.stop()


class RecordingLink:
    """A connection that takes everything and remembers each write."""

    def __init__(self) -> None:
        self.ready = True
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self, code: int, reason: str) -> None:
        self.ready = False


def frames_in(data: bytes) -> list[dict[str, Any]]:
    """The messages of the server frames in one write."""
    messages, offset = [], 0
    while offset < len(data):
        length, header = data[offset + 1] & 0x7F, 2
        if length == 126:
            length, header = int.from_bytes(data[offset + 2 : offset + 4], "big"), 4
        messages.append(json.loads(data[offset + header : offset + header + length]))
        offset += header + length
    return messages


def spy_on_what_the_hub_hears(arena: Arena) -> list[Message]:
    """Every pub/sub message the hub handles, in order (install before ``hub.start()``)."""
    heard: list[Message] = []
    hear = arena.hub._hear

    def spy(message: Message) -> None:
        heard.append(message)
        hear(message)

    arena.hub._hear = spy  # type: ignore[method-assign]
    return heard


async def hub_has_heard_the_configuration_so_far(arena: Arena, heard: list[Message]) -> None:
    """Publish a marker on the configuration channel after the changes so far and wait until the hub has
    handled it: pub/sub delivers in order, so it has handled every earlier change too. A marker published
    before the hub's listener subscribed is never heard: after a second, publish a new one and wait for
    that (only the latest counts, so nothing published before it is still on its way)."""
    for attempt in range(10):
        marker = f"test-marker:{attempt}".encode()
        await arena.redis.publish(keys.CONFIG_CHANNEL, marker)

        async def marker_heard(marker: bytes = marker) -> bool:
            return any(m.channel == keys.CONFIG_CHANNEL and m.data == marker for m in heard)

        with contextlib.suppress(NeverHappened):
            await eventually_async(marker_heard, timeout=1.0, what="the hub hears the marker")
            return
    raise NeverHappened("the hub never heard the configuration channel")


def test_a_tick_reaches_each_screen_in_one_write(redis_server: EmbeddedRedis) -> None:
    """The board update and the celebration of the same deal leave in one write to each screen."""

    async def scenario() -> None:
        arena = Arena(Settings(secret_key="one-write", tick_ms=100), RedisDeployment(url=redis_server.url))
        heard = spy_on_what_the_hub_hears(arena)
        await arena.hub.start()
        try:
            await arena.registry.put_team({"id": "ow-east", "name": "华东战队", "color": ""}, "test")
            await arena.registry.put_rep({"id": "ow-wang", "name": "王芳", "team": "ow-east", "active": True,
                                          "opted_out": False, "aliases": {}}, "test")  # fmt: skip
            now = datetime.now(UTC)
            definition = {
                "id": "one-write",
                "name": "一次写入赛",
                "kind": "individual",
                "starts_at": (now - timedelta(days=1)).isoformat(),
                "ends_at": (now + timedelta(days=1)).isoformat(),
                "rules": [{"on": "deal.won", "points_per": 1000}],
            }
            document = {"definition": definition, "state": "active", "version": 1, "epoch": 1, "history": []}
            await arena.registry.put_contest(document, "test", "contest.create")
            # The hub hears configuration changes on pub/sub, later; one heard after the screens subscribed
            # would send them all a snapshot (new names), racing the deal's diff. Hear them all first.
            await hub_has_heard_the_configuration_so_far(arena, heard)
            links = [RecordingLink() for _ in range(3)]
            for link in links:
                viewer = Viewer(link, binary=False, public=link is links[0], batch=arena.hub.batch)
                assert await arena.hub.subscribe(viewer, "contest:one-write") is None
                assert [m["op"] for m in frames_in(link.writes[0])] == ["snapshot"]
            deal = {
                "id": "ow-1",
                "type": "deal.won",
                "rep": "ow-wang",
                "amount": "30000",
                "occurred_at": now.isoformat(),
            }
            before = [len(link.writes) for link in links]
            assert (await ingest(arena, [deal]))["accepted"] == 1

            async def every_screen_got_a_write() -> bool:
                return all(len(link.writes) > n for link, n in zip(links, before, strict=True))

            await eventually_async(every_screen_got_a_write, timeout=5, what="the deal's tick on every screen")
            # The first write after the deal holds both the diff and the celebration: one write per screen.
            for link, n in zip(links, before, strict=True):
                tick = frames_in(link.writes[n])
                assert [m["op"] for m in tick][:2] == ["diff", "celebrate"]
                assert tick[1]["event"] == "api:ow-1" and tick[0]["rows"][0]["score"] == 30
            assert links[1].writes[before[1]] == links[2].writes[before[2]]  # the same bytes for the same variant
        finally:
            await arena.hub.stop()
            await arena.redis.aclose()

    asyncio.run(scenario())


def test_a_client_that_stops_reading_is_told_to_reconnect(server: RunningServer) -> None:
    """A screen that takes nothing while the server has more for it (here: 4 KB pongs) fills the socket,
    then its notice budget, and is closed with 4008; when it reads again it finds that close."""

    async def scenario() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window, like a weak Wi-Fi link
        sock.connect(("127.0.0.1", server.port))
        sock.setblocking(False)
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}", sock=sock, max_queue=1) as ws:
            await next_op(ws, "hello")
            for _ in range(3000):  # 12 MB while the client reads nothing (its queue of one is full)
                await ws.send(json.dumps({"op": "ping", "t": "x" * 4000}))
            # No pause needed: the server answers each ping as it reads it, and some 3 MB of pongs fill this
            # client's small window, the buffers in between and the notice budget (64 KB): it closes then. The
            # last send returns only once the socket buffers hold what the server has not read of the 12 MB,
            # so it is long past that point: reading now finds what fitted, then the close.
            pongs = 0
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(10):
                    while True:
                        pongs += json.loads(await ws.recv())["op"] == "pong"
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
            assert 0 < pongs < 3000  # what fitted in the buffers came; the rest was dropped with the close

    asyncio.run(scenario())


def test_behind_a_trusted_proxy_the_address_limit_counts_clients_not_the_proxy(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    async def screens(server: RunningServer) -> list[str]:
        """Two screens behind one proxy (this loopback address), each named by X-Forwarded-For."""
        outcomes = []
        async with contextlib.AsyncExitStack() as stack:
            for address in ("203.0.113.7", "203.0.113.8"):
                ws = await stack.enter_async_context(
                    connect(f"{server.ws_url}?token={ADMIN_KEY}", additional_headers={"X-Forwarded-For": address})
                )
                first = json.loads(await ws.recv())
                outcomes.append(first["op"] if first["op"] == "hello" else first["code"])
        return outcomes

    trusting = launch_server(redis_server.url, tmp_path / "trusting", ARENA_WS_PER_IP="1")
    try:
        assert asyncio.run(screens(trusting)) == ["hello", "hello"]  # two clients, one each
    finally:
        trusting.stop()
    wary = launch_server(redis_server.url, tmp_path / "wary", ARENA_WS_PER_IP="1", ARENA_TRUSTED_PROXIES="10.9.9.9")
    try:
        assert asyncio.run(screens(wary)) == ["hello", "too_many_connections"]  # the header is not believed
    finally:
        wary.stop()
