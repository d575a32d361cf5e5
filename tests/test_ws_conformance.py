"""RFC 6455 as /ws keeps it, with hand-built frames on a plain socket against the real server on loopback:
text must be UTF-8 (checked as it arrives, also across fragments), fragments follow their rules, close
frames are checked, a client's pings cannot grow the server's memory, only an answer to our own ping
counts for the keepalive, and a half-sent handshake neither stays nor escapes the per-address limit."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from server.embedded_redis import EmbeddedRedis
from tests.support.raw_websocket import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    RawClient,
    close_payload,
    frame,
)
from tests.support.server import ADMIN_KEY, RunningServer, launch_server

INVALID_UTF8 = "κόσμε".encode() + b"\xed\xa0\x80" + b"edited"  # an encoded surrogate: never valid
PING_REQUEST = json.dumps({"op": "ping", "t": "王芳"}, ensure_ascii=False).encode()


def open_client(server: RunningServer, **options: int) -> RawClient:
    client = RawClient(f"{server.ws_url}?token={ADMIN_KEY}", **options)
    client.read_until_op("hello")
    return client


def test_invalid_utf8_in_a_text_frame_closes_with_1007(server: RunningServer) -> None:
    client = open_client(server)
    client.send(frame(TEXT, INVALID_UTF8))
    assert client.close_code() == 1007


def test_invalid_utf8_across_fragments_closes_with_1007_without_waiting_for_the_end(server: RunningServer) -> None:
    client = open_client(server)
    client.send(frame(TEXT, INVALID_UTF8[:13], fin=False))  # the bad sequence is whole in this fragment
    assert client.close_code() == 1007  # no final fragment ever comes: checked as it arrived
    split = open_client(server)  # a sequence cut in two by the fragment boundary is checked whole
    split.send(frame(TEXT, b"\xce", fin=False) + frame(CONT, b"\xba\xff", fin=True))
    assert split.close_code() == 1007


def test_valid_utf8_cut_between_fragments_is_one_message(server: RunningServer) -> None:
    client = open_client(server)
    cut = PING_REQUEST.index("芳".encode()) + 1  # inside the character
    client.send(frame(TEXT, PING_REQUEST[:cut], fin=False) + frame(PING, b"between") + frame(CONT, PING_REQUEST[cut:]))
    assert client.read_until_op("pong")["t"] == "王芳"
    assert (PONG, b"between") in [(int(f.opcode), f.data) for f in client.frames]  # a control frame in between


@pytest.mark.parametrize(
    "frames",
    [
        frame(CONT, b"{}"),  # a continuation without a start
        frame(TEXT, b"{", fin=False) + frame(TEXT, b"}"),  # a new message inside a fragmented one
        frame(BINARY, b"\x80", fin=False) + frame(BINARY, b"\x80"),
        frame(PING, b"x" * 126),  # control frames carry at most 125 bytes
        frame(PING, b"", fin=False),  # and are never fragmented
    ],
    ids=["continuation-first", "text-in-fragments", "binary-in-fragments", "long-ping", "fragmented-ping"],
)
def test_broken_fragmentation_closes_with_1002(server: RunningServer, frames: bytes) -> None:
    client = open_client(server)
    client.send(frames)
    assert client.close_code() == 1002


def test_a_close_between_fragments_is_a_normal_close(server: RunningServer) -> None:
    client = open_client(server)
    client.send(frame(TEXT, b'{"op":', fin=False) + frame(CLOSE, close_payload(1000, b"bye")))
    assert client.close_code() == 1000


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\x03", 1002),  # one byte: neither empty nor a code
        (close_payload(999), 1002),
        (close_payload(1005), 1002),  # reserved: never sent on the wire
        (close_payload(1006), 1002),
        (close_payload(1016), 1002),
        (close_payload(2999), 1002),
        (close_payload(5000), 1002),
        (close_payload(1000, b"\xff\xfe"), 1007),  # the reason must be UTF-8
        (close_payload(1000, "再见".encode()), 1000),
        (close_payload(4123), 4123),  # private codes are echoed
        (b"", 1005),  # an empty close is answered with an empty one
    ],
)
def test_close_frames_are_checked(server: RunningServer, payload: bytes, code: int) -> None:
    client = open_client(server)
    client.send(frame(CLOSE, payload))
    assert client.close_code() == code


def test_a_message_over_64_kb_in_fragments_closes_with_1009(server: RunningServer) -> None:
    client = open_client(server)
    client.send(b"".join(frame(CONT if n else TEXT, b"x" * 16_000, fin=False) for n in range(5)))
    assert client.close_code() == 1009


def server_memory_kb(server: RunningServer, field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (the peak so far) of the server process, in kB."""
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for the server")


