"""A badge definition previewed before it is saved: who would hold it now (``POST /api/v1/badges/{id}/preview``).
Defining and retiring badges is ``PUT /api/v1/badges/{id}`` (``server/api/progress.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from msgspec import Struct
from starlette.requests import Request

from game.badges.definitions import parse_badge
from game.badges.preview import period_key, previewable
from game.errors import ValidationError
from server.api.codec import validated_document
from server.api.contract import Answer, ApiRoute, Operation
from server.auth.access import ADMIN
from server.http import ArenaJSONResponse, arena_of, require, validation_error
from server.services.badge_preview import preview_holders


async def preview_badge(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.role == "admin", "preview badges (workspace-wide: admins only)")
    body = await validated_document(request, dict[str, Any], "badge")
    if isinstance(body, dict):
        body["id"] = request.path_params["id"]
    try:
        definition = parse_badge(body)
    except ValidationError as exc:
        raise validation_error(exc, "invalid badge") from None
    arena = arena_of(request)
    now = datetime.now(UTC)
    directory = (await arena.registry.current()).directory
    holders = await preview_holders(arena, definition, now) if previewable(definition) else []
    rows = [
        {
            "id": rep,
            "name": directory.reps[rep].name if rep in directory.reps else rep,
            "team": directory.reps[rep].team if rep in directory.reps else None,
            "deals": deals,
        }
        for rep, deals in holders
    ]
    return ArenaJSONResponse(
        {
            "id": definition.id,
            "previewable": previewable(definition),
            "period": period_key(definition, now, arena.settings.zone),
            "count": len(rows),
            "holders": rows,
        }
    )


class BadgeHolder(Struct):
    id: str
    name: str
    deals: int
    team: str | None = None


class BadgePreview(Struct):
    id: str
    previewable: bool
    period: str
    count: int
    holders: list[BadgeHolder]


routes = [
    ApiRoute(
        "/badges/{id}/preview",
        preview_badge,
        "POST",
        Operation(
            "Who would hold a badge definition now (nothing is stored; closing kinds are judged only at the close)",
            "badges",
            "admin",
            body=dict[str, Any],
            response=BadgePreview,
            answers=(
                Answer(422, "a badge of an unknown kind", "kind", body={"kind": "nope"}, cross_field=True),
                Answer(
                    422,
                    "a threshold without its number",
                    "deals",
                    body={"kind": "threshold", "name": {"zh-CN": "十单", "en": "Ten"}},
                    cross_field=True,
                ),
            ),
            access=ADMIN,
        ),
    ),
]
