"""Every API route, mounted under ``/api/v1`` by area, and the CRM webhooks under ``/hooks``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount

from server.api import (
    backfill,
    boards,
    brand,
    challenges,
    connectors,
    contests,
    corrections,
    directory,
    displays,
    disputes,
    events,
    insights,
    ledger,
    notifications,
    openapi,
    photos,
    progress,
    users,
)

PREFIX = "/api/v1"

routes: list[BaseRoute] = [
    Mount(
        PREFIX,
        routes=[
            *events.routes,
            *backfill.routes,
            *insights.routes,
            *corrections.routes,
            *contests.routes,
            *boards.routes,
            *directory.routes,
            *photos.routes,
            *ledger.routes,
            *progress.routes,
            *displays.routes,
            *brand.routes,
            *challenges.routes,
            *disputes.routes,
            *users.routes,
            *connectors.routes,
            *notifications.routes,
            *openapi.routes,
        ],
    ),
    *connectors.hook_routes,
]
