"""The websocket endpoint ``/ws``: origin and auth checks, subprotocol choice, the client's requests.

Subprotocols ``arena.v1.json`` (text frames) and ``arena.v1.msgpack`` (binary frames); a client that asks
for none gets JSON. Requests: ``subscribe``, ``unsubscribe``, ``ping``. Invalid requests get an error
frame; a client that keeps sending them is closed with ``CLOSE_ABUSE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit

import msgpack
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server import __version__
from server.auth import principal_for
from server.hub import encode
from server.viewer import CLOSE_ABUSE, CLOSE_FORBIDDEN, CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED, Viewer
from server.ws_protocol import SCOPE_KEY

SUBPROTOCOLS = ("arena.v1.json", "arena.v1.msgpack")
MAX_MESSAGE_BYTES = 4096
MAX_BAD_MESSAGES = 20
MAX_BOARDS_PER_CLIENT = 32


def origin_allowed(websocket: WebSocket, allowed: tuple[str, ...]) -> bool:
    """Browsers always send Origin: it must be this server's own origin or one configured as allowed."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser; the token check below still applies
    origin = origin.rstrip("/")
    host = websocket.headers.get("host", "")
    parts = urlsplit(origin)
    return parts.netloc == host or origin in allowed


def choose_subprotocol(requested: list[str]) -> str | None:
    for name in requested:
        if name in SUBPROTOCOLS:
            return name
    return None


async def websocket_endpoint(websocket: WebSocket) -> None:
    arena = websocket.app.state.arena
    requested = list(websocket.scope.get("subprotocols") or [])
    subprotocol = choose_subprotocol(requested)
    if requested and subprotocol is None:
        await websocket.close(code=1002)
        return
    if not origin_allowed(websocket, arena.settings.allowed_origins):
        await websocket.close(code=CLOSE_FORBIDDEN)
        return
    principal = await principal_for(websocket, arena.redis)
    await websocket.accept(subprotocol=subprotocol)
    binary = subprotocol == "arena.v1.msgpack"
    if principal is None:
        await _send_error(websocket, binary, "unauthorized", "a valid token or session is required")
        await websocket.close(code=CLOSE_UNAUTHORIZED)
        return
    client_ip = websocket.client.host if websocket.client else "?"
    if not arena.connections.admit(client_ip):
        await _send_error(websocket, binary, "too_many_connections", "too many connections from this address")
        await websocket.close(code=CLOSE_TOO_MANY)
        return
    viewer = Viewer(
        send=(websocket.send_bytes if binary else websocket.send_text),  # type: ignore[arg-type]
        close=lambda code, reason: websocket.close(code=code, reason=reason),
        binary=binary,
        public=principal.role == "display",
        direct=websocket.scope.get(SCOPE_KEY),
    )
    if viewer.direct is not None:
        viewer.direct.forget_handshake()
    writer = asyncio.create_task(viewer.run_writer())
    try:
        viewer.offer_notice(
            encode(
                {
                    "op": "hello",
                    "server": "sales-arena",
                    "version": __version__,
                    "protocol": "arena.v1",
                    "role": principal.role,
                    "limits": {
                        "message_bytes": MAX_MESSAGE_BYTES,
                        "boards": MAX_BOARDS_PER_CLIENT,
                        "tick_ms": arena.settings.tick_ms,
                    },
                },
                binary,
            )
        )
        bad = 0
        while not viewer.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            request = _decode(message, binary)
            error = (
                await _handle(arena, viewer, principal, request)
                if isinstance(request, dict)
                else ("bad_message", "messages must be JSON objects (or msgpack maps) of at most 4 KB")
            )
            if error:
                bad += 1
                viewer.offer_notice(
                    encode(
                        {
                            "op": "error",
                            "code": error[0],
                            "message": error[1],
                            "request": request if isinstance(request, dict) else None,
                        },
                        binary,
                    )
                )
                if bad > MAX_BAD_MESSAGES:
                    await websocket.close(code=CLOSE_ABUSE, reason="too many invalid messages")
                    break
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        arena.hub.drop(viewer)
        arena.connections.release(client_ip)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer
        if websocket.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close()


def _decode(message: dict[str, Any], binary: bool) -> Any:
    data = message.get("bytes") if message.get("bytes") is not None else message.get("text")
    if data is None or len(data) > MAX_MESSAGE_BYTES:
        return None
    try:
        if isinstance(data, bytes):
            return msgpack.unpackb(data, raw=False) if binary else json.loads(data)
        return json.loads(data)
    except Exception:
        return None


async def _handle(arena: Any, viewer: Viewer, principal: Any, request: dict[str, Any]) -> tuple[str, str] | None:
    op = request.get("op")
    if op == "ping":
        viewer.offer_notice(encode({"op": "pong", "t": request.get("t")}, viewer.binary))
        return None
    board = request.get("board")
    if op not in ("subscribe", "unsubscribe"):
        return ("unknown_op", "op must be subscribe, unsubscribe or ping")
    if not isinstance(board, str) or len(board) > 200:
        return ("bad_board", "board must be a board id such as contest:<id>")
    if op == "unsubscribe":
        arena.hub.unsubscribe(viewer, board)
        return None
    if not principal.can_read_board(board):
        return ("forbidden", f"not allowed to watch {board}")
    if board not in viewer.boards and len(viewer.boards) >= MAX_BOARDS_PER_CLIENT:
        return ("too_many_boards", f"at most {MAX_BOARDS_PER_CLIENT} boards per connection")
    epoch, seq = request.get("epoch"), request.get("seq")
    if not all(value is None or (isinstance(value, int) and not isinstance(value, bool)) for value in (epoch, seq)):
        return ("bad_request", "epoch and seq must be whole numbers (the last ones this client saw)")
    problem = await arena.hub.subscribe(viewer, board, epoch=epoch, seq=seq, rep=principal.rep_id)
    return ("bad_board", problem) if problem else None


async def _send_error(websocket: WebSocket, binary: bool, code: str, message: str) -> None:
    frame = encode({"op": "error", "code": code, "message": message}, binary)
    with contextlib.suppress(Exception):
        if isinstance(frame, bytes):
            await websocket.send_bytes(frame)
        else:
            await websocket.send_text(frame)
