"""The transport of ``/ws``: one event-driven protocol object per connection, no task while it is idle.

A screen holds its connection for days and a sales floor has thousands of them, so what one idle
connection costs matters as much as what a message costs. Through ASGI every connection would keep a
task, a coroutine chain (server, framework, endpoint), a receive queue and a writer task alive; here
uvicorn hands the upgraded socket to ``ArenaWebSocket`` (its ``ws`` protocol class) and a connection is a
protocol object, websockets' Sans-I/O frame parser and a ``Viewer``. Frames from the hub are finished
websocket frames (``server/live/wire.py``) written straight to the transport; the transport's own pause and
resume tell the viewer when to queue (bounded) and when to drain.

websockets (Sans-I/O) does the protocol: the handshake checks and response, frame parsing with a size
limit, ping/pong, the closing handshake. The handshake parser is dropped once the connection is open (it
holds the request headers), and frames are parsed by a fresh server-side ``Protocol``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.applications import Starlette
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import Protocol, Side, State
from websockets.server import ServerProtocol

from server.client_address import TrustedProxies, resolve_scope
from server.live.keepalive import KeepaliveWheel
from server.live.session import Admission, Session, admit

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.ws")
frames_log = logging.getLogger("arena.ws.frames")  # websockets logs every closed connection at INFO: not here
frames_log.setLevel(logging.WARNING)

CLOSE_TIMEOUT = 5.0  # after our close frame, how long the client has to answer before the socket is cut
CLOSE_GOING_AWAY_RESTART = 1012  # the server restarts: reconnect
HANDSHAKE_BYTES = 16 * 1024
MAX_INCOMING_BYTES = 64 * 1024  # larger messages close the socket (1009); up to here, ones over
# MAX_MESSAGE_BYTES get an error frame like any other invalid request


class WebSocketService:
    """What every ``/ws`` connection of one server shares: the app (its lifespan state holds the hub) and
    the proxy trust for ``X-Forwarded-For``. Passed to uvicorn as its ``ws`` protocol class."""

    def __init__(self, app: Starlette, trusted_proxies: TrustedProxies = ()) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies
        self.keepalive: KeepaliveWheel | None = None

    def __call__(self, config: Any, server_state: Any, app_state: dict[str, Any], **_: Any) -> ArenaWebSocket:
        if self.keepalive is None and config.ws_ping_interval:
            self.keepalive = KeepaliveWheel(config.ws_ping_interval)
        return ArenaWebSocket(self, server_state.connections)

    def client_address(self, scope: dict[str, Any]) -> str:
        """The client's address, from ``X-Forwarded-For`` when the peer is a trusted proxy (as for HTTP)."""
        resolve_scope(scope, self.trusted_proxies)
        client = scope.get("client")
        return client[0] if client else "?"


