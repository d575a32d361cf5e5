"""An opening handshake, from the first byte of its request until it is answered: it must end in time
(``ARENA_WS_HANDSHAKE_SECONDS``) and it holds a slot of its address's ``ARENA_WS_PER_IP`` meanwhile.

A client that sends half an upgrade request and waits would otherwise keep its socket forever (uvicorn's
HTTP parser has no deadline for a request's headers) and escape the per-address limit, which counted open
websockets only. The request is first read by uvicorn's HTTP protocol (``UpgradeWatch`` here, which knows
the handshake by its path or its ``Upgrade`` header before the headers end) and then by
``ArenaWebSocket``; the same ``PendingHandshake`` goes from one to the other, and its slot becomes the
session's once the handshake is accepted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.live.limits import ConnectionLimiter

if TYPE_CHECKING:
    from server.live.connection import WebSocketService

WEBSOCKET_PATH = b"/ws"
TOO_MANY = (
    b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 40\r\n"
    b"connection: close\r\n\r\ntoo many connections from this address\r\n"
)


class PendingHandshake:
    """A handshake under way: its deadline and the address slot it holds (if there was one free)."""

    __slots__ = ("address", "counted", "limiter", "on_timeout", "timer")

    def __init__(
        self, limiter: ConnectionLimiter | None, address: str, deadline: float, on_timeout: Callable[[], None]
    ) -> None:
        self.limiter = limiter
        self.address = address
        self.counted = self._admit(address)
        self.on_timeout = on_timeout  # who ends the connection: the HTTP protocol, then the websocket's
        loop = asyncio.get_running_loop()
        self.timer: asyncio.TimerHandle | None = loop.call_later(max(0.0, deadline - loop.time()), self._expire)

    def _expire(self) -> None:
        self.timer = None
        self.on_timeout()

    def recount(self, address: str) -> bool:
        """The client's address is known from its headers (``X-Forwarded-For`` behind a trusted proxy): hold
        a slot of that address instead. False when it has none free."""
        if self.counted and address == self.address:
            return True
        self.release()
        self.address = address
        self.counted = self._admit(address)
        return self.counted

    def _admit(self, address: str) -> bool:
        """A slot of ``address``; before the server has started there is no limit yet (it answers 503)."""
        return self.limiter is None or self.limiter.admit(address)

    def settle(self) -> None:
        """Answered: the clock stops; the slot, if held, now belongs to whoever opened the session."""
        self._stop()
        self.counted = False

    def release(self) -> None:
        """The handshake is over without a session (refused, timed out, or the client left)."""
        self._stop()
        if self.counted and self.limiter is not None:
            self.limiter.release(self.address)
        self.counted = False

    def _stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class UpgradeWatch(HttpToolsProtocol):
    """uvicorn's HTTP protocol, which also starts the clock and the count of a websocket handshake as soon
    as it can tell one (its path is ``/ws`` or it asks to upgrade to websocket), before its headers end."""

    def __init__(self, service: WebSocketService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.handshake: PendingHandshake | None = None
        self.request_started = 0.0
        self.upgraded = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.request_started = self.loop.time()

    def on_headers_complete(self) -> None:
        self._watch()  # before uvicorn hands the connection to the websocket protocol
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.upgraded or self.transport.is_closing():
            return
        self._watch()
        if self.handshake is not None and not self.handshake.counted:  # half a request, and no slot for it
            self.transport.write(TOO_MANY)
            self.transport.close()

    def _watch(self) -> None:
        if self.handshake is not None or self.scope is None or not self._is_websocket_handshake():
            return
        self.handshake = self.service.begin_handshake(
            self.client[0] if self.client else "?", self.request_started, self.transport.close
        )

    def _is_websocket_handshake(self) -> bool:
        if self.url.partition(b"?")[0] == WEBSOCKET_PATH:
            return True
        return any(name == b"upgrade" and value.lower() == b"websocket" for name, value in self.headers)

    def handle_websocket_upgrade(self) -> None:
        self.upgraded = True
        handshake = self.handshake
        # uvicorn builds the websocket protocol with ``ws_protocol_class(**kwargs)``: this one's handshake goes along
        self.ws_protocol_class = lambda **kwargs: self.service(handshake=handshake, **kwargs)  # type: ignore[assignment]
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if not self.upgraded and self.handshake is not None:
            self.handshake.release()
            self.handshake = None
