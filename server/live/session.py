"""The ``/ws`` conversation: who may connect, the greeting, and the client's requests.

Subprotocols ``arena.v1.json`` (text frames) and ``arena.v1.msgpack`` (binary frames); a client that asks
for none gets JSON. Requests: ``subscribe``, ``unsubscribe``, ``ping``. Invalid requests get an error
frame; a client that keeps sending them is closed with ``CLOSE_ABUSE``. The transport side (handshake
bytes, frames, keepalive, closing) is ``server/live/connection.py``; this module never touches a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from base64 import b64decode
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import msgpack
from itsdangerous import BadSignature, TimestampSigner
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection

from server import __version__
from server.auth.principals import Principal, principal_for
from server.auth.sessions import SESSION_COOKIE, SESSION_MAX_AGE
from server.live.viewer import CLOSE_ABUSE, CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED, Link, Viewer
from server.live.wire import encode

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.ws")

SUBPROTOCOLS = ("arena.v1.json", "arena.v1.msgpack")
MAX_MESSAGE_BYTES = 4096
MAX_BAD_MESSAGES = 20
MAX_BOARDS_PER_CLIENT = 32
MAX_PENDING_REQUESTS = 8  # beyond this the connection stops reading until the client's requests are done


def origin_allowed(origin: str | None, host: str, allowed: tuple[str, ...]) -> bool:
    """Browsers always send Origin: it must be this server's own origin or one configured as allowed."""
    if origin is None:
        return True  # not a browser; the token check still applies
    origin = origin.rstrip("/")
    return urlsplit(origin).netloc == host or origin in allowed


def choose_subprotocol(requested: list[str]) -> str | None:
    for name in requested:
        if name in SUBPROTOCOLS:
            return name
    return None


@dataclass(frozen=True)
class Admission:
    """The answer to a handshake: refuse it with an HTTP status, or accept it with a subprotocol."""

    status: int = 101
    reason: str = ""
    subprotocol: str | None = None
    principal: Principal | None = None


async def admit(arena: Arena, scope: dict[str, Any]) -> Admission:
    """Decide a handshake before accepting it. Refused with HTTP: an unknown subprotocol (400) and a
    foreign origin (403). Accepted then closed with a code: no valid credentials (4001)."""
    connection = HTTPConnection(scope)
    scope["session"] = read_session(connection, arena.settings.secret_key)
    requested = list(scope.get("subprotocols") or [])
    subprotocol = choose_subprotocol(requested)
    if requested and subprotocol is None:
        return Admission(400, f"unsupported subprotocol; this server speaks {', '.join(SUBPROTOCOLS)}")
    headers = connection.headers
    if not origin_allowed(headers.get("origin"), headers.get("host", ""), arena.settings.allowed_origins):
        return Admission(403, "origin not allowed (ARENA_ALLOWED_ORIGINS)")
    principal = await principal_for(connection, arena.accounts)
    return Admission(subprotocol=subprotocol, principal=principal)


def read_session(connection: HTTPConnection, secret_key: str) -> dict[str, Any]:
    """The session carried by the signed cookie, read exactly as Starlette's session middleware reads it
    (empty when absent, expired or forged)."""
    raw = connection.cookies.get(SESSION_COOKIE)
    if not raw:
        return {}
    try:
        data = TimestampSigner(secret_key).unsign(raw.encode(), max_age=SESSION_MAX_AGE)
        session = json.loads(b64decode(data))
    except (BadSignature, ValueError):
        return {}
    return session if isinstance(session, dict) else {}


