"""Reps from a CSV file: ``POST /api/v1/reps/import`` (``?dry_run=1`` only checks) and its progress,
``GET /api/v1/reps/import/{id}``.

Every row is checked on its own (a bad row is reported with its line and reason; the good ones are stored).
The valid rows are stored in chunks: one read of what is stored and one write per chunk (one version bump, so
every process catches up with the chunk's reps alone), then the running contests' rosters are synced once.
An import named with ``?progress=<token>`` records how far it has come, which the console polls.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import Meta, Struct
from starlette.requests import Request

from game.directory import Directory
from server.api.codec import decode_query
from server.api.contract import CSV_MEDIA, Answer, ApiRoute, Operation, not_found
from server.api.directory import ID_PATTERN, _path_id
from server.auth.access import ANY_MANAGER
from server.auth.principals import Principal
from server.http import MAX_CSV_UPLOAD_BYTES, ApiError, ArenaJSONResponse, arena_of, read_csv_upload, require
from server.outbound_targets import target_problem
from server.services.images import ImageProblem
from server.services.media_store import rep_owner
from server.services.picture_fetch import fetch_picture

if TYPE_CHECKING:
    from server.arena import Arena

MAX_IMPORT_ROWS = 100_000
MAX_IMPORT_PHOTOS = 100  # each photo is one outbound fetch (up to a few seconds): the rest go one by one
CHUNK = 1000  # reps stored per write: one read, one MULTI and one version bump each
TRUE = ("1", "true", "yes", "y", "是", "x")
PROGRESS_TOKEN = r"^[A-Za-z0-9_-]{8,64}$"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in TRUE


def _lines(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "id" not in fields or "name" not in fields:
            raise ApiError(422, "the first row must name the columns: id,name,team[,opted_out][,active]")
        reader.fieldnames = fields
        lines = list(itertools.islice(reader, MAX_IMPORT_ROWS + 1))
    except csv.Error as exc:
        raise ApiError(422, f"not a readable CSV file: {exc}") from None
    if len(lines) > MAX_IMPORT_ROWS:
        raise ApiError(413, f"at most {MAX_IMPORT_ROWS} rows per import")
    return lines


def _checked_rows(
    lines: list[dict[str, str]], directory: Directory, principal: Principal, allow_private: bool
) -> list[dict[str, Any]]:
    """Each line as a row with what it would do and every problem found in it."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=2):
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
    return rows


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


async def _imported_photo(arena: Arena, row: dict[str, Any], stored: dict[str, Any], nth: int) -> str:
    """An imported row's profile photo, fetched and kept (its digest); a photo that could not be is named in the
    row's ``photo_problem`` and the rep keeps the photo it had."""
    if nth > MAX_IMPORT_PHOTOS:
        row["photo_problem"] = f"not fetched: at most {MAX_IMPORT_PHOTOS} photos per import"
        return str(stored.get("photo", ""))
    try:
        image = await fetch_picture(row["photo_url"], allow_private=arena.settings.outbound_allow_private)
    except ImageProblem as exc:
        row["photo_problem"] = str(exc)
        return str(stored.get("photo", ""))
    return await arena.media.put(rep_owner(row["id"]), image)


async def _store_rows(arena: Arena, valid: list[dict[str, Any]], actor: str, token: str | None) -> None:
    """Store the valid rows chunk by chunk (recording progress under ``token``), then sync the rosters once."""
    now = datetime.now(UTC).isoformat()
    fetched = 0
    former_teams: set[str | None] = set()
    for done, chunk in enumerate(_chunks(valid)):
        if token:
            await arena.imports.record(actor, token, "storing", done * CHUNK, len(valid))
        stored = await arena.registry.rep_documents([row["id"] for row in chunk])
        documents = []
        for row in chunk:
            before = stored.get(row["id"], {})
            document = {
                **before,
                "id": row["id"],
                "name": row["name"],
                "team": row["team"],
                "active": row["active"],
                "opted_out": row["opted_out"],
                "aliases": before.get("aliases", {}),
                "updated_at": now,
            }
            if row["photo_url"]:
                document["photo"] = await _imported_photo(arena, row, before, fetched := fetched + 1)
            documents.append(document)
        replaced = await arena.registry.put_reps(documents, actor)
        former_teams.update(document.get("team") for document in replaced.values())
    if token:
        await arena.imports.record(actor, token, "rosters", len(valid), len(valid))
    await arena.sync_rosters(reps=[row["id"] for row in valid], former_teams=former_teams)
    if token:
        await arena.imports.record(actor, token, "done", len(valid), len(valid))


async def import_reps(request: Request) -> ArenaJSONResponse:
    """Reps from CSV (``id,name,team[,opted_out][,active][,photo_url]``, a header row first): ``?dry_run=1`` checks
    every row and changes nothing; without it the valid rows are stored and the invalid ones reported."""
    principal = await require(request, lambda p: p.can_manage, "import reps")
    query = decode_query(request, RepImportQuery)
    arena = arena_of(request)
    dry_run = query.dry_run in ("1", "true")
    if query.progress and not dry_run:  # known from the first moment: the console asks before the file is read
        await arena.imports.record(principal.name, query.progress, "reading", 0, 0)
    lines = _lines(await read_csv_upload(request, MAX_CSV_UPLOAD_BYTES))
    directory = (await arena.registry.current()).directory
    rows = _checked_rows(lines, directory, principal, arena.settings.outbound_allow_private)
    valid = [row for row in rows if not row["errors"]]
    if not dry_run and valid:
        await _store_rows(arena, valid, principal.name, query.progress)
    return ArenaJSONResponse(
        {
            "dry_run": dry_run,
            "rows": rows,
            "valid": len(valid),
            "invalid": len(rows) - len(valid),
            "imported": 0 if dry_run else len(valid),
        }
    )


async def import_progress(request: Request) -> ArenaJSONResponse:
    """How far the caller's import named ``id`` (its ``?progress=`` token) has come."""
    principal = await require(request, lambda p: p.can_manage, "follow a reps import")
    progress = await arena_of(request).imports.read(principal.name, _path_id(request))
    if progress is None:
        raise ApiError(404, "no such import (imports are kept an hour)")
    return ArenaJSONResponse(progress)


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


class RepImportQuery(Struct):
    dry_run: Annotated[str, Meta(description="1 to check without storing.")] | None = None
    progress: (
        Annotated[
            str,
            Meta(
                pattern=PROGRESS_TOKEN,
                description="A name the caller chose for this import: GET /reps/import/{name} says how far it is.",
            ),
        ]
        | None
    ) = None


class ImportProgress(Struct):
    state: Annotated[
        Literal["reading", "storing", "rosters", "done"],
        Meta(description="reading and checking the file, storing reps, then syncing boards"),
    ]
    done: Annotated[int, Meta(description="reps stored so far")]
    total: Annotated[int, Meta(description="valid reps to store (0 while the file is read)")]


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
            query=RepImportQuery,
            answers=(
                Answer(422, "no header row naming id and name", body="a,b\n1,2\n", media="text/csv", cross_field=True),
                Answer(422, "a progress name not of 8-64 letters, digits, _ or -", "progress", query={"progress": "x"}),
            ),
            access=ANY_MANAGER,
        ),
    ),
    ApiRoute(
        "/reps/import/{id}",
        import_progress,
        "GET",
        Operation(
            "How far a reps import named with ?progress= has come",
            "directory",
            "manage",
            response=ImportProgress,
            path={"id": ID_PATTERN.pattern},
            answers=(not_found("import"),),
            access=ANY_MANAGER,
        ),
    ),
]
