"""Teams and reps: ``PUT /api/v1/teams/{id}``, ``PUT /api/v1/reps/{id}`` and their listings."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from game.directory import Directory
from game.errors import Collector, ValidationError, required_name
from server.http import ApiError, ArenaJSONResponse, arena_of, read_csv_upload, read_document, require, validation_error
from server.integrations.pipeline import release_held_events

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")

MAX_IMPORT_ROWS = 1000
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
    body = await read_document(request)
    if not isinstance(body, dict):
        raise ApiError(422, "a team must be a JSON object", [{"field": "", "message": "expected an object"}])
    errors = Collector()
    name = required_name(body, errors)
    color = body.get("color", "")
    if color and (not isinstance(color, str) or not COLOR_PATTERN.match(color)):
        errors.add("color", "must be a #rrggbb colour")
    try:
        errors.raise_if_any()
    except ValidationError as exc:
        raise validation_error(exc, "invalid team") from None
    arena = arena_of(request)
    existed = (await arena.registry.current()).directory.teams.get(team_id) is not None
    document = {"id": team_id, "name": name, "color": color or ""}
    await arena.registry.put_team(document, principal.name)
    await arena.sync_rosters(teams=[team_id])
    return JSONResponse(document, status_code=200 if existed else 201)


async def put_rep(request: Request) -> JSONResponse:
    principal = await require(request, lambda p: p.can_manage, "manage reps")
    rep_id = _path_id(request)
    body = await read_document(request)
    if not isinstance(body, dict):
        raise ApiError(422, "a rep must be a JSON object", [{"field": "", "message": "expected an object"}])
    arena = arena_of(request)
    directory: Directory = (await arena.registry.current()).directory
    errors = Collector()
    name = required_name(body, errors)
    team = body.get("team")
    if team is not None and (not isinstance(team, str) or team not in directory.teams):
        errors.add("team", f"unknown team {team!r}: create it first with PUT /api/v1/teams/{{id}}")
    for flag in ("active", "opted_out"):
        if flag in body and not isinstance(body[flag], bool):
            errors.add(flag, "must be true or false")
    aliases = body.get("aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()):
        errors.add("aliases", 'must map connector ids to CRM user ids, e.g. {"hubspot-1": "12345"}')
    try:
        errors.raise_if_any()
    except ValidationError as exc:
        raise validation_error(exc, "invalid rep") from None
    existing = await arena.registry.rep_document(rep_id)
    if not principal.manages_team(team) or (existing and not principal.manages_team(existing.get("team"))):
        raise ApiError(403, "managers add and move reps within their own teams only")
    document = {
        **(existing or {}),
        "id": rep_id,
        "name": name,
        "team": team,
        "active": body.get("active", (existing or {}).get("active", True)),
        "opted_out": body.get("opted_out", (existing or {}).get("opted_out", False)),
        "aliases": aliases or (existing or {}).get("aliases", {}),
        "updated_at": datetime.now(UTC).isoformat(),
    }
    await arena.registry.put_rep(document, principal.name)
    await arena.sync_rosters(reps=[rep_id])
    await release_held_events(arena, rep_id, document["aliases"])  # score what waited for these CRM users
    return JSONResponse(document, status_code=200 if existing else 201)


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
    """Reps from CSV (``id,name,team[,opted_out][,active]``, a header row first): ``?dry_run=1`` checks
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
            }
        )
    valid = [row for row in rows if not row["errors"]]
    if not dry_run and valid:
        now = datetime.now(UTC).isoformat()
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


routes = [
    Route("/reps/import", import_reps, methods=["POST"]),
    Route("/teams", list_teams, methods=["GET"]),
    Route("/teams/{id}", put_team, methods=["PUT"]),
    Route("/reps", list_reps, methods=["GET"]),
    Route("/reps/{id}", put_rep, methods=["PUT"]),
]