class ArenaWebSocket(asyncio.Protocol):
    __slots__ = (
        "_admitting",
        "_awaiting_pong",
        "_close_timer",
        "_fragment_text",
        "_fragments",
        "_handshake",
        "_keepalive_slot",
        "_paused",
        "_protocol",
        "_reading_paused",
        "connections",
        "ready",
        "service",
        "session",
        "transport",
    )

    def __init__(self, service: WebSocketService, connections: set[Any]) -> None:
        self.service = service
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self.session: Session | None = None
        self._handshake: ServerProtocol | None = ServerProtocol(max_size=MAX_INCOMING_BYTES, logger=frames_log)
        self._protocol: Protocol | None = None  # frames, once the handshake is done
        self._admitting: asyncio.Task[None] | None = None
        self._fragments: list[bytes] | None = None  # a message in several frames, until its last one
        self._fragment_text = False
        self._paused = False
        self.ready = False  # open and not backed up: what a viewer checks before every frame
        self._reading_paused = False
        self._keepalive_slot: int | None = None
        self._awaiting_pong = False
        self._close_timer: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._protocol is not None:
            self._receive_frames(data)
        elif self._handshake is not None and self._admitting is None:
            self._receive_handshake(data)
        # Anything else arrives before our handshake response: a client must wait for it (RFC 6455 4.1).

    def eof_received(self) -> bool | None:
        if self._protocol is not None:
            self._protocol.receive_eof()
            self._flush_protocol()
        return None  # close the transport

    def pause_writing(self) -> None:
        self._paused = True
        self._update_ready()

    def resume_writing(self) -> None:
        self._paused = False
        self._update_ready()
        if self.ready and self.session is not None:
            self.session.viewer.drain()

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self._paused = True
        self.ready = False
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self._keepalive_slot is not None and self.service.keepalive is not None:
            self.service.keepalive.discard(self, self._keepalive_slot)
            self._keepalive_slot = None
        if self._admitting is not None:
            self._admitting.cancel()
            self._admitting = None
        if self.session is not None:
            self.session.end()
        self._handshake = None
        self._protocol = None

    def shutdown(self) -> None:
        """uvicorn stops: tell clients to come back (1012) and close."""
        if self.transport is None or self.transport.is_closing():
            return
        if self._protocol is not None and self._protocol.state is State.OPEN:
            self._protocol.send_close(CLOSE_GOING_AWAY_RESTART, "server restarting")
            self._update_ready()
            self._write_protocol_output()
        elif self._handshake is not None:
            self._respond(503, "server restarting")
        self.transport.close()

    # --- the viewer's and the session's link --------------------------------------------------

    def _update_ready(self) -> None:
        protocol = self._protocol
        self.ready = not self._paused and protocol is not None and protocol.state is State.OPEN

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake; the socket is cut if the client does not answer in time."""
        protocol = self._protocol
        if protocol is None or protocol.state is not State.OPEN or self.transport is None:
            return
        protocol.send_close(code, reason)
        self._flush_protocol()
        self.resume_reading()  # the client's answer to the close must get through

    def pause_reading(self) -> None:
        if not self._reading_paused and self.transport is not None and not self.transport.is_closing():
            self._reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._reading_paused and self.transport is not None and not self.transport.is_closing():
            self._reading_paused = False
            self.transport.resume_reading()

    # --- the opening handshake ----------------------------------------------------------------

    def _receive_handshake(self, data: bytes) -> None:
        handshake = self._handshake
        assert handshake is not None
        handshake.receive_data(data)
        for event in handshake.events_received():
            if isinstance(event, Request):
                self._admitting = asyncio.get_running_loop().create_task(self._admit(event))
                return
        if handshake.handshake_exc is not None or len(handshake.reader.buffer) > HANDSHAKE_BYTES:
            self._respond(400, "not a websocket handshake")

    async def _admit(self, request: Request) -> None:
        try:
            await self._admit_or_refuse(request)
        except Exception:
            log.exception("websocket handshake failed")
            self._respond(503, "temporarily unavailable; retry")

    async def _admit_or_refuse(self, request: Request) -> None:
        """Check the request (websockets), then who it is (``server/live/session.py``); answer 101 or refuse."""
        handshake = self._handshake
        assert handshake is not None and self.transport is not None
        response = handshake.accept(request)
        if response.status_code != 101:
            handshake.send_response(response)
            self._write_handshake_output()
            self.transport.close()
            return
        scope = self._scope(request)
        if scope["path"] != "/ws":
            self._respond(404, "websockets are served on /ws")
            return
        arena: Arena | None = getattr(self.service.app.state, "arena", None)  # set in the lifespan
        if arena is None:
            self._respond(503, "server starting")
            return
        client_ip = self.service.client_address(scope)
        admission: Admission = await admit(arena, scope)
        if self.transport.is_closing():
            return
        if admission.status != 101:
            self._respond(admission.status, admission.reason)
            return
        if admission.subprotocol:
            response.headers["Sec-WebSocket-Protocol"] = admission.subprotocol
        handshake.send_response(response)
        self._write_handshake_output()
        # Open: frames from now on, without the handshake parser (it keeps the request's headers alive).
        self._handshake = None
        self._admitting = None
        self._protocol = Protocol(Side.SERVER, max_size=MAX_INCOMING_BYTES, logger=frames_log)
        self._update_ready()
        self.session = Session(arena, self, admission, client_ip)
        if self.service.keepalive is not None:
            self._keepalive_slot = self.service.keepalive.add(self)

    def _scope(self, request: Request) -> dict[str, Any]:
        """The handshake as an ASGI-style scope, for the credential and proxy-header code shared with HTTP."""
        assert self.transport is not None
        path, _, query = request.path.partition("?")
        subprotocols = [
            token.strip()
            for header in request.headers.get_all("Sec-WebSocket-Protocol")
            for token in header.split(",")
            if token.strip()
        ]
        return {
            "type": "websocket",
            "path": unquote(path),
            "query_string": query.encode("latin-1"),
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.raw_items()],
            "client": self.transport.get_extra_info("peername"),
            "scheme": "ws",
            "subprotocols": subprotocols,
        }

    def _respond(self, status: int, text: str) -> None:
        """Refuse the upgrade with an HTTP status and a plain-text reason."""
        handshake = self._handshake
        if handshake is None or self.transport is None or self.transport.is_closing():
            return
        handshake.send_response(handshake.reject(status, text + "\n"))
        self._write_handshake_output()
        self.transport.close()

    def _write_handshake_output(self) -> None:
        assert self._handshake is not None and self.transport is not None
        data = b"".join(self._handshake.data_to_send())
        if data:
            self.transport.write(data)

    # --- frames -------------------------------------------------------------------------------

    def _receive_frames(self, data: bytes) -> None:
        protocol = self._protocol
        assert protocol is not None
        protocol.receive_data(data)
        for frame in protocol.events_received():
            if isinstance(frame, Frame):
                self._on_frame(frame)
        self._flush_protocol()

    def _on_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                self._deliver(bytes(frame.data), opcode is Opcode.TEXT)
            else:
                self._fragments, self._fragment_text = [bytes(frame.data)], opcode is Opcode.TEXT
        elif opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(bytes(frame.data))  # the protocol bounds the whole message by max_size
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), None
                self._deliver(data, self._fragment_text)
        elif opcode is Opcode.PONG:
            self._awaiting_pong = False
        # PING: the protocol queued the pong; CLOSE: it queued the answer and the end of the stream.

    def _deliver(self, data: bytes, text: bool) -> None:
        if self.session is not None:
            self.session.receive(data, text)

    def _flush_protocol(self) -> None:
        """Write what the protocol has to say; end the TCP connection when it says so."""
        protocol = self._protocol
        if protocol is None or self.transport is None:
            return
        self._update_ready()
        if self._write_protocol_output():
            self.transport.close()
        elif protocol.close_expected() and self._close_timer is None:
            self._close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.transport.abort)

    def _write_protocol_output(self) -> bool:
        """Write queued protocol bytes; True when they end with the end of the stream."""
        assert self._protocol is not None and self.transport is not None
        eof = False
        for chunk in self._protocol.data_to_send():
            if chunk:
                self.transport.write(chunk)
            else:
                eof = True
        return eof

    # --- keepalive ----------------------------------------------------------------------------

    def keepalive(self) -> None:
        """Called by the keepalive wheel once per interval: a client that has not answered the previous
        ping by now is gone (cut with 1011); otherwise ping it again."""
        protocol = self._protocol
        if protocol is None or protocol.state is not State.OPEN or self.transport is None:
            return
        if self._awaiting_pong:
            protocol.fail(1011, "keepalive ping timeout")
            self._update_ready()
            self._write_protocol_output()
            self.transport.close()
            return
        self._awaiting_pong = True
        protocol.send_ping(b"")
        self._write_protocol_output()
