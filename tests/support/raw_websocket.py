"""A websocket client made of a plain socket and hand-built frames, for what a well-behaved library will
not send: invalid UTF-8, broken fragmentation, bad close frames, floods of pings, half-sent handshakes.

Frames are built byte by byte (RFC 6455 5.2), masked as a client must; what the server sends back is read
with websockets' Sans-I/O client, which knows nothing of what was sent.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import struct
import time
from typing import Any

from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def frame(opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bytes | None = None) -> bytes:
    """One client frame: FIN bit, opcode, masked payload (a fixed ``mask`` makes floods cheap to build)."""
    key = mask if mask is not None else os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", (0x80 if fin else 0) | opcode, 0x80 | length)
    elif length < 65536:
        header = struct.pack("!BBH", (0x80 if fin else 0) | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", (0x80 if fin else 0) | opcode, 0x80 | 127, length)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return header + key + masked


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return struct.pack("!H", code) + reason


class RawClient:
    """An open websocket on a plain socket: ``send`` raw bytes, ``read_until_closed`` for the server's answer."""

    def __init__(self, url: str, *, receive_buffer: int | None = None) -> None:
        uri = parse_uri(url)
        self.protocol = ClientProtocol(uri, max_size=None)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:  # set before connecting: a small window, like a weak link
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(10)
        self.sock.connect((uri.host, uri.port))
        self.protocol.send_request(self.protocol.connect())
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        self.frames: list[Frame] = []
        self.reset = False
        while not any(isinstance(event, Response) for event in self._read()):
            pass
        assert self.protocol.handshake_exc is None, self.protocol.handshake_exc

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def flood(self, data: bytes, times: int, pause: float = 1.0, patience: float = 30.0) -> int:
        """Send ``data`` up to ``times`` times without reading anything. A server that stops reading for
        ``pause`` seconds and then reads again has closed the connection (it reads to find the client's
        answer to its close): stop there. Also stops when the server neither reads nor closes for
        ``patience`` seconds, or resets the connection. Returns how many were sent whole."""
        self.sock.setblocking(False)
        view, sent_bytes, total = memoryview(data), 0, len(data) * times
        last_progress = time.monotonic()
        try:
            while sent_bytes < total and time.monotonic() - last_progress < patience:
                _, writable, _ = select.select([], [self.sock], [], 0.1)
                if not writable:
                    continue
                try:
                    sent_bytes += self.sock.send(view[sent_bytes % len(data) :])
                except BlockingIOError:
                    continue
                except (BrokenPipeError, ConnectionResetError):
                    break
                stalled = time.monotonic() - last_progress
                last_progress = time.monotonic()
                if stalled > pause:
                    break
        finally:
            self.sock.settimeout(10)
        return sent_bytes // len(data)

    def _read(self) -> list[object]:
        try:
            data = self.sock.recv(262144)
        except ConnectionResetError:
            data, self.reset = b"", True
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        events = self.protocol.events_received()
        frames = [event for event in events if isinstance(event, Frame)]
        self.frames += frames
        answer = self.protocol.data_to_send()  # pongs thrown away: this client answers only a close
        if any(f.opcode is Opcode.CLOSE for f in frames):
            with contextlib.suppress(OSError):
                self.sock.sendall(b"".join(answer))
        return events if data else [None]

    def read_until_closed(self, timeout: float = 10.0) -> Close | None:
        """Read until the server ends the connection; the close frame it sent, if any."""
        deadline = time.monotonic() + timeout
        while True:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                if None in self._read():
                    break
            except TimeoutError:
                raise AssertionError(f"still open after {timeout} s; last frames: {self.frames[-3:]}") from None
        self.sock.close()
        return self.protocol.close_rcvd

    def read_until_closed_or_quiet(self, quiet: float = 2.0) -> tuple[bool, Close | None]:
        """Read what the server sent until it ends the connection (True and its close frame, if any) or has
        sent nothing more for ``quiet`` seconds (False: still open, and now drained)."""
        while True:
            self.sock.settimeout(quiet)
            try:
                if None in self._read():
                    break
            except TimeoutError:
                return False, None
        self.sock.close()
        return True, self.protocol.close_rcvd

    def read_until_op(self, op: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next message whose ``op`` is ``op`` (skipping others, and answering nothing)."""
        deadline, seen = time.monotonic() + timeout, 0
        while True:
            for received in self.frames[seen:]:
                if received.opcode is Opcode.TEXT and json.loads(received.data)["op"] == op:
                    self.frames.remove(received)
                    return dict(json.loads(received.data))
            seen = len(self.frames)
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            assert None not in self._read(), f"closed while waiting for {op}: {self.protocol.close_rcvd}"

    def answer_pings(self, count: int, timeout: float = 10.0) -> None:
        """Answer the server's next ``count`` pings as a client should: a pong with the ping's payload."""
        deadline, answered, seen = time.monotonic() + timeout, 0, len(self.frames)
        while answered < count:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            assert None not in self._read(), f"closed after {answered} pings: {self.protocol.close_rcvd}"
            for received in self.frames[seen:]:
                if received.opcode is Opcode.PING:
                    self.send(frame(PONG, received.data))
                    answered += 1
            seen = len(self.frames)

    def close_code(self, timeout: float = 10.0) -> int | None:
        close = self.read_until_closed(timeout)
        return close.code if close is not None else None

    @property
    def opcodes(self) -> list[Opcode]:
        return [f.opcode for f in self.frames]
