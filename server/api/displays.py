"""TV displays over HTTP: ``/api/v1/displays`` (create, list, change, rotate the token, revoke) and the badge
wall. The display document itself is ``server.services.displays``; its token is stored only as a digest.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.api.codec import validated_document
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import ANY_MANAGER, READERS_NOT_DISPLAY, TEAM_MANAGER
from server.auth.principals import BADGE_WALL, Principal
from server.auth.secrets import new_token, token_digest
from server.http import ApiError, ArenaJSONResponse, arena_of, require
from server.services.boards import parse_board
from server.services.displays import (
    BADGE_WALL_ITEMS,
    QUIET_HOURS,
    boards_of,
    public_view,
    validate_display,
)


async def _may_manage(request: Request, principal: Principal, slides: list[dict[str, Any]]) -> None:
    """A manager's displays may show only contests they run (and the workspace-wide star board)."""
    if principal.role == "admin":
        return
    snapshot = await arena_of(request).registry.current()
    for slide in slides:
        spec = parse_board(slide["board"]) if slide["board"] else None
        if spec is None or spec.kind == "xp":
            continue
        contest = snapshot.contests.get(spec.contest_id)
        if contest is None or not principal.manages_contest(contest, snapshot.directory):
            raise ApiError(403, f"{slide['board']} is not a contest of your teams")


async def _load(request: Request) -> dict[str, Any]:
    document = await arena_of(request).displays.display(request.path_params["id"])
    if document is None:
        raise ApiError(404, f"no display {request.path_params['id']!r}")
    return document


async def _save(request: Request, document: dict[str, Any], old_digest: str | None = None) -> None:
    await arena_of(request).displays.save(document, old_digest)


async def create_display(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage, "create displays")
    fields = validate_display(await validated_document(request, DisplayInput, "display"))
    await _may_manage(request, principal, fields["slides"])
    arena = arena_of(request)
    token = new_token("tv")
    now = datetime.now(UTC).isoformat()
    document = {
        "id": "d_" + secrets.token_hex(6),
        "locale": None,
        "sound": False,
        "brand": False,
        "big_deal": None,
        "quiet_hours": None,
        **fields,
        "playlist": boards_of(fields["slides"]),
        "token_digest": token_digest(token),
        "created_by": principal.name,
        "created_at": now,
        "updated_at": now,
    }
    await _save(request, document)
    return ArenaJSONResponse(public_view(document, arena.settings.base_url, token), status_code=201)


def _visible(principal: Principal, document: dict[str, Any]) -> bool:
    return principal.role == "admin" or document.get("created_by") == principal.name


async def list_displays(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage, "list displays")
    arena = arena_of(request)
    documents = await arena.displays.displays()
    shown = [public_view(d, arena.settings.base_url) for d in documents if _visible(principal, d)]
    return ArenaJSONResponse({"displays": sorted(shown, key=lambda d: d.get("created_at") or "")})


async def get_display(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage, "read displays")
    document = await _load(request)
    if not _visible(principal, document):
        raise ApiError(403, "this display belongs to another manager")
    return ArenaJSONResponse(public_view(document, arena_of(request).settings.base_url))


async def change_display(request: Request) -> JSONResponse:
    """Rename, new playlist, language, sound: the TV picks the change up by itself (it reloads)."""
    principal = await require(request, lambda p: p.can_manage, "change displays")
    document = await _load(request)
    if not _visible(principal, document):
        raise ApiError(403, "this display belongs to another manager")
    fields = validate_display(await validated_document(request, DisplayInput, "display"), partial=True)
    if "slides" in fields:
        await _may_manage(request, principal, fields["slides"])
        fields["playlist"] = boards_of(fields["slides"])
    document.update(fields, updated_at=datetime.now(UTC).isoformat())
    await _save(request, document)
    return ArenaJSONResponse(public_view(document, arena_of(request).settings.base_url))


async def rotate_token(request: Request) -> JSONResponse:
    """A new token (and URL); the old one stops working at once."""
    principal = await require(request, lambda p: p.can_manage, "rotate display tokens")
    document = await _load(request)
    if not _visible(principal, document):
        raise ApiError(403, "this display belongs to another manager")
    old = document.get("token_digest")
    token = new_token("tv")
    document.update(token_digest=token_digest(token), updated_at=datetime.now(UTC).isoformat())
    await _save(request, document, old_digest=old)
    return ArenaJSONResponse(public_view(document, arena_of(request).settings.base_url, token))


async def revoke_display(request: Request) -> Response:
    principal = await require(request, lambda p: p.can_manage, "revoke displays")
    document = await _load(request)
    if not _visible(principal, document):
        raise ApiError(403, "this display belongs to another manager")
    await arena_of(request).displays.remove(document)
    return Response(status_code=204)


