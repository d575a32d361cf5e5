"""A rep's long game: XP boards, levels and badges (``/api/v1/xp``, ``/api/v1/badges``, profiles)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from msgspec import Meta, Struct
from starlette.requests import Request

from game.badges.definitions import parse_badge
from game.errors import ValidationError
from game.ranking import competition_ranks
from game.xp import WINDOWS, level_for, next_level, window_keys
from server.api.codec import validated_document
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import ADMIN, READERS_NOT_DISPLAY, REP_DATA
from server.auth.principals import BADGE_WALL
from server.http import ApiError, ArenaJSONResponse, arena_of, page_limit, require, validation_error


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
    limit = page_limit(request, 50, 500)
    ranked = competition_ranks(await arena.progress.xp_board(window, period, limit))
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
                {
                    "id": b.id,
                    "kind": b.kind,
                    "period": b.period,
                    "name": {"zh-CN": b.name_zh, "en": b.name_en},
                    **({"reward_points": b.reward_points} if b.reward_points else {}),
                }
                for b in snapshot.badges
            ]
        }
    )


async def put_badge(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.role == "admin", "define badges (workspace-wide: admins only)")
    body = await validated_document(request, dict[str, Any], "badge")
    if isinstance(body, dict):
        body["id"] = request.path_params["id"]
    try:
        parse_badge(body)
    except ValidationError as exc:
        raise validation_error(exc, "invalid badge") from None
    document = json.loads(json.dumps(body, default=str))
    await arena_of(request).registry.put_badge(document, principal.name)
    return ArenaJSONResponse(document)


class XpBoard(Struct):
    board: str
    period: str
    rows: list[dict[str, Any]]


class XpQuery(Struct):
    period: Annotated[str, Meta(description="e.g. 2026-W47; default: the current one.")] | None = None
    limit: Annotated[str, Meta(description="Rows to return (1–500).")] | None = None


class Level(Struct, omit_defaults=True):
    number: int
    name: str
    name_zh: str | None = None
    name_en: str | None = None
    next_at: int | None = None


class Profile(Struct):
    rep: str
    name: str
    xp: dict[str, int]
    level: Level
    badges: list[dict[str, Any]]
    team: str | None = None


class BadgeName(Struct, rename={"zh_cn": "zh-CN"}):
    zh_cn: str
    en: str


class BadgeDefinition(Struct):
    id: str
    kind: str
    period: str | None = None
    name: BadgeName | None = None
    reward_points: int | None = None


class BadgeList(Struct):
    badges: list[BadgeDefinition]


routes = [
    ApiRoute(
        "/xp/{window}",
        xp_board,
        "GET",
        Operation(
            "An XP board: day, week, month, quarter or all",
            "boards",
            "read",
            response=XpBoard,
            query=XpQuery,
            answers=(
                Answer(404, "no such window"),
                Answer(422, "a limit out of range", "limit", query={"limit": "0"}, path={"window": "day"}),
            ),
            access=READERS_NOT_DISPLAY,
        ),
    ),
    ApiRoute(
        "/reps/{id}/profile",
        profile,
        "GET",
        Operation(
            "XP per window, level and badges",
            "reps",
            "people",
            response=Profile,
            answers=(not_found("rep"),),
            access=REP_DATA,
        ),
    ),
    ApiRoute(
        "/badges",
        list_badges,
        "GET",
        Operation("Badge definitions", "badges", "read", response=BadgeList, access=READERS_NOT_DISPLAY),
    ),
    ApiRoute(
        "/badges/{id}",
        put_badge,
        "PUT",
        Operation(
            "Define or change a badge",
            "badges",
            "admin",
            body=dict[str, Any],
            response=dict[str, Any],
            answers=(Answer(422, "a badge of an unknown kind", "kind", body={"kind": "nope"}, cross_field=True),),
            access=ADMIN,
        ),
    ),
]
