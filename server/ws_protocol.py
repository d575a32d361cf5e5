"""uvicorn's Sans-I/O websocket protocol, with a direct write path for board fan-out.

The hub encodes a frame once and hands the same object to thousands of screens. Through ASGI each send
is a chain of coroutines per viewer (Starlette, middleware, uvicorn). Here a viewer whose connection is
writable and whose outbox is empty gets the frame written synchronously: framed once for all viewers
(server frames are unmasked and compression is off, see ``server/__main__.py``) and handed to the
transport. Only a viewer that is behind goes through its bounded outbox and writer task. Everything
else (handshake, receiving, closing) stays uvicorn's.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

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
        if not protocol.conn.extensions:
            # Server frames are unmasked, and without compression identical for every connection:
            # framed once per frame, the same bytes go to every screen.
            protocol.transport.write(wire_bytes(frame, binary))
            return
        if binary:
            protocol.conn.send_binary(frame if isinstance(frame, bytes) else frame.encode())
        else:
            protocol.conn.send_text(frame.encode() if isinstance(frame, str) else frame)
        protocol.transport.write(b"".join(protocol.conn.data_to_send()))


_WIRE_CACHE_SIZE = 256
_wire_cache: dict[tuple[int, bool], tuple[str | bytes, bytes]] = {}


def wire_bytes(frame: str | bytes, binary: bool) -> bytes:
    """The websocket frame for a message, built once for all the viewers it goes to.

    Keyed by the message object itself (the hub hands the same object to every viewer); the object is kept
    in the entry so its id cannot be reused while cached. Bounded: the cache is cleared when full.
    """
    key = (id(frame), binary)
    cached = _wire_cache.get(key)
    if cached is not None and cached[0] is frame:
        return cached[1]
    data = frame.encode() if isinstance(frame, str) else frame
    wire = Frame(Opcode.BINARY if binary else Opcode.TEXT, data).serialize(mask=False)
    if len(_wire_cache) >= _WIRE_CACHE_SIZE:
        _wire_cache.clear()
    _wire_cache[key] = (frame, wire)
    return wire


class ArenaWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if isinstance(scope, dict):
            scope[SCOPE_KEY] = DirectWriter(self)
