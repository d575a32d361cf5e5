"""Teams and reps: ``PUT /api/v1/teams/{id}``, ``PUT /api/v1/reps/{id}`` and their listings."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from msgspec import UNSET, Meta, Struct, UnsetType
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route  # noqa: F401

from game.directory import Directory
from server.api.codec import decode_body, to_document
from server.api.contract import Answer, ApiRoute, Operation
from server.api.types import Name
from server.auth.access import DIRECTORY, TEAM_MANAGER
from server.http import ApiError, arena_of, require
from server.integrations.pipeline import release_held_events
from server.services.images import Image, ImageProblem
from server.services.media_store import rep_owner
from server.services.picture_fetch import fetch_picture

if TYPE_CHECKING:
    from server.arena import Arena

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")


def _path_id(request: Request) -> str:
    value = request.path_params["id"]
    if not ID_PATTERN.match(value):
        raise ApiError(422, "invalid id", [{"field": "id", "message": "1-128 letters, digits, _ . : @ -"}])
    return value


async def put_team(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage, "manage teams")
    team_id = _path_id(request)
    if not principal.manages_team(team_id):
        raise ApiError(403, f"team {team_id!r} is not one of your teams (an admin creates teams)")
    body = await decode_body(request, TeamInput, "team")
    name, color = body.name.strip(), body.color
    arena = arena_of(request)
    existed = (await arena.registry.current()).directory.teams.get(team_id) is not None
    document = {"id": team_id, "name": name, "color": color or ""}
    await arena.registry.put_team(document, principal.name)
    await arena.sync_rosters(teams=[team_id])
    return JSONResponse(document, status_code=200 if existed else 201)


async def put_rep(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage, "manage reps")
    rep_id = _path_id(request)
    body = to_document(await decode_body(request, RepInput, "rep"))
    arena = arena_of(request)
    directory: Directory = (await arena.registry.current()).directory
    name, team, aliases = body["name"].strip(), body.get("team"), body.get("aliases", {})
    if team is not None and team not in directory.teams:
        message = f"unknown team {team!r}: create it first with PUT /api/v1/teams/{{id}}"
        raise ApiError(422, f"invalid rep: team: {message}", [{"field": "team", "message": message}])
    existing = await arena.registry.rep_document(rep_id)
    if not principal.manages_team(team) or (existing and not principal.manages_team(existing.get("team"))):
        raise ApiError(403, "managers add and move reps within their own teams only")
    photo = (existing or {}).get("photo", "")
    if body.get("photo_url"):  # a CRM or directory profile photo: fetched and kept by us, never hotlinked
        photo = await arena.media.put(rep_owner(rep_id), await _fetched_photo(arena, body["photo_url"]))
    document = {
        **(existing or {}),
        "id": rep_id,
        "name": name,
        "team": team,
        "active": body.get("active", (existing or {}).get("active", True)),
        "opted_out": body.get("opted_out", (existing or {}).get("opted_out", False)),
        "aliases": aliases or (existing or {}).get("aliases", {}),
        "photo": photo,
        "updated_at": datetime.now(UTC).isoformat(),
    }
    replaced = await arena.registry.put_rep(document, principal.name)
    await arena.sync_rosters(reps=[rep_id], former_teams=[(replaced or {}).get("team")])
    await release_held_events(arena, rep_id, document["aliases"])  # score what waited for these CRM users
    return JSONResponse(document, status_code=200 if existing else 201)


async def _fetched_photo(arena: Arena, url: str) -> Image:
    try:
        return await fetch_picture(url, allow_private=arena.settings.outbound_allow_private)
    except ImageProblem as exc:
        problem = [{"field": "photo_url", "message": str(exc)}]
        raise ApiError(422, f"invalid rep: photo_url: {exc}", problem) from None


async def list_teams(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage or p.role == "read", "list teams")
    directory = (await arena_of(request).registry.current()).directory
    teams = sorted((t for t in directory.teams.values() if principal.may_read_team(t.id)), key=lambda t: t.id)
    return JSONResponse({"teams": [t.__dict__ for t in teams]})


async def list_reps(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage or p.role == "read", "list reps")
    directory = (await arena_of(request).registry.current()).directory
    reps = sorted((r for r in directory.reps.values() if principal.may_read_team(r.team)), key=lambda r: r.id)
    return JSONResponse({"reps": [r.__dict__ for r in reps]})


class TeamInput(Struct):
    name: Name
    color: Annotated[str, Meta(pattern=r"^(#[0-9a-fA-F]{6})?$", description="#rrggbb")] = ""


class Team(Struct):
    id: str
    name: str
    color: str = ""


class TeamList(Struct):
    teams: list[Team]


class RepInput(Struct, omit_defaults=True):
    name: Name
    team: str | None = None
    active: bool | UnsetType = UNSET
    opted_out: bool | UnsetType = UNSET
    aliases: Annotated[dict[str, str], Meta(description="connector id → CRM user id")] = {}
    photo_url: (
        Annotated[
            str,
            Meta(
                max_length=2000,
                pattern=r"^https?://",
                description="A profile photo (from a CRM or the directory): the server fetches it once through its "
                "outbound checks and serves it itself.",
            ),
        ]
        | UnsetType
    ) = UNSET


class Rep(Struct):
    id: str
    name: str
    team: str | None = None
    active: bool = True
    opted_out: bool = False
    aliases: dict[str, str] = {}
    photo: Annotated[str, Meta(description="The digest of the rep's photo; empty: none.")] = ""


class RepList(Struct):
    reps: list[Rep]


BAD_ID = Answer(422, "an id with characters ids may not have", "id", body={"name": "x"}, path={"id": "a b"})
routes = [
    ApiRoute(
        "/teams", list_teams, "GET", Operation("List teams", "directory", "manage", response=TeamList, access=DIRECTORY)
    ),
    ApiRoute(
        "/teams/{id}",
        put_team,
        "PUT",
        Operation(
            "Create or change a team",
            "directory",
            "manage",
            body=TeamInput,
            response=Team,
            upsert=True,
            path={"id": ID_PATTERN.pattern},
            answers=(BAD_ID, Answer(422, "a colour that is not #rrggbb", "color", body={"name": "x", "color": "red"})),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/reps", list_reps, "GET", Operation("List reps", "directory", "manage", response=RepList, access=DIRECTORY)
    ),
    ApiRoute(
        "/reps/{id}",
        put_rep,
        "PUT",
        Operation(
            "Create or change a rep",
            "directory",
            "manage",
            body=RepInput,
            response=Rep,
            upsert=True,
            path={"id": ID_PATTERN.pattern},
            answers=(
                BAD_ID,
                Answer(422, "an unknown team", "team", body={"name": "x", "team": "no-such-team"}, cross_field=True),
                Answer(422, "a flag that is not a boolean", "active", body={"name": "x", "active": "yes"}),
                Answer(
                    422,
                    "a photo URL the server may not or cannot fetch",
                    "photo_url",
                    body={"name": "x", "photo_url": "https://127.0.0.1:9/a.png"},
                    cross_field=True,
                ),
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