@pytest.fixture
def lone_server(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[RunningServer]:
    """A server of its own, so what one test does to its memory or limits is all there is."""
    running = launch_server(redis_server.url, tmp_path)
    try:
        yield running
    finally:
        running.stop()


def flood_until_closed(client: RawClient, pings: bytes, deadline: float) -> tuple[int | None, int]:
    """Flood ``client`` until the server closes it: its close code (None when cut with no close frame) and the
    thousands of pings sent. The flooder cannot tell a server that resumed reading to finish closing from one
    that merely stalled (a busy machine can pause it for a second), so after each flood it reads what it was
    sent; a server still open and drained is flooded again."""
    sent = 0
    while time.monotonic() < deadline:
        sent += client.flood(pings, 200)
        closed, close = client.read_until_closed_or_quiet()
        if closed:
            return (close.code if close is not None else None), sent
    raise AssertionError(f"still open after flooding {sent} thousand pings")


def test_a_ping_flood_from_a_client_that_never_reads_is_closed_and_memory_stays_bounded(
    lone_server: RunningServer,
) -> None:
    """Four clients send up to 200k pings of 125 bytes each (26 MB) and read nothing. The server's answers
    back up; it stops reading, counts the pongs against the connection's budget, and closes with 4008 when
    the budget overflows or the socket stays backed up for 10 s. Without that, every pong would wait in the
    server's memory (+139 MB for the four, against +15 MB with it)."""
    clients = [open_client(lone_server, receive_buffer=4096) for _ in range(4)]
    before = server_memory_kb(lone_server, "VmRSS")
    pings = frame(PING, b"p" * 125, mask=b"\x01\x02\x03\x04") * 1000
    deadline = time.monotonic() + 120
    with ThreadPoolExecutor(len(clients)) as pool:
        results = list(pool.map(lambda client: flood_until_closed(client, pings, deadline), clients))
    grown_mb = (server_memory_kb(lone_server, "VmHWM") - before) / 1024
    codes = [code for code, _ in results]
    assert grown_mb < 40, f"server memory grew by {grown_mb:.0f} MB ({results})"
    # Closed for its backlog (4008); a flooder that also never answers our pings may meet the keepalive first
    # at a moment its writes had drained (1011, "keepalive ping timeout"); and a socket closed while our pings
    # still sat unread in its buffer is reset by the kernel, which can drop the close frame before we read it
    # (None). Closed either way, memory bounded.
    assert set(codes) <= {4008, 1011, None} and 4008 in codes, results


@pytest.fixture
def strict_server(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[RunningServer]:
    running = launch_server(
        redis_server.url, tmp_path, ARENA_WS_PING_SECONDS="1", ARENA_WS_HANDSHAKE_SECONDS="1", ARENA_WS_PER_IP="2"
    )
    try:
        yield running
    finally:
        running.stop()


def test_only_an_answer_to_our_ping_keeps_a_connection(strict_server: RunningServer) -> None:
    """A client that sends pongs of its own but never answers the server's pings is cut (1011)."""
    client = open_client(strict_server)
    started = time.monotonic()
    client.sock.settimeout(0.2)
    while time.monotonic() - started < 6:
        try:
            client.send(frame(PONG, b""))
            if None in client._read():
                break
        except TimeoutError:
            continue
        except OSError:
            break
    assert client.protocol.close_rcvd is not None and client.protocol.close_rcvd.code == 1011, client.opcodes
    assert PING in [int(opcode) for opcode in client.opcodes]


def half_handshake(server: RunningServer) -> socket.socket:
    """An upgrade request whose headers never end."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(
        f"GET /ws?token={ADMIN_KEY} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\n".encode()
    )
    return sock


def test_a_half_sent_handshake_counts_against_the_address_and_is_cut(strict_server: RunningServer) -> None:
    async def first_message() -> str:
        async with connect(f"{strict_server.ws_url}?token={ADMIN_KEY}") as ws:
            message = json.loads(await ws.recv())
            return str(message["op"] if message["op"] == "hello" else message["code"])

    pending = [half_handshake(strict_server) for _ in range(2)]  # the address's two slots
    started = time.monotonic()
    try:
        assert asyncio.run(first_message()) == "too_many_connections"
        for sock in pending:
            assert sock.recv(1024) == b""  # closed once the handshake time is up
        waited = time.monotonic() - started
        assert 0.9 < waited < 4, waited
    finally:
        for sock in pending:
            sock.close()
    assert asyncio.run(first_message()) == "hello"  # the slots are free again


def test_a_handshake_over_the_limit_that_never_ends_is_refused_at_once(strict_server: RunningServer) -> None:
    pending = [half_handshake(strict_server) for _ in range(3)]
    try:
        started = time.monotonic()
        answer = pending[2].recv(1024)
        assert answer.startswith(b"HTTP/1.1 429"), answer
        assert time.monotonic() - started < 0.9
    finally:
        for sock in pending:
            sock.close()


def test_a_client_that_answers_our_pings_stays(strict_server: RunningServer) -> None:
    client = open_client(strict_server)
    client.answer_pings(3)  # three turns of the keepalive: each ping's own payload comes back
    client.send(frame(TEXT, PING_REQUEST))
    assert client.read_until_op("pong")["t"] == "王芳"
