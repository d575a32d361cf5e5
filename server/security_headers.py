"""Headers every response carries, whatever answered it (pages, the API, static files, the ingest fast path).

The pages load scripts only from ``/static`` (data a page needs rides in ``<script type="application/json">``,
which is never run), so the policy allows no inline or foreign script: an injected ``<script>`` or ``onclick``
does nothing. Inline ``style`` attributes stay allowed (templates set widths and colours with them).
``nosniff`` keeps a browser from running an answer as something other than its declared type.
"""

from __future__ import annotations

from typing import Any

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",  # the API and the websocket, on this origin
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
)


class SecurityHeadersMiddleware:
    """ASGI middleware adding ``HEADERS`` to every HTTP response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
