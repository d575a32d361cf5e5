"""Teams and reps: ``PUT /api/v1/teams/{id}``, ``PUT /api/v1/reps/{id}`` and their listings."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route  # noqa: F401

from game.directory import Directory
from server.api.codec import decode_body, to_document
from server.api.contract import CSV_MEDIA, Answer, ApiRoute, Operation
from server.api.types import Name
from server.auth.access import ANY_MANAGER, DIRECTORY, TEAM_MANAGER
from server.http import ApiError, ArenaJSONResponse, arena_of, read_csv_upload, require
from server.integrations.pipeline import release_held_events
from server.outbound_targets import target_problem
from server.services.images import Image, ImageProblem
from server.services.media_store import rep_owner
from server.services.picture_fetch import fetch_picture

if TYPE_CHECKING:
    from server.arena import Arena

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")

MAX_IMPORT_ROWS = 1000
MAX_IMPORT_PHOTOS = 100  # each photo is one outbound fetch (up to a few seconds): the rest go one by one
TRUE = ("1", "true", "yes", "y", "是", "x")


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
    await arena.registry.put_rep(document, principal.name)
    await arena.sync_rosters(reps=[rep_id])
    await release_held_events(arena, rep_id, document["aliases"])  # score what waited for these CRM users
    return JSONResponse(document, status_code=200 if existing else 201)


async def _fetched_photo(arena: Arena, url: str) -> Image:
    try:
        return await fetch_picture(url, allow_private=arena.settings.outbound_allow_private)
    except ImageProblem as exc:
        problem = [{"field": "photo_url", "message": str(exc)}]
        raise ApiError(422, f"invalid rep: photo_url: {exc}", problem) from None


async def _imported_photo(arena: Arena, row: dict[str, Any], nth: int) -> str:
    """An imported row's profile photo, fetched and kept (its digest); a photo that could not be is named in the
    row's ``photo_problem`` and the rep keeps the photo it had."""
    stored = await arena.registry.rep_document(row["id"]) or {}
    if nth > MAX_IMPORT_PHOTOS:
        row["photo_problem"] = f"not fetched: at most {MAX_IMPORT_PHOTOS} photos per import"
        return str(stored.get("photo", ""))
    try:
        image = await fetch_picture(row["photo_url"], allow_private=arena.settings.outbound_allow_private)
    except ImageProblem as exc:
        row["photo_problem"] = str(exc)
        return str(stored.get("photo", ""))
    return await arena.media.put(rep_owner(row["id"]), image)


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


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in TRUE


async def import_reps(request: Request) -> ArenaJSONResponse:
    """Reps from CSV (``id,name,team[,opted_out][,active][,photo_url]``, a header row first): ``?dry_run=1`` checks
    every row and changes nothing; without it the valid rows are stored and the invalid ones reported."""
    principal = await require(request, lambda p: p.can_manage, "import reps")
    arena = arena_of(request)
    text = await read_csv_upload(request)
    reader = csv.DictReader(io.StringIO(text))
    try:
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "id" not in fields or "name" not in fields:
            raise ApiError(422, "the first row must name the columns: id,name,team[,opted_out][,active]")
        reader.fieldnames = fields
        lines = list(itertools.islice(reader, MAX_IMPORT_ROWS + 1))
    except csv.Error as exc:
        raise ApiError(422, f"not a readable CSV file: {exc}") from None
    snapshot = await arena.registry.current()
    directory = snapshot.directory
    dry_run = request.query_params.get("dry_run") in ("1", "true")
    allow_private = arena.settings.outbound_allow_private
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            raise ApiError(413, f"at most {MAX_IMPORT_ROWS} rows per import")
        rep_id = (line.get("id") or "").strip()
        name = (line.get("name") or "").strip()
        team = (line.get("team") or "").strip() or None
        problems = []
        if not ID_PATTERN.match(rep_id):
            problems.append("id: 1-128 letters, digits, _ . : @ -")
        elif rep_id in seen:
            problems.append("id: appears twice in this file")
        if not name or len(name) > 80:
            problems.append("name: required, at most 80 characters")
        if team is not None and team not in directory.teams:
            problems.append(f"team: unknown team {team!r}")
        elif not principal.manages_team(team) and principal.role != "admin":
            problems.append("team: not one of your teams")
        existing = directory.reps.get(rep_id)
        if existing is not None and principal.role != "admin" and not principal.manages_team(existing.team):
            problems.append("id: this rep belongs to another manager's team")
        photo_url = (line.get("photo_url") or "").strip()
        if photo_url and (refused := target_problem(photo_url, allow_private=allow_private)):
            problems.append(f"photo_url: {refused}")
        seen.add(rep_id)
        rows.append(
            {
                "line": number,
                "id": rep_id,
                "name": name,
                "team": team,
                "opted_out": _flag(line.get("opted_out"), existing.opted_out if existing else False),
                "active": _flag(line.get("active"), existing.active if existing else True),
                "action": "update" if existing else "create",
                "errors": problems,
                "photo_url": photo_url or None,
            }
        )
    valid = [row for row in rows if not row["errors"]]
    if not dry_run and valid:
        now = datetime.now(UTC).isoformat()
        fetched = 0
        for row in valid:
            stored = await arena.registry.rep_document(row["id"]) or {}
            document = {
                **stored,
                "id": row["id"],
                "name": row["name"],
                "team": row["team"],
                "active": row["active"],
                "opted_out": row["opted_out"],
                "aliases": stored.get("aliases", {}),
                "updated_at": now,
            }
            if row["photo_url"]:
                document["photo"] = await _imported_photo(arena, row, fetched := fetched + 1)
            await arena.registry.put_rep(document, principal.name)
        await arena.sync_rosters(reps=[row["id"] for row in valid])
    return ArenaJSONResponse(
        {
            "dry_run": dry_run,
            "rows": rows,
            "valid": len(valid),
            "invalid": len(rows) - len(valid),
            "imported": 0 if dry_run else len(valid),
        }
    )


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


class ImportedRep(Struct):
    line: int
    id: str
    name: str
    team: str | None
    opted_out: bool
    active: bool
    action: Literal["create", "update"]
    errors: list[str]
    photo_url: str | None = None
    photo_problem: Annotated[str, Meta(description="Why the row's photo was not kept (the rep was).")] | None = None


class RepImport(Struct):
    dry_run: bool
    rows: list[ImportedRep]
    valid: int
    invalid: int
    imported: int


class DryRun(Struct):
    dry_run: Annotated[str, Meta(description="1 to check without storing.")] | None = None


BAD_ID = Answer(422, "an id with characters ids may not have", "id", body={"name": "x"}, path={"id": "a b"})
routes = [
    ApiRoute(
        "/reps/import",
        import_reps,
        "POST",
        Operation(
            "Import reps from CSV (id,name,team[,opted_out][,active]); ?dry_run=1 only checks",
            "directory",
            "manage",
            body=str,
            body_media=CSV_MEDIA,
            response=RepImport,
            query=DryRun,
            answers=(
                Answer(422, "no header row naming id and name", body="a,b\n1,2\n", media="text/csv", cross_field=True),
            ),
            access=ANY_MANAGER,
        ),
    ),
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
