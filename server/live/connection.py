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
holds the request headers), and frames are parsed by a fresh server-side ``StrictProtocol`` (websockets'
with RFC 6455's UTF-8 and interleaved-close rules, ``server/live/strict_frames.py``).

What a client makes the server write is bounded: the pongs that answer its pings go through the viewer
like any notice (while the socket is backed up they count against its budget, and overflowing it closes
with 4008), and the server stops reading a connection while writing to it is backed up, so a client that
sends without reading cannot make it queue more. Only a pong carrying the payload of our own keepalive
ping counts as an answer to it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.applications import Starlette
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import Side, State
from websockets.server import ServerProtocol

from server import metrics
from server.client_address import TrustedProxies, resolve_scope
from server.live.handshake import PendingHandshake, UpgradeWatch
from server.live.keepalive import KeepaliveWheel
from server.live.session import Admission, Session, admit
from server.live.strict_frames import StrictProtocol
from server.live.viewer import SEND_TIMEOUT

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
PONG_FIRST_BYTE = 0x8A  # FIN and the pong opcode: websockets queues each frame as one chunk of bytes


class WebSocketService:
    """What every ``/ws`` connection of one server shares: the app (its lifespan state holds the hub) and
    the proxy trust for ``X-Forwarded-For``. Passed to uvicorn as its ``ws`` protocol class."""

    def __init__(self, app: Starlette, trusted_proxies: TrustedProxies = (), handshake_seconds: float = 10.0) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies
        self.handshake_seconds = handshake_seconds
        self.keepalive: KeepaliveWheel | None = None

    def __call__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        handshake: PendingHandshake | None = None,
        **_: Any,
    ) -> ArenaWebSocket:
        if self.keepalive is None and config.ws_ping_interval:
            self.keepalive = KeepaliveWheel(config.ws_ping_interval)
        return ArenaWebSocket(self, server_state.connections, handshake)

    def http(self, **kwargs: Any) -> UpgradeWatch:
        """uvicorn's HTTP protocol for this server (its ``http`` argument): it watches for handshakes."""
        return UpgradeWatch(self, **kwargs)

    def begin_handshake(self, address: str, started: float, on_timeout: Any) -> PendingHandshake:
        """A handshake's clock, from ``started`` (loop time), and its slot of ``address``'s connections."""
        arena: Arena | None = getattr(self.app.state, "arena", None)
        limiter = arena.connections if arena is not None else None
        return PendingHandshake(limiter, address, started + self.handshake_seconds, on_timeout)

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
        "_held_for_requests",
        "_held_for_writes",
        "_keepalive_slot",
        "_paused",
        "_pending",
        "_protocol",
        "_reading_paused",
        "connections",
        "ready",
        "service",
        "session",
        "transport",
    )

    def __init__(
        self, service: WebSocketService, connections: set[Any], handshake: PendingHandshake | None = None
    ) -> None:
        self.service = service
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self.session: Session | None = None
        self._handshake: ServerProtocol | None = ServerProtocol(max_size=MAX_INCOMING_BYTES, logger=frames_log)
        self._pending = handshake  # its clock and address slot, until answered
        self._protocol: StrictProtocol | None = None  # frames, once the handshake is done
        self._admitting: asyncio.Task[None] | None = None
        self._fragments: list[bytes] | None = None  # a message in several frames, until its last one
        self._fragment_text = False
        self._paused = False
        self.ready = False  # open and not backed up: what a viewer checks before every frame
        self._reading_paused = False
        self._held_for_requests = False  # the session has enough requests in hand
        self._held_for_writes = False  # the transport is backed up
        self._keepalive_slot: int | None = None
        self._awaiting_pong: bytes | None = None  # the payload of our unanswered keepalive ping
        self._close_timer: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.connections.add(self)
        if self._pending is None:  # not handed over by the HTTP protocol: the clock starts now
            peer = transport.get_extra_info("peername")
            self._pending = self.service.begin_handshake(
                peer[0] if peer else "?", asyncio.get_running_loop().time(), self._handshake_timed_out
            )
        else:
            self._pending.on_timeout = self._handshake_timed_out

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
        self._held_for_writes = True
        self._update_reading()
        if self.session is not None:
            self.session.viewer.backed_up()  # staying backed up past the send timeout closes it (4008)

    def resume_writing(self) -> None:
        self._paused = False
        self._update_ready()
        if self.ready and self.session is not None:
            self.session.viewer.drain()
        self._held_for_writes = False
        self._update_reading()

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
        if self._pending is not None:
            self._pending.release()
            self._pending = None
        if self.session is not None:
            metrics.WS_CONNECTIONS.dec()
            self.session.end()
        self._handshake = None
        self._protocol = None

    def shutdown(self) -> None:
        """uvicorn stops: tell clients to come back (1012) and close."""
        if self.transport is None or self.transport.is_closing():
            return
        if self._protocol is not None and self._protocol.state is State.OPEN:
            self._protocol.send_close(CLOSE_GOING_AWAY_RESTART, "server restarting")
            metrics.WS_CLOSES.labels(code=str(CLOSE_GOING_AWAY_RESTART)).inc()
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
        metrics.WS_SENT_BYTES.value += len(data)

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake; the socket is cut if the client does not answer in time."""
        protocol = self._protocol
        if protocol is None or protocol.state is not State.OPEN or self.transport is None:
            return
        protocol.send_close(code, reason)
        metrics.WS_CLOSES.labels(code=str(code)).inc()
        self._flush_protocol()
        self._update_reading()  # closing: read again, the client's answer to the close must get through

    def pause_reading(self) -> None:
        self._held_for_requests = True
        self._update_reading()

    def resume_reading(self) -> None:
        self._held_for_requests = False
        self._update_reading()

    def _update_reading(self) -> None:
        """Read unless the session has enough requests in hand or writing to the client is backed up."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        protocol = self._protocol
        open_ = protocol is not None and protocol.state is State.OPEN  # closing: read (and drop) what comes
        hold = open_ and (self._held_for_requests or self._held_for_writes)
        if hold and not self._reading_paused:
            self._reading_paused = True
            transport.pause_reading()
        elif not hold and self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()

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

    def _handshake_timed_out(self) -> None:
        """The handshake took longer than ``ARENA_WS_HANDSHAKE_SECONDS``: the request, or our check of it."""
        if self._admitting is not None:
            self._admitting.cancel()
            self._admitting = None
        self._respond(408, "the websocket handshake took too long")
        if self.transport is not None:
            self.transport.close()

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
        assert self._pending is not None
        counted = self._pending.recount(client_ip)  # a slot of the client's own address, if one is free
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
        self._pending.settle()  # its slot, if it held one, is the session's now
        self._pending = None
        self._protocol = StrictProtocol(Side.SERVER, max_size=MAX_INCOMING_BYTES, logger=frames_log)
        self._update_ready()
        self.session = Session(arena, self, admission, client_ip, counted)
        metrics.WS_CONNECTIONS.inc()
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
        elif opcode is Opcode.PONG and frame.data == self._awaiting_pong:  # an answer to our ping, not any pong
            self._awaiting_pong = None
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
            # Behind a backed-up socket the close frame first has to reach the client: the send timeout more.
            delay = CLOSE_TIMEOUT + (SEND_TIMEOUT if self._paused else 0.0)
            self._close_timer = asyncio.get_running_loop().call_later(delay, self.transport.abort)

    def _write_protocol_output(self) -> bool:
        """Write queued protocol bytes; True when they end with the end of the stream. Pongs go through the
        viewer, as notices: while the socket is backed up they count against the connection's budget (and
        are dropped once it is closing)."""
        assert self._protocol is not None and self.transport is not None
        eof = False
        viewer = self.session.viewer if self.session is not None else None
        for chunk in self._protocol.data_to_send():
            if not chunk:
                eof = True
            elif chunk[0] == PONG_FIRST_BYTE and viewer is not None:
                viewer.offer_notice(chunk)
            else:
                self.transport.write(chunk)
        return eof

    # --- keepalive ----------------------------------------------------------------------------

    def keepalive(self) -> None:
        """Called by the keepalive wheel once per interval: a client that has not answered the previous
        ping by now is gone (cut with 1011); otherwise ping it again. Not while its writes are backed up."""
        protocol = self._protocol
        if protocol is None or protocol.state is not State.OPEN or self.transport is None:
            return
        if self._held_for_writes:
            return  # we stopped reading it, so its pong could not be heard: the send timeout judges it (4008)
        if self._awaiting_pong is not None:
            protocol.fail(1011, "keepalive ping timeout")
            metrics.WS_CLOSES.labels(code="1011").inc()
            self._update_ready()
            self._write_protocol_output()
            self.transport.close()
            return
        self._awaiting_pong = os.urandom(4)  # only a pong that echoes it answers this ping
        protocol.send_ping(self._awaiting_pong)
        self._write_protocol_output()
