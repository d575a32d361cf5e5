"""Contests: create, change (new version + rescore), lifecycle actions, boards and a rep's standing."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from game import contests as engine
from game.contests import definition_changes, parse_contest
from game.errors import ValidationError
from server.api.codec import convert, every_field_error
from server.api.contest_payloads import (
    AuditLog,
    AuditQuery,
    CloneBody,
    Contest,
    ContestChange,
    ContestChangeBody,
    ContestDefinition,
    ContestList,
    Preview,
    RescoreStatus,
)
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import ANY_MANAGER, READERS, TEAM_MANAGER
from server.http import ApiError, ArenaJSONResponse, arena_of, contest_in_path, read_document, require
from server.i18n import rules_text
from server.services.cap_calendar import freeze_cap_calendar
from server.services.contest_archive import compact_contest
from server.services.contest_versions import add_version, version_entry
from server.services.contests import (
    contest_summary,
    ensure_scope,
    store_new_contest,
    stored_definition,
    validated,
)
from server.services.goals import contest_targets_from_goal
from server.services.rescore_runs import start_rescore
from server.services.window_scoring import start_window_scoring

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.contests")
ACTIONS = ("launch", "pause", "resume", "archive", "end", "clone", "rescore")


async def create_contest(request: Request) -> ArenaJSONResponse:
    """A new contest; one created live with a start in the past scores the events already logged in its window
    (followed with ``GET /contests/{id}/rescore``: ``window``)."""
    principal = await require(request, lambda p: p.can_manage, "create contests")
    body = await checked_definition(request)
    arena = arena_of(request)
    stored = await store_new_contest(arena, body, principal)
    now = datetime.now(UTC)
    summary = contest_summary(stored, now)
    if stored.state == "active" and stored.starts_at < now:
        await start_window_scoring(arena, stored.id)
        summary["window"] = "scoring"
    return ArenaJSONResponse(summary, status_code=201)


async def _document(arena: Arena, contest_id: str) -> dict[str, Any]:
    document = await arena.registry.contest_document(contest_id)
    if document is None:
        raise ApiError(404, f"no contest {contest_id!r}")
    return document


def change_reason(body: dict[str, Any], contest: engine.Contest, now: datetime) -> str | None:
    """Why a contest that has started changes (required: its reps were playing by the rules it had)."""
    reason = body.get("change_reason")
    reason = reason.strip() if isinstance(reason, str) else None
    if contest.state != "draft" and now >= contest.starts_at and not reason:
        raise ApiError(
            409,
            f"contest {contest.id!r} is {contest.status_at(now)}: say why its rules change (change_reason); "
            "its reps are told",
            [{"field": "change_reason", "message": "required once a contest has started"}],
        )
    return reason


async def change_contest(request: Request) -> ArenaJSONResponse:
    """A new definition: a draft is simply replaced; anything else gets a new version and a rescore, and once
    the contest has started, a reason."""
    principal = await require(request, lambda p: p.can_manage, "change contests")
    arena = arena_of(request)
    contest_id = request.path_params["id"]
    document = await _document(arena, contest_id)
    body = await checked_definition(request, contest_id)
    contest = validated(arena, body)
    directory = (await arena.registry.current()).directory
    current = arena.registry.contest_from(document)
    ensure_scope(principal, current, directory)
    ensure_scope(principal, contest, directory)
    if contest.id != contest_id:
        raise ApiError(422, "the id cannot change", [{"field": "id", "message": f"must be {contest_id!r}"}])
    if document.get("state") == "archived":
        raise ApiError(409, "an archived contest cannot change")
    reason = change_reason(body, current, datetime.now(UTC))
    if document.get("state") == "draft":
        definition = stored_definition(body, contest)
        version = int(document.get("version", 1)) + 1
        changes = definition_changes(document["definition"], definition)
        add_version(document, version_entry(version, principal.name, reason, changes))
        document.update(definition=definition, version=version)
        await arena.registry.put_contest(document, principal.name, "contest.update")
        await arena.sync_rosters(contest=contest_id)
        return ArenaJSONResponse({"id": contest_id, "version": document["version"], "rescore": None})
    await start_rescore(arena, contest_id, stored_definition(body, contest), principal.name, reason)
    return ArenaJSONResponse(
        {"id": contest_id, "version": int(document.get("version", 1)) + 1, "rescore": "running"}, status_code=202
    )


async def contest_action(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "run contests")
    arena = arena_of(request)
    contest_id, action = request.path_params["id"], request.path_params["action"]
    if action not in ACTIONS:
        raise ApiError(404, f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    document = await _document(arena, contest_id)
    ensure_scope(principal, arena.registry.contest_from(document), (await arena.registry.current()).directory)
    state = document.get("state", "active")
    if action == "clone":
        body = await read_document(request)
        convert(body, CloneBody, "clone")
        definition = {**document["definition"], **body, "id": body.get("id")}
        if "days_off" not in body:  # the copy's own span (its dates may change) from the calendar as it is now
            definition.pop("days_off", None)
            await freeze_cap_calendar(arena, definition, document["definition"])
        convert(definition, ContestDefinition, "contest")
        contest = validated(arena, definition)
        ensure_scope(principal, contest, (await arena.registry.current()).directory)  # the copy, too
        if contest.id in (await arena.registry.current()).contests:
            raise ApiError(409, f"contest {contest.id!r} exists already")
        copy = {
            "definition": stored_definition(definition, contest),
            "state": "draft",
            "version": 1,
            "epoch": 1,
            "history": [],
            "cloned_from": contest_id,
        }
        await arena.registry.put_contest(copy, principal.name, "contest.clone")
        return ArenaJSONResponse({"id": contest.id, "status": "draft"}, status_code=201)
    if action == "rescore":
        await start_rescore(arena, contest_id, None, principal.name)
        return ArenaJSONResponse({"id": contest_id, "rescore": "running"}, status_code=202)
    if action == "end":
        now = datetime.now(UTC).isoformat()
        ended = {**document["definition"], "ends_at": now}
        await start_rescore(arena, contest_id, ended, principal.name, "ended early")
        return ArenaJSONResponse({"id": contest_id, "ends_at": now, "rescore": "running"}, status_code=202)
    allowed = {"launch": ("draft",), "pause": ("active",), "resume": ("paused",), "archive": ("active", "paused")}
    if state not in allowed[action]:
        raise ApiError(409, f"cannot {action} a contest that is {state}")
    document["state"] = {"launch": "active", "pause": "paused", "resume": "active", "archive": "archived"}[action]
    await arena.registry.put_contest(document, principal.name, f"contest.{action}")
    await arena.sync_rosters(contest=contest_id)
    contest = (await arena.registry.current()).contests[contest_id]
    moment = datetime.now(UTC)
    summary = contest_summary(contest, moment)
    if action == "archive":  # nothing reaches it any more: keep only what answers for it
        await compact_contest(arena.store, arena.contest_archives, arena.rescores, contest, moment)
    if action == "launch" and contest.starts_at < moment:  # the deals already logged in its window count
        await start_window_scoring(arena, contest_id)
        summary["window"] = "scoring"
    return ArenaJSONResponse(summary)


async def rescore_status(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "read rescore progress")
    arena = arena_of(request)
    contest = await contest_in_path(request)
    ensure_scope(principal, contest, (await arena.registry.current()).directory)
    decoded = await arena.rescores.status(contest.id)
    answer: dict[str, Any] = {
        "id": contest.id,
        "epoch": int(decoded.get("epoch", 1)),
        "state": decoded.get("rescore_state", "idle"),
        "done": int(decoded.get("rescore_done", 0)),
        "total": int(decoded.get("rescore_total", 0)),
    }
    if "window_state" in decoded:
        answer["window"] = {
            "state": decoded["window_state"],
            "read": int(decoded.get("window_read", 0)),
            "share": float(decoded.get("window_share", 0)),
        }
    return ArenaJSONResponse(answer)


async def list_contests(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.role != "ingest", "list contests")
    snapshot = await arena_of(request).registry.current()
    now = datetime.now(UTC)
    readable = (c for c in snapshot.contests.values() if principal.may_read_contest(c.id))
    contests = sorted(readable, key=lambda c: c.starts_at, reverse=True)
    return ArenaJSONResponse({"contests": [contest_summary(c, now) for c in contests]})


async def get_contest(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.may_read_contest(request.path_params["id"]), "read this contest")
    return ArenaJSONResponse(contest_summary(await contest_in_path(request), datetime.now(UTC)))


async def audit(request: Request) -> ArenaJSONResponse:
    """Who changed what and when; ``?target=<id>`` narrows it to one contest, rep or team."""
    principal = await require(request, lambda p: p.can_manage, "read the audit log")
    arena = arena_of(request)
    target = request.query_params.get("target")
    if principal.role == "manager":
        snapshot = await arena.registry.current()
        rep = snapshot.directory.reps.get(target or "")
        contest = snapshot.contests.get(target or "")
        if not (
            (contest is not None and principal.manages_contest(contest, snapshot.directory))
            or principal.manages_team(target)
            or (rep is not None and principal.manages_team(rep.team))
        ):
            raise ApiError(403, "managers read the audit log of their own contests, teams and reps: pass ?target=")
    items = []
    for item in await arena.audit.newest(count=2000 if target else 200):
        if target and item.get("target") != target:
            continue
        item["data"] = json.loads(item["data"]) if item.get("data") else None
        items.append(item)
    return ArenaJSONResponse({"entries": items[:200]})


def _problems(body: Any, timezone: str, currency: str) -> list[dict[str, str]]:
    """Every field of a definition at fault: its shape as declared, then the engine's rules across fields for
    the fields whose shape was right."""
    errors = every_field_error(body, ContestDefinition)
    try:
        parse_contest(body, default_timezone=timezone, default_currency=currency)
    except ValidationError as exc:
        named = {e["field"].split(".")[0].split("[")[0] for e in errors}
        errors += [e.as_dict() for e in exc.errors if e.field.split(".")[0].split("[")[0] not in named]
    return errors


async def checked_definition(request: Request, default_id: str | None = None) -> Any:
    """The body, a contest definition, once its shape and its rules across fields are right (422 listing every
    field at fault otherwise)."""
    body = await read_document(request)
    if isinstance(body, dict) and default_id is not None:
        body.setdefault("id", default_id)
    convert(body, dict[str, Any], "contest")  # not an object at all: 422
    arena = arena_of(request)
    await contest_targets_from_goal(arena, body)
    stored = await arena.registry.contest_document(default_id) if default_id is not None else None
    await freeze_cap_calendar(arena, body, stored["definition"] if stored else None)
    settings = arena.settings
    if errors := _problems(body, settings.timezone, settings.currency):
        message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise ApiError(422, f"invalid contest: {message}", errors)
    return body


async def preview_contest(request: Request) -> ArenaJSONResponse:
    """Validate a draft definition and describe its rules in both languages (nothing is stored)."""
    await require(request, lambda p: p.can_manage, "preview contests")
    body = await read_document(request)
    if not isinstance(body, dict):
        raise ApiError(422, "send a contest definition: a JSON object", [{"field": "", "message": "an object"}])
    settings = arena_of(request).settings
    body.setdefault("cap_days", "working")  # as the draft will be saved (a new contest)
    errors = _problems(body, settings.timezone, settings.currency)
    definition = body
    return ArenaJSONResponse(
        {
            "valid": not errors,
            "errors": errors,
            "rules": {loc: rules_text.summary(definition, loc, settings.currency) for loc in ("zh-CN", "en")},
        }
    )


READ = "read"
MANAGE = "manage"
BAD_RULE = Answer(
    422,
    "a field of the wrong shape",
    "rules[0].points",
    body={
        "id": "c1",
        "name": "C",
        "starts_at": "2026-12-01T00:00:00+08:00",
        "ends_at": "2027-01-01T00:00:00+08:00",
        "rules": [{"on": "deal.won", "points": "many"}],
    },
)
ENDS_FIRST = Answer(
    422,
    "ends_at before starts_at (a rule across fields)",
    "ends_at",
    body={
        "id": "c1",
        "name": "C",
        "starts_at": "2026-12-01T00:00:00+08:00",
        "ends_at": "2026-11-01T00:00:00+08:00",
        "rules": [{"on": "deal.won", "points": 1}],
    },
    cross_field=True,
)
NO_CONTEST = not_found("contest")

routes = [
    ApiRoute(
        "/contests/preview",
        preview_contest,
        "POST",
        Operation(
            "Check a draft definition and describe its rules in both languages (nothing stored)",
            "contests",
            MANAGE,
            body=dict[str, Any],
            response=Preview,
            answers=(Answer(422, "not an object", "", body=[1]),),
            access=ANY_MANAGER,
        ),
    ),
    ApiRoute(
        "/audit",
        audit,
        "GET",
        Operation(
            "Who changed what and when", "contests", MANAGE, response=AuditLog, query=AuditQuery, access=TEAM_MANAGER
        ),
    ),
    ApiRoute(
        "/contests",
        create_contest,
        "POST",
        Operation(
            "Create a contest (rules frozen once created)",
            "contests",
            MANAGE,
            body=ContestDefinition,
            response=Contest,
            status=201,
            answers=(
                Answer(400, "not JSON", body="{"),
                BAD_RULE,
                ENDS_FIRST,
            ),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/contests",
        list_contests,
        "GET",
        Operation("List contests with their status", "contests", READ, response=ContestList, access=READERS),
    ),
    ApiRoute(
        "/contests/{id}",
        get_contest,
        "GET",
        Operation("One contest", "contests", READ, response=Contest, answers=(NO_CONTEST,), access=READERS),
    ),
    ApiRoute(
        "/contests/{id}",
        change_contest,
        "PUT",
        Operation(
            "A new definition: a new version and a rescore (202; a draft is replaced); once the contest has "
            "started, with a change_reason",
            "contests",
            MANAGE,
            body=ContestChangeBody,
            response=ContestChange,
            status=202,
            answers=(
                NO_CONTEST,
                Answer(422, BAD_RULE.summary, BAD_RULE.field, BAD_RULE.body, path={"id": "{contest}"}),
                Answer(422, ENDS_FIRST.summary, "ends_at", ENDS_FIRST.body, path={"id": "{contest}"}, cross_field=True),
                Answer(
                    409,
                    "a live or ended contest changes only with a change_reason",
                    "change_reason",
                    {k: v for k, v in ENDS_FIRST.body.items() if k != "id"} | {"ends_at": "2027-01-01T00:00:00+08:00"},
                    path={"id": "{contest}"},
                    cross_field=True,
                ),
            ),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/contests/{id}/rescore",
        rescore_status,
        "GET",
        Operation(
            "Rescore progress", "contests", MANAGE, response=RescoreStatus, answers=(NO_CONTEST,), access=TEAM_MANAGER
        ),
    ),
    ApiRoute(
        "/contests/{id}/{action}",
        contest_action,
        "POST",
        Operation(
            "launch, pause, resume, end, archive, clone (body: the new id and changes) or rescore",
            "contests",
            MANAGE,
            body=CloneBody,
            body_required=False,
            response=ContestChange,
            answers=(
                Answer(404, "no such contest or action", path={"action": "launch"}),
                Answer(409, "not in a state for this action", path={"id": "{contest}", "action": "resume"}),
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
