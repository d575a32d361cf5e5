"""A rep's long game: XP boards, levels and badges (``/api/v1/xp``, ``/api/v1/badges``, profiles)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.routing import Route

from game.badges.definitions import parse_badge
from game.errors import ValidationError
from game.ranking import competition_ranks
from game.xp import WINDOWS, level_for, next_level, window_keys
from server.auth.principals import BADGE_WALL
from server.http import ApiError, ArenaJSONResponse, arena_of, read_document, require, validation_error


def _level(xp: int, locale: str) -> dict[str, object]:
    level, upcoming = level_for(xp), next_level(xp)
    return {
        "number": level.number,
        "name": level.name(locale),
        "name_zh": level.name_zh,
        "name_en": level.name_en,
        "next_at": upcoming.min_xp if upcoming else None,
    }


async def xp_board(request: Request) -> ArenaJSONResponse:
    window = request.path_params["window"]
    principal = await require(request, lambda p: p.can_read_board(f"xp:{window}"), "read this XP board")
    if window not in WINDOWS:
        raise ApiError(404, f"no XP window {window!r}: one of {', '.join(WINDOWS)}")
    arena = arena_of(request)
    period = request.query_params.get("period") or window_keys(datetime.now(UTC), arena.settings.zone)[window]
    limit_raw = request.query_params.get("limit", "50")
    if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 500:
        raise ApiError(422, "invalid limit", [{"field": "limit", "message": "1 to 500"}])
    ranked = competition_ranks(await arena.progress.xp_board(window, period, int(limit_raw)))
    directory = (await arena.registry.current()).directory
    rows = [
        {
            "rank": r.rank,
            "id": r.id,
            # A TV (display token) gets initials for reps who opted out, as everywhere on public screens.
            "name": directory.public_name(r.id)
            if principal.role == "display"
            else (rep.name if (rep := directory.reps.get(r.id)) else r.id),
            "team": rep.team if (rep := directory.reps.get(r.id)) else None,
            "score": r.score,
        }
        for r in ranked
    ]
    return ArenaJSONResponse({"board": f"xp:{window}", "period": period, "rows": rows})


async def profile(request: Request) -> ArenaJSONResponse:
    """XP in every window, level and badges of one rep."""
    rep_id = request.path_params["id"]
    arena = arena_of(request)
    snapshot = await arena.registry.current()
    await require(request, lambda p: p.may_read_rep(rep_id, snapshot.directory), "read this rep's profile")
    rep = snapshot.directory.reps.get(rep_id)
    if rep is None:
        raise ApiError(404, f"no rep {rep_id!r}")
    periods = window_keys(datetime.now(UTC), arena.settings.zone)
    xp, held = await arena.progress.standing(rep_id, periods)
    names = {b.id: b for b in snapshot.badges}
    locale = arena.settings.locale
    badges = sorted(
        (
            {
                **record,
                "name": names[record["badge"]].name(locale) if record["badge"] in names else record["badge"],
            }
            for record in held.values()
        ),
        key=lambda b: b["awarded_at"],
    )
    return ArenaJSONResponse(
        {
            "rep": rep_id,
            "name": rep.name,
            "team": rep.team,
            "xp": xp,
            "level": _level(xp["all"], locale),
            "badges": badges,
        }
    )


async def list_badges(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.can_read_board(BADGE_WALL), "list badges")
    snapshot = await arena_of(request).registry.current()
    return ArenaJSONResponse(
        {
            "badges": [
                {"id": b.id, "kind": b.kind, "period": b.period, "name": {"zh-CN": b.name_zh, "en": b.name_en}}
                for b in snapshot.badges
            ]
        }
    )


async def put_badge(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.role == "admin", "define badges (workspace-wide: admins only)")
    body = await read_document(request)
    if isinstance(body, dict):
        body["id"] = request.path_params["id"]
    try:
        parse_badge(body)
    except ValidationError as exc:
        raise validation_error(exc, "invalid badge") from None
    document = json.loads(json.dumps(body, default=str))
    await arena_of(request).registry.put_badge(document, principal.name)
    return ArenaJSONResponse(document)


routes = [
    Route("/xp/{window}", xp_board, methods=["GET"]),
    Route("/reps/{id}/profile", profile, methods=["GET"]),
    Route("/badges", list_badges, methods=["GET"]),
    Route("/badges/{id}", put_badge, methods=["PUT"]),
]
