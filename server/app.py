"""The ASGI application: the lifespan that starts and stops the process's parts (``server.arena``), the health
probes, the API and page routes, sessions and CSRF."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import Scope

from server import gc_tuning, metrics
from server.api.routes import routes as api_routes
from server.arena import Arena
from server.auth import csrf, sessions
from server.client_address import ClientAddressMiddleware
from server.config import Settings
from server.http import ApiError, StorageOutageMiddleware, api_error_handler, arena_of
from server.notifications.notifier import Notifier
from server.redis_connection import RedisDeployment
from server.services.period_totals import keep_warm
from server.web.routes import routes as page_routes


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    arena = arena_of(request)
    try:
        await arena.redis.ping()
    except (RedisError, OSError) as exc:
        return JSONResponse({"status": "unavailable", "reason": f"redis: {exc}"}, status_code=503)
    if not arena.bootstrapped:
        return JSONResponse({"status": "starting", "reason": "applying the configured keys and users"}, 503)
    backups = await arena.scheduler.backups.readiness()
    return JSONResponse({"status": "ready"} if backups is None else {"status": "ready", "backups": backups})


async def metrics_page(request: Request) -> Response:
    """This process's Prometheus metrics (``server/metrics.py``), for the bearer of ``ARENA_METRICS_TOKEN``;
    without that setting there is no such page."""
    expected = arena_of(request).settings.metrics_token
    if expected is None:
        return await not_found(request, Exception())
    if not metrics.token_matches(request.headers.get("authorization"), expected):
        return JSONResponse(
            {"error": "authentication required: send Authorization: Bearer <ARENA_METRICS_TOKEN>"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": f"not found: {request.url.path}"}, status_code=404)


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _serves(routes: Sequence[BaseRoute], scope: Scope) -> bool:
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            if not isinstance(route, Mount):
                return True
            if _serves(route.routes, {**scope, **child}):
                return True
    return False


def allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route serves at the request's path: one path can be split over several routes."""
    return [method for method in METHODS if _serves(routes, {**scope, "method": method})]


async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    scope = request.scope  # as a mount left it: match again from the application's own root
    allowed = allowed_methods(
        request.app.routes, {**scope, "root_path": scope.get("app_root_path", scope["root_path"])}
    )
    headers = {"Allow": ", ".join(allowed)} if allowed else getattr(exc, "headers", None)
    return JSONResponse(
        {"error": f"method {request.method} not allowed on {request.url.path}"}, status_code=405, headers=headers
    )


async def _warm_when_bootstrapped(arena: Arena, bootstrap: asyncio.Task[None]) -> None:
    """Feed the goals' month sums in the background once Redis answers (``period_totals.keep_warm``): readiness
    does not wait for them, the first goals request finds them fed."""
    try:
        await asyncio.shield(bootstrap)
    except Exception:  # a start-up stopped by the shard check: nothing to warm
        return
    await keep_warm(arena)


def create_app(settings: Settings, deployment: RedisDeployment) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        arena = Arena(settings, deployment)
        app.state.arena = arena
        bootstrap = asyncio.create_task(arena.bootstrap_when_ready())
        with contextlib.suppress(TimeoutError):  # serve with the keys in place when Redis is there
            await asyncio.wait_for(asyncio.shield(bootstrap), timeout=5)
        await arena.hub.start()
        metrics.watch_subscriptions(lambda: sum(len(board.viewers) for board in arena.hub.boards.values()))
        arena.store.on_round_trip = metrics.observe_round_trip
        arena.badges.start()
        arena.scheduler.start()
        notifier = Notifier(arena, interval=settings.notify_seconds)
        notifier.start()
        warm = asyncio.create_task(_warm_when_bootstrapped(arena, bootstrap))
        gc_tuning.freeze_startup_objects()
        try:
            yield
        finally:
            bootstrap.cancel()
            warm.cancel()
            await notifier.stop()
            await arena.scheduler.stop()
            await arena.badges.stop()
            await arena.hub.stop()
            await arena.redis.aclose()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
        *api_routes,
        *page_routes,
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(StorageOutageMiddleware),
            Middleware(ClientAddressMiddleware, trusted=settings.trusted_proxies),
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie=sessions.SESSION_COOKIE,
                same_site="lax",
                https_only=settings.cookie_secure,
                max_age=sessions.SESSION_MAX_AGE,
            ),
            Middleware(csrf.CsrfMiddleware),
        ],
        exception_handlers={ApiError: api_error_handler, 404: not_found, 405: method_not_allowed},
    )
