"""CSRF: every unsafe request authenticated by the session cookie must present the session's token in
``X-CSRF-Token`` (the console's and phone's fetch calls) or a ``csrf_token`` form field (HTML forms).
One middleware checks it for every route, so no handler can forget. Whether a request is authenticated by
the cookie is the request's one credential (``server.auth.credentials``), the same choice its handler
authenticates with. Forms are url-encoded and bounded.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.auth.credentials import credential_of

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_FORM_BYTES = 64 * 1024


class CsrfMiddleware:
    """Refuse cookie-authenticated unsafe requests without the session's CSRF token (or from a foreign
    Origin). Requests authenticated by a key or token carry no ambient credential and pass."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        if not credential_of(scope).ambient:  # a key or token (or nothing, or an invalid one: 401 later)
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != headers.get("host", ""):
            await self._refuse(scope, receive, send, "cross-site request refused")
            return
        supplied = headers.get("x-csrf-token", "")
        replay: list[Message] = []
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if not supplied and content_type == "application/x-www-form-urlencoded":
            body = b""
            more = True
            while more:
                message = await receive()
                replay.append(message)
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_FORM_BYTES:
                    break
            supplied = (parse_qs(body.decode("utf-8", "replace")).get("csrf_token") or [""])[0]
        expected = (scope.get("session") or {}).get("csrf", "")
        if not expected or not supplied or not hmac.compare_digest(str(expected), supplied):
            await self._refuse(scope, receive, send, "the form expired or the CSRF token is missing: reload the page")
            return
        if replay:
            pending = list(replay)

            async def replayed() -> Message:
                return pending.pop(0) if pending else await receive()

            await self.app(scope, replayed, send)
        else:
            await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
        path = scope.get("path", "")
        response: Response
        if path.startswith("/api/") or "application/json" in Headers(scope=scope).get("accept", ""):
            response = JSONResponse({"error": message}, status_code=403)
        else:
            response = RedirectResponse(f"{path}?error=csrf", status_code=303)
        await response(scope, receive, send)


async def form_fields(request: Request) -> dict[str, str]:
    """An url-encoded form (the only kind our pages post), bounded, parsed with the standard library."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            break
    return {key: values[0] for key, values in parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace")).items()}
