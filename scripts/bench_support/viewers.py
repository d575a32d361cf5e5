"""Thousands of websocket viewers in one process, driven by ``scripts/bench_fanout.py``.

Each viewer is a non-blocking socket watched with ``loop.add_reader`` and websockets' sans-I/O
``ClientProtocol``: no task, future or queue per connection or per message, so one process can follow 10k
sockets. No compression is offered, so every server sends plain frames.

Modes (what "subscribed" means and which frames count as messages):

- ``arena`` and ``raw``: send the subscribe requests (one a line) after the handshake; every text frame is a
  message.
- ``socketio``: Engine.IO v4 / Socket.IO v5 over a raw websocket: answer the ``0{...}`` open packet with
  ``40`` (connect the default namespace), answer pings ``2`` with ``3``; only ``42[...]`` events are messages.

A viewer is ready when its first snapshot (a frame containing ``"op":"snapshot"``, or ``"op":"me"`` for a
phone, which connects with a rep's session cookie) arrives. A phone's ``me`` frame that lists a rep's win
``bench-<20 digits>`` it had not listed before is a sample of ``me_latency`` (``scripts/bench_phones.py``).
A message that contains ``api:bench-<20 digits>`` carries its send time (CLOCK_MONOTONIC ns); its arrival time is the
kernel's receive timestamp of the read that completed it (``SO_TIMESTAMPNS``), so a viewer that this
process gets to late does not make the server look slow. The difference is one latency sample.

Control: one JSON command per line on stdin, one JSON reply per line on stdout (see ``Commands``).
EOF on stdin ends the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import resource
import socket
import struct
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import WebSocketURI, parse_uri

from scripts.bench_support.measure import BUCKET_NS, STAMP_DIGITS, STAMP_MARK

MODES = ("arena", "raw", "socketio")
SNAPSHOT_MARK = b'"op":"snapshot"'
ME_MARK = b'"op":"me"'
WIN_MARK = b'"id":"bench-'  # a rep's recent win in a "me" frame
OP_MARK = b'"op":"'
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python does not name it
TIMESPEC = struct.Struct("@qq")
ANCILLARY_BYTES = socket.CMSG_SPACE(TIMESPEC.size)
RECV_BYTES = 32 * 1024
NO_LINGER = struct.pack("ii", 1, 0)
CONNECT_TIMEOUT = 15.0  # per socket: TCP connect
READY_TIMEOUT = 60.0  # per socket: handshake + first snapshot


@dataclass
class Stats:
    messages: int = 0
    payload_bytes: int = 0
    ops: Counter[bytes] = field(default_factory=Counter)  # messages by their "op"
    latency: Counter[int] = field(default_factory=Counter)
    me_latency: Counter[int] = field(default_factory=Counter)  # deal → the first "me" frame listing it
    closed: int = 0
    close_codes: Counter[int] = field(default_factory=Counter)


class Viewer:
    """One websocket connection that counts messages and latency samples into the shared ``Stats``."""

    def __init__(
        self,
        uri: WebSocketURI,
        mode: str,
        subscribe: bytes,
        stats: Stats,
        ready: asyncio.Future[None],
        cookie: str | None = None,
    ):
        subprotocols = None if mode == "socketio" else ["arena.v1.json"]
        self.ws = ClientProtocol(uri, subprotocols=subprotocols)  # type: ignore[arg-type]
        self.mode = mode
        self.subscribe = subscribe
        self.stats = stats
        self.ready = ready
        self.messages = 0
        self.cookie = cookie
        self.last_win = b""  # the newest win a "me" frame listed
        self.lost = False
        self.counted = False  # set once ready: only then does its closing count
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, NO_LINGER)  # close = RST, no TIME_WAIT

    async def open(self, host: str, port: int) -> None:
        """Connect, start reading and send the handshake; ``ready`` resolves at the first snapshot."""
        loop = asyncio.get_running_loop()
        await loop.sock_connect(self.sock, (host, port))
        loop.add_reader(self.sock.fileno(), self._on_readable)
        request = self.ws.connect()
        if self.cookie:
            request.headers["Cookie"] = self.cookie
        self.ws.send_request(request)
        self._flush()

    # --- socket ----------------------------------------------------------------------------------

    def _on_readable(self) -> None:
        try:
            data, ancillary, _flags, _address = self.sock.recvmsg(RECV_BYTES, ANCILLARY_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lost(exc)
            return
        if not data:
            self.ws.receive_eof()
            self._lost(None)
            return
        arrived = arrival_ns(ancillary)
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Frame):
                if event.opcode is Opcode.TEXT:
                    self._on_text(bytes(event.data), arrived)
            else:
                self._on_handshake()
        self._flush()

    def _lost(self, exc: Exception | None) -> None:
        if self.lost:
            return
        self.lost = True
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
        self.sock.close()
        if self.counted:
            self.stats.closed += 1
            self.stats.close_codes[self.ws.close_rcvd.code if self.ws.close_rcvd else 1006] += 1
        self._fail(ConnectionError(f"connection lost before the first snapshot ({exc or 'closed'})"))

    def abort(self) -> None:
        self._lost(None)

    # --- websocket events ----------------------------------------------------------------------

    def _on_handshake(self) -> None:
        if self.ws.handshake_exc is not None or self.ws.state is not State.OPEN:
            self._fail(ConnectionError(f"handshake failed: {self.ws.handshake_exc}"))
            self.abort()
        elif self.mode != "socketio":
            for request in self.subscribe.split(b"\n"):  # one request a line (a phone watches two boards)
                self._send(request)

    def _on_text(self, data: bytes, arrived: int) -> None:
        if self.mode == "socketio" and not data.startswith(b"42"):
            self._on_engineio(data)
            return
        self.messages += 1
        self.stats.messages += 1
        self.stats.payload_bytes += len(data)
        self.stats.ops[op_of(data)] += 1
        if not self.ready.done() and (SNAPSHOT_MARK in data or ME_MARK in data):
            self.ready.set_result(None)
        if ME_MARK in data:
            self._on_me(data, arrived)
            return
        at = data.find(STAMP_MARK)
        if at >= 0:
            stamp = data[at + len(STAMP_MARK) : at + len(STAMP_MARK) + STAMP_DIGITS]
            if stamp.isdigit():
                self.stats.latency[(arrived - int(stamp)) // BUCKET_NS] += 1

    def _on_me(self, data: bytes, arrived: int) -> None:
        at = data.find(WIN_MARK)  # the rep's wins come newest first
        stamp = data[at + len(WIN_MARK) : at + len(WIN_MARK) + STAMP_DIGITS] if at >= 0 else b""
        if stamp.isdigit() and stamp > self.last_win:
            if self.last_win:  # the first frame (the greeting) lists wins from before the phone came
                self.stats.me_latency[(arrived - int(stamp)) // BUCKET_NS] += 1
            self.last_win = stamp
        elif not self.last_win:
            self.last_win = b"0"

    def _on_engineio(self, data: bytes) -> None:
        if data == b"2":  # Engine.IO ping → pong
            self._send(b"3")
        elif data.startswith(b"0"):  # Engine.IO open → Socket.IO connect to the default namespace
            self._send(b"40")

    # --- plumbing ------------------------------------------------------------------------------

    def _send(self, text: bytes) -> None:
        if self.ws.state is State.OPEN:
            self.ws.send_text(text)
            self._flush()

    def _flush(self) -> None:
        """Our writes are tiny (handshake, subscribe, pongs): a full send buffer means the peer is gone."""
        for chunk in self.ws.data_to_send():
            if self.lost:
                return
            try:
                if not chunk:
                    self.sock.shutdown(socket.SHUT_WR)
                elif self.sock.send(chunk) != len(chunk):
                    raise BlockingIOError("short write")
            except OSError as exc:
                self._lost(exc)

    def _fail(self, exc: Exception) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc)


def op_of(data: bytes) -> bytes:
    """The message's ``"op"`` (looked for near the start: ours put it first), or ``b"?"``."""
    at = data.find(OP_MARK, 0, 64)
    if at < 0:
        return b"?"
    start = at + len(OP_MARK)
    return data[start : data.find(b'"', start, start + 32)]