class SessionLink(Link, Protocol):
    """The connection as a session sees it: a viewer's link that can also hold back the client's input."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class Session:
    """One accepted connection: greets, answers requests in order, and cleans up when it ends."""

    __slots__ = ("_bad", "_inbox", "_worker", "arena", "client_ip", "link", "principal", "viewer")

    def __init__(self, arena: Arena, link: SessionLink, admission: Admission, client_ip: str, counted: bool) -> None:
        """``counted``: the handshake holds a slot of ``client_ip``'s connections (``ARENA_WS_PER_IP``),
        which becomes this session's to release; without one the session is refused."""
        self.arena = arena
        self.link = link
        self.principal = admission.principal
        self.client_ip: str | None = client_ip if counted else None  # whose slot this session holds
        binary = admission.subprotocol == "arena.v1.msgpack"
        self.viewer = Viewer(
            link,
            binary=binary,
            public=self.principal is not None and self.principal.role == "display",
            batch=arena.hub.batch,
        )
        self._bad = 0
        self._inbox: deque[Any] | None = None
        self._worker: asyncio.Task[None] | None = None
        if self.principal is None:
            self._refuse("unauthorized", "a valid token or session is required", CLOSE_UNAUTHORIZED)
        elif not counted:
            self._refuse("too_many_connections", "too many connections from this address", CLOSE_TOO_MANY)
        else:
            self._send(self._hello())

    def _hello(self) -> dict[str, Any]:
        assert self.principal is not None
        return {
            "op": "hello",
            "server": "sales-arena",
            "version": __version__,
            "protocol": "arena.v1",
            "role": self.principal.role,
            "limits": {
                "message_bytes": MAX_MESSAGE_BYTES,
                "boards": MAX_BOARDS_PER_CLIENT,
                "tick_ms": self.arena.settings.tick_ms,
            },
        }

    def _send(self, message: dict[str, Any]) -> None:
        self.viewer.offer_notice(encode(message, self.viewer.binary))

    def _refuse(self, code: str, message: str, close_code: int) -> None:
        self._send({"op": "error", "code": code, "message": message})
        self.viewer.close(close_code, message)

    # --- the client's messages ----------------------------------------------------------------

    def receive(self, data: bytes, text: bool) -> None:
        """A whole message from the client; answered in order by one short-lived task per burst."""
        if self.viewer.closed:
            return
        request = decode(data, text, self.viewer.binary)
        if self._inbox is None:
            self._inbox = deque()
        self._inbox.append(request)
        if len(self._inbox) >= MAX_PENDING_REQUESTS:
            self.link.pause_reading()
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        try:
            while self._inbox and not self.viewer.closed:
                request = self._inbox.popleft()
                if len(self._inbox) == MAX_PENDING_REQUESTS - 1:
                    self.link.resume_reading()
                await self._answer(request)
        except Exception:
            log.exception("websocket request failed")
        finally:
            self._worker = None
            if self._inbox and not self.viewer.closed:  # the loop stopped on an error: go on
                self._worker = asyncio.get_running_loop().create_task(self._work())
            else:
                self._inbox = None  # most connections ask once, at the start: hold nothing after that

    async def _answer(self, request: Any) -> None:
        error: tuple[str, str] | None
        if not isinstance(request, dict):
            error = ("bad_message", "messages must be JSON objects (or msgpack maps) of at most 4 KB")
        else:
            try:
                error = await self._handle(request)
            except (RedisError, OSError):
                self._send({"op": "error", "code": "unavailable", "message": "the live store is not reachable; retry"})
                return
        if error is None:
            return
        self._bad += 1
        self._send({
            "op": "error",
            "code": error[0],
            "message": error[1],
            "request": request if isinstance(request, dict) else None,
        })  # fmt: skip
        if self._bad > MAX_BAD_MESSAGES:
            self.viewer.close(CLOSE_ABUSE, "too many invalid messages")

    async def _handle(self, request: dict[str, Any]) -> tuple[str, str] | None:
        assert self.principal is not None
        hub, viewer = self.arena.hub, self.viewer
        op = request.get("op")
        if op == "ping":
            self._send({"op": "pong", "t": request.get("t")})
            return None
        board = request.get("board")
        if op not in ("subscribe", "unsubscribe"):
            return ("unknown_op", "op must be subscribe, unsubscribe or ping")
        if not isinstance(board, str) or len(board) > 200:
            return ("bad_board", "board must be a board id such as contest:<id>")
        if op == "unsubscribe":
            hub.unsubscribe(viewer, board)
            return None
        if not self.principal.can_read_board(board):
            return ("forbidden", f"not allowed to watch {board}")
        if board not in viewer.boards and len(viewer.boards) >= MAX_BOARDS_PER_CLIENT:
            return ("too_many_boards", f"at most {MAX_BOARDS_PER_CLIENT} boards per connection")
        epoch, seq = request.get("epoch"), request.get("seq")
        if not all(value is None or (isinstance(value, int) and not isinstance(value, bool)) for value in (epoch, seq)):
            return ("bad_request", "epoch and seq must be whole numbers (the last ones this client saw)")
        problem = await hub.subscribe(viewer, board, epoch=epoch, seq=seq, rep=self.principal.rep_id)
        return ("bad_board", problem) if problem else None

    # --- the end ------------------------------------------------------------------------------

    def end(self) -> None:
        """The connection is gone: leave the boards, free the address's slot, stop answering."""
        self.arena.hub.drop(self.viewer)
        if self.client_ip is not None:
            self.arena.connections.release(self.client_ip)
            self.client_ip = None
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        self._inbox = None


def decode(data: bytes, text: bool, binary: bool) -> Any:
    """A request, or None when it is not one (too large, or neither JSON nor msgpack)."""
    if len(data) > MAX_MESSAGE_BYTES:
        return None
    with contextlib.suppress(Exception):
        return msgpack.unpackb(data, raw=False) if binary and not text else json.loads(data)
    return None
