"""Every API route, mounted under ``/api/v1`` by area, and the CRM webhooks under ``/hooks``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount

from server.api import (
    backfill,
    badges,
    boards,
    brand,
    challenges,
    channel_tools,
    connector_tools,
    connectors,
    contest_changes,
    contests,
    corrections,
    directory,
    displays,
    disputes,
    events,
    exchange_rates,
    goals,
    insights,
    kudos,
    ledger,
    notifications,
    openapi,
    people,
    photos,
    progress,
    rep_import,
    rewards,
    scorecards,
    series,
    users,
    work_calendar,
)

PREFIX = "/api/v1"

routes: list[BaseRoute] = [
    Mount(
        PREFIX,
        routes=[
            *events.routes,
            *backfill.routes,
            *insights.routes,
            *series.routes,
            *goals.routes,
            *work_calendar.routes,
            *corrections.routes,
            *contest_changes.routes,  # before contests' /contests/{id}/{action}
            *contests.routes,
            *boards.routes,
            *rep_import.routes,  # before directory's /reps/{id}
            *directory.routes,
            *photos.routes,
            *people.routes,
            *ledger.routes,
            *scorecards.routes,
            *progress.routes,
            *badges.routes,
            *displays.routes,
            *brand.routes,
            *exchange_rates.routes,
            *challenges.routes,
            *disputes.routes,
            *rewards.routes,
            *kudos.routes,
            *users.routes,
            *connectors.routes,
            *connector_tools.routes,
            *notifications.routes,
            *channel_tools.routes,
            *openapi.routes,
        ],
    ),
    *connectors.hook_routes,
]
