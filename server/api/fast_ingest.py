"""A short path for the busiest HTTP traffic: bearer-key ingestion.

Ingestion needs neither cookie sessions nor CSRF checks (it never runs on a cookie), so a request that
carries an ``Authorization`` header goes straight to the ingest handler instead of through the session
and CSRF middleware and the router. That header is then the request's one credential
(``server.auth.credentials``): a malformed one is refused, never replaced by a cookie. Everything else is
handed to the app unchanged. A Redis outage answers 503 here as in the app (``StorageOutageMiddleware``).
(Websockets never reach the ASGI app: ``server/live/connection.py`` serves them.)
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from server.api import events as api_events
from server.api.codec import check_media
from server.errors import STORAGE_OUTAGES
from server.http import ApiError, error_response, storage_unavailable


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
                check_media(request, api_events.POST_EVENTS.body_media)  # as the route would (ApiRoute)
                response: Response = await api_events.post_events(request)
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.errors)
            except STORAGE_OUTAGES:
                response = storage_unavailable()
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