def arrival_ns(ancillary: list[tuple[int, int, bytes]]) -> int:
    """When the kernel received the read's last segment (SO_TIMESTAMPNS), on the CLOCK_MONOTONIC scale.

    Taking the time when the kernel got the bytes rather than when this process got to them keeps the viewers'
    own queueing (one process reading thousands of sockets in turn) out of the servers' latency.
    """
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= TIMESPEC.size:
            seconds, nanoseconds = TIMESPEC.unpack_from(data)
            return seconds * 1_000_000_000 + nanoseconds - (time.time_ns() - time.monotonic_ns())
    return time.monotonic_ns()


class Commands:
    """The viewer process's state and its commands: connect, mark, report, drop."""

    def __init__(self) -> None:
        self.stats = Stats()
        self.viewers: list[Viewer] = []
        self.marked_at = time.monotonic()

    async def connect(
        self,
        url: str,
        count: int,
        mode: str,
        subscribe: str,
        concurrency: int,
        timeout: float,
        cookies: list[str] | None = None,
    ) -> dict:
        """Open ``count`` viewers, at most ``concurrency`` handshakes at a time, within ``timeout`` seconds."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        uri = parse_uri(url)
        gate = asyncio.Semaphore(concurrency)
        started = time.monotonic()
        if count <= 0:
            return {"connected": 0, "seconds": 0.0, "errors": {}}
        cookies = cookies or [""] * count
        tasks = [
            asyncio.create_task(self._connect_one(uri, mode, subscribe.encode(), gate, cookies[i]))
            for i in range(count)
        ]
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        errors = Counter(task.result() for task in done if task.result() is not None)
        errors["timed out (whole batch)"] += len(pending)
        connected = sum(1 for task in done if task.result() is None)
        return {"connected": connected, "seconds": round(time.monotonic() - started, 2), "errors": dict(+errors)}

    async def _connect_one(
        self, uri: WebSocketURI, mode: str, subscribe: bytes, gate: asyncio.Semaphore, cookie: str = ""
    ) -> str | None:
        loop = asyncio.get_running_loop()
        async with gate:
            ready: asyncio.Future[None] = loop.create_future()
            viewer = Viewer(uri, mode, subscribe, self.stats, ready, cookie or None)
            try:
                await asyncio.wait_for(viewer.open(uri.host, uri.port), CONNECT_TIMEOUT)
                await asyncio.wait_for(ready, READY_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                viewer.abort()
                return f"{type(exc).__name__}: {exc}"[:120]
            viewer.counted = True
            self.viewers.append(viewer)
            return None

    def mark(self) -> dict:
        """Start a measured window: zero every counter."""
        self.stats.messages = 0
        self.stats.payload_bytes = 0
        self.stats.ops.clear()
        self.stats.latency.clear()
        self.stats.me_latency.clear()
        for viewer in self.viewers:
            viewer.messages = 0
        self.marked_at = time.monotonic()
        return {}

    def report(self) -> dict:
        """Counters since the last mark, plus how evenly messages reached the viewers."""
        per_viewer = sorted(v.messages for v in self.viewers) or [0]
        return {
            "seconds": round(time.monotonic() - self.marked_at, 3),
            "messages": self.stats.messages,
            "payload_bytes": self.stats.payload_bytes,
            "ops": {op.decode(errors="replace"): n for op, n in self.stats.ops.items()},
            "latency": {str(bucket): n for bucket, n in self.stats.latency.items()},
            "me_latency": {str(bucket): n for bucket, n in self.stats.me_latency.items()},
            "open": sum(1 for v in self.viewers if not v.lost),
            "closed": self.stats.closed,
            "close_codes": {str(code): n for code, n in self.stats.close_codes.items()},
            "per_viewer_min": per_viewer[0],
            "per_viewer_median": per_viewer[len(per_viewer) // 2],
            "per_viewer_max": per_viewer[-1],
        }

    async def drop(self) -> dict:
        """Abort every connection (RST, no closing handshake) and forget them."""
        for viewer in self.viewers:
            viewer.abort()
        count = len(self.viewers)
        self.viewers.clear()
        await asyncio.sleep(0.2)  # a moment for the server to see the resets before the next command
        self.stats = Stats()
        return {"dropped": count}

    async def run(self, command: dict[str, Any]) -> dict:
        name = command.pop("cmd", None)
        if name == "connect":
            return await self.connect(**command)
        if name == "mark":
            return self.mark()
        if name == "report":
            return self.report()
        if name == "drop":
            return await self.drop()
        raise ValueError(f"unknown command {name!r}")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def serve_commands() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)  # a connect command carries a cookie per phone
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    commands = Commands()
    while line := await reader.readline():
        try:
            reply = {"ok": True, **await commands.run(json.loads(line))}
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    await commands.drop()


def main() -> None:
    raise_fd_limit()
    # Thousands of sockets are long-lived objects: with the default thresholds this process would stop for
    # full collections and read two ticks' frames at once, stamping both with the later arrival.
    gc.set_threshold(50_000, 10, 10)
    asyncio.run(serve_commands())


if __name__ == "__main__":
    main()