async def badge_wall(request: Request) -> JSONResponse:
    """The latest badges awarded across the workspace (public names for displays), newest first."""
    principal = await require(request, lambda p: p.can_read_board(BADGE_WALL), "read the badge wall")
    arena = arena_of(request)
    snapshot = await arena.registry.current()
    reps = [r for r in snapshot.directory.reps.values() if r.active]
    held = await arena.progress.badges_of([rep.id for rep in reps])
    titles = {b.id: {"zh-CN": b.name_zh, "en": b.name_en} for b in snapshot.badges}
    items: list[dict[str, Any]] = []
    for rep, awards in zip(reps, held, strict=True):
        for record in awards.values():
            items.append(
                {
                    "rep": rep.id,
                    "name": snapshot.directory.public_name(rep.id) if principal.role == "display" else rep.name,
                    "team": rep.team,
                    "badge": record.get("badge"),
                    "period": record.get("period"),
                    "awarded_at": record.get("awarded_at", ""),
                    "title": titles.get(record.get("badge", "")),
                }
            )
    items.sort(key=lambda item: item["awarded_at"], reverse=True)
    return ArenaJSONResponse({"badges": items[:BADGE_WALL_ITEMS]})


SLIDE_KINDS = Literal["board", "teams", "tug", "thermometer", "wins", "badges", "stars", "fame", "goal"]


class Slide(Struct, omit_defaults=True):
    board: Annotated[str, Meta(examples=["contest:2026-12", "contest:2026-12:teams", "xp:month"])] | None = None
    kind: SLIDE_KINDS | None = None
    seconds: Annotated[int, Meta(ge=5, le=600)] | None = None
    goal: Annotated[str, Meta(max_length=160, description="A goal slide's goal id.")] | None = None


QuietHours = Annotated[
    str,
    Meta(
        pattern=QUIET_HOURS,
        examples=["22:00-08:00"],
        description="Local time (the organisation's zone) when the TV shows no full-screen cards and plays no sound.",
    ),
]


class DisplayInput(Struct):
    """A PUT may leave out what it does not change."""

    name: str | None = None
    playlist: list[str | Slide] | None = None
    locale: Literal["zh-CN", "en"] | None = None
    sound: bool | None = None
    brand: (
        Annotated[bool, Meta(description="Show the organisation's logo and colours (PUT /api/v1/org/brand).")] | None
    ) = None
    big_deal: int | None = None
    quiet_hours: QuietHours | None = None


class Display(Struct, omit_defaults=True):
    id: str
    name: str
    playlist: list[str]
    slides: list[Slide] = []
    locale: str | None = None
    sound: bool = False
    brand: bool = False
    big_deal: int | None = None
    quiet_hours: QuietHours | None = None
    created_by: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    token: Annotated[str, Meta(description="Only when created or rotated: shown once.")] | None = None
    url: Annotated[str, Meta(description="The TV URL, only with the token.")] | None = None


class DisplayList(Struct):
    displays: list[Display]


class BadgeWall(Struct):
    badges: list[dict[str, Any]]


NO_DISPLAY = not_found("display")
BAD_SLIDE = Answer(
    422, "a slide of an unknown kind", "playlist[0].kind", body={"name": "TV", "playlist": [{"kind": "x"}]}
)
routes = [
    ApiRoute(
        "/displays",
        create_display,
        "POST",
        Operation(
            "Create a display: its token and TV URL are shown once",
            "displays",
            "manage",
            body=DisplayInput,
            response=Display,
            status=201,
            answers=(
                BAD_SLIDE,
                Answer(
                    422,
                    "a board that is not a contest",
                    "playlist[0].board",
                    body={"name": "TV", "playlist": [{"board": "nope"}]},
                    cross_field=True,
                ),
            ),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/displays",
        list_displays,
        "GET",
        Operation("List displays (TVs)", "displays", "manage", response=DisplayList, access=ANY_MANAGER),
    ),
    ApiRoute(
        "/displays/{id}",
        get_display,
        "GET",
        Operation("One display", "displays", "manage", response=Display, answers=(NO_DISPLAY,), access=TEAM_MANAGER),
    ),
    ApiRoute(
        "/displays/{id}",
        change_display,
        "PUT",
        Operation(
            "Change slides, language, sound",
            "displays",
            "manage",
            body=DisplayInput,
            response=Display,
            answers=(NO_DISPLAY,),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/displays/{id}",
        revoke_display,
        "DELETE",
        Operation("Revoke a display", "displays", "manage", status=204, answers=(NO_DISPLAY,), access=TEAM_MANAGER),
    ),
    ApiRoute(
        "/displays/{id}/rotate",
        rotate_token,
        "POST",
        Operation(
            "A new token (the old one stops working)",
            "displays",
            "manage",
            response=Display,
            answers=(NO_DISPLAY,),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/wall/badges",
        badge_wall,
        "GET",
        Operation(
            "The latest badges awarded (the badge wall)",
            "badges",
            "read",
            response=BadgeWall,
            access=READERS_NOT_DISPLAY,
        ),
    ),
]
