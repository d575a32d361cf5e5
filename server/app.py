"""The ASGI application: wiring of settings, Redis, the engine's store, the hub and the routes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from game import keys
from game.store import Store
from server import (
    api_backfill,
    api_challenges,
    api_connectors,
    api_contests,
    api_directory,
    api_displays,
    api_events,
    api_insights,
    api_ledger,
    api_notifications,
    api_progress,
    api_users,
    console,
    gc_tuning,
    mobile,
    openapi,
    pages,
    session_auth,
)
from server.auth import store_api_key
from server.badge_worker import BadgeWorker
from server.config import Settings
from server.http import ApiError, api_error_handler
from server.hub import Hub
from server.ingest_writer import IngestWriter
from server.notifications.notifier import Notifier
from server.registry import Registry
from server.scheduler import Scheduler
from server.security import hash_password

log = logging.getLogger("arena")
REDIS_CONNECTIONS = 64


class ConnectionLimiter:
    """Websocket connections per client address, bounded so one host cannot exhaust the server."""

    def __init__(self, per_ip: int) -> None:
        self.per_ip = per_ip
        self.counts: Counter[str] = Counter()

    def admit(self, ip: str) -> bool:
        if self.counts[ip] >= self.per_ip:
            return False
        self.counts[ip] += 1
        return True

    def release(self, ip: str) -> None:
        self.counts[ip] -= 1
        if self.counts[ip] <= 0:
            del self.counts[ip]


class Arena:
    """Everything a request handler needs, created once per process in the lifespan."""

    def __init__(self, settings: Settings, redis_url: str) -> None:
        self.settings = settings
        # A blocking pool: a burst of thousands of screens connecting waits for a connection, never fails.
        pool = BlockingConnectionPool.from_url(
            redis_url, max_connections=REDIS_CONNECTIONS, timeout=10, health_check_interval=30, socket_keepalive=True
        )
        self.redis = Redis(connection_pool=pool)
        self.store = Store(self.redis)
        self.registry = Registry(self.redis, timezone=settings.timezone, currency=settings.currency)
        self.hub = Hub(
            self.redis,
            self.store,
            self.registry,
            tick_ms=settings.tick_ms,
            board_rows=settings.board_rows,
            zone=settings.zone,
        )
        self.background: set[asyncio.Task[None]] = set()
        self.bootstrapped = False  # the keys and admin user from the environment are in place
        self.ingest_writer = IngestWriter(self.store)
        self.badges = BadgeWorker(self.redis, self.registry, settings.zone)
        self.scheduler = Scheduler(self, interval=settings.scheduler_seconds)
        self.connections = ConnectionLimiter(per_ip=settings.ws_per_ip)

    async def bootstrap(self) -> None:
        """Apply the identities named in the environment: the admin user and the admin/ingest keys."""
        if self.settings.admin_password:
            user = {"username": "admin", "role": "admin", "password": hash_password(self.settings.admin_password)}
            await self.redis.hset(keys.USERS, "admin", json.dumps(user))
        if self.settings.admin_key:
            await store_api_key(self.redis, self.settings.admin_key, "admin", "ARENA_ADMIN_KEY")
        if self.settings.ingest_key:
            await store_api_key(self.redis, self.settings.ingest_key, "ingest", "ARENA_INGEST_KEY")

    async def bootstrap_when_ready(self) -> None:
        """Bootstrap as soon as Redis answers; the server is up (and says "not ready") until then."""
        while True:
            try:
                await self.bootstrap()
                self.bootstrapped = True
                return
            except (RedisError, OSError) as exc:
                log.warning("redis not reachable yet (%s); retrying", exc)
                await asyncio.sleep(1)

    async def sync_rosters(
        self, reps: Iterable[str] | None = None, teams: Iterable[str] | None = None, contest: str | None = None
    ) -> None:
        """Put participants of running and upcoming contests on their boards (zero points), in one round
        trip: only the given reps or teams, or everyone of one contest, or everyone everywhere."""
        snapshot = await self.registry.current()
        now = datetime.now(UTC)
        directory = snapshot.directory
        rep_filter = set(reps) if reps is not None else None
        team_filter = set(teams) if teams is not None else None
        pipe = self.redis.pipeline(transaction=False)
        for candidate in snapshot.contests.values():
            if candidate.status_at(now) in ("ended", "archived") or (contest and candidate.id != contest):
                continue
            members = [
                r.id
                for r in directory.reps.values()
                if r.active and candidate.includes(r.id, r.team) and (rep_filter is None or r.id in rep_filter)
            ]
            squads = [
                t
                for t in directory.teams
                if (candidate.teams is None or t in candidate.teams) and (team_filter is None or t in team_filter)
            ]
            if candidate.kind == "head_to_head" and candidate.side_type == "team":
                squads = [t for t in squads if t in candidate.sides]
            if rep_filter is not None and team_filter is None:
                squads = []
            if team_filter is not None and rep_filter is None:
                members = []
            divisions = {rep: d for rep in members if (d := candidate.division_of(rep))}
            if members or squads:
                self.store.queue_members(pipe, candidate.id, candidate.epoch, members, squads, divisions)
        await pipe.execute()


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    arena = request.app.state.arena
    try:
        await arena.redis.ping()
    except (RedisError, OSError) as exc:
        return JSONResponse({"status": "unavailable", "reason": f"redis: {exc}"}, status_code=503)
    if not arena.bootstrapped:
        return JSONResponse({"status": "starting", "reason": "applying the configured keys and users"}, 503)
    return JSONResponse({"status": "ready"})


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": f"not found: {request.url.path}"}, status_code=404)


async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": f"method {request.method} not allowed on {request.url.path}"}, status_code=405)


def create_app(settings: Settings, redis_url: str) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        arena = Arena(settings, redis_url)
        app.state.arena = arena
        bootstrap = asyncio.create_task(arena.bootstrap_when_ready())
        with contextlib.suppress(TimeoutError):  # serve with the keys in place when Redis is there
            await asyncio.wait_for(asyncio.shield(bootstrap), timeout=5)
        await arena.hub.start()
        arena.badges.start()
        arena.scheduler.start()
        notifier = Notifier(arena, interval=settings.notify_seconds)
        notifier.start()
        gc_tuning.freeze_startup_objects()
        try:
            yield
        finally:
            bootstrap.cancel()
            await notifier.stop()
            await arena.scheduler.stop()
            await arena.badges.stop()
            await arena.hub.stop()
            await arena.redis.aclose()

    routes: list[Any] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *api_backfill.routes,
        *api_events.routes,
        *api_insights.routes,
        *api_contests.routes,
        *api_directory.routes,
        *api_displays.routes,
        *api_connectors.routes,
        *api_ledger.routes,
        *api_progress.routes,
        *api_users.routes,
        *api_challenges.routes,
        *api_notifications.routes,
        *openapi.routes,
        *session_auth.routes,
        *console.routes,
        *mobile.routes,
        *pages.routes,
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie=session_auth.SESSION_COOKIE,
                same_site="lax",
                https_only=False,
                max_age=session_auth.SESSION_MAX_AGE,
            ),
            Middleware(session_auth.CsrfMiddleware),
        ],
        exception_handlers={ApiError: api_error_handler, 404: not_found, 405: method_not_allowed},
    )
