"""uvicorn's Sans-I/O websocket protocol, with a direct write path for board fan-out.

The hub encodes a frame once and hands the same bytes to thousands of screens. Through ASGI each send is a
chain of coroutines per viewer (Starlette, middleware, uvicorn); here a viewer whose connection is
writable and whose outbox is empty gets the frame written synchronously — framed by the websockets
Sans-I/O connection and handed to the transport — and only a viewer that is behind goes through its
bounded outbox and writer task. Everything else (handshake, receiving, closing) stays uvicorn's.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

SCOPE_KEY = "arena.direct"


class DirectWriter:
    """Writes already encoded frames straight to one connection when it can take them now."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol

    def ready(self) -> bool:
        protocol = self._protocol
        return (
            protocol.handshake_complete
            and not protocol.close_sent
            and protocol.writable.is_set()
            and not protocol.transport.is_closing()
        )

    def forget_handshake(self) -> None:
        """The request and response of the handshake are not needed once accepted: a screen holds its
        connection for days, so the headers should not stay with it."""
        if self._protocol.handshake_complete:
            self._protocol.request = None  # type: ignore[assignment]
            self._protocol.response = None  # type: ignore[assignment]

    def write(self, frame: str | bytes, binary: bool) -> None:
        protocol = self._protocol
        if binary:
            protocol.conn.send_binary(frame if isinstance(frame, bytes) else frame.encode())
        else:
            protocol.conn.send_text(frame.encode() if isinstance(frame, str) else frame)
        protocol.transport.write(b"".join(protocol.conn.data_to_send()))


class ArenaWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if isinstance(scope, dict):
            scope[SCOPE_KEY] = DirectWriter(self)
