"""Short paths for the busiest traffic: bearer-key ingestion and the websocket endpoint.

Ingestion needs neither cookie sessions nor CSRF checks (it never runs on a cookie), so a request that
carries an ``Authorization`` header goes straight to the ingest handler instead of through the session
and CSRF middleware and the router. A websocket to ``/ws`` lives for days: going through the middleware
stack would keep a coroutine frame of each middleware alive for every screen, so it goes straight to
the endpoint, with the signed session cookie read here exactly as the session middleware reads it.
Everything else is handed to the app unchanged.
"""

from __future__ import annotations

import json
from base64 import b64decode
from typing import Any

from itsdangerous import BadSignature, TimestampSigner
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from server import api_events
from server.http import ApiError, error_response
from server.ws import websocket_endpoint

SESSION_COOKIE = "arena_session"
SESSION_MAX_AGE = 14 * 24 * 3600  # as configured for the session middleware in server/app.py


def read_session(scope: Scope, secret_key: str) -> dict[str, Any]:
    """The session carried by the signed cookie (empty when absent, expired or forged)."""
    raw = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
    if not raw:
        return {}
    try:
        data = TimestampSigner(secret_key).unsign(raw.encode(), max_age=SESSION_MAX_AGE)
        session = json.loads(b64decode(data))
    except (BadSignature, ValueError):
        return {}
    return session if isinstance(session, dict) else {}


class IngestFastPath:
    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == "/api/v1/events"
            and any(name == b"authorization" for name, _ in scope["headers"])
        ):
            scope["app"] = self.app
            request = Request(scope, receive)
            try:
                response = await api_events.post_events(request)
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.errors)
            await response(scope, receive, send)
            return
        if scope["type"] == "websocket" and scope["path"] == "/ws":
            scope["app"] = self.app
            scope["session"] = read_session(scope, self.app.state.arena.settings.secret_key)
            await websocket_endpoint(WebSocket(scope, receive, send))
            return
        await self.app(scope, receive, send)
