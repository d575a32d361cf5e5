"""Contests: create, change (new version + rescore), lifecycle actions, boards and a rep's standing."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.contests import Contest, parse_contest
from game.errors import ValidationError
from game.pacing import pace
from game.ranking import gap_to_next_rank
from server.http import ApiError, ArenaJSONResponse, arena_of, read_document, require
from server.i18n import rules_text
from server.services.boards import rest_rows
from server.services.contests import (
    contest_summary,
    ensure_scope,
    store_new_contest,
    stored_definition,
    validated,
)
from server.services.rescore import drop_epoch, rescore

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.contests")
MAX_LIMIT = 500
ACTIONS = ("launch", "pause", "resume", "archive", "end", "clone", "rescore")


async def create_contest(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "create contests")
    body = await read_document(request)
    stored = await store_new_contest(arena_of(request), body, principal)
    return ArenaJSONResponse(contest_summary(stored, datetime.now(UTC)), status_code=201)


async def _document(arena: Arena, contest_id: str) -> dict[str, Any]:
    document = await arena.registry.contest_document(contest_id)
    if document is None:
        raise ApiError(404, f"no contest {contest_id!r}")
    return document


async def _start_rescore(arena: Arena, contest_id: str, definition: dict[str, Any] | None, actor: str) -> None:
    if not await arena.rescores.claim(contest_id, actor):
        raise ApiError(409, f"a rescore of {contest_id!r} is running: wait for it to finish")

    async def run() -> None:
        try:
            epoch = await rescore(
                arena.store, arena.registry, arena.rescores, arena.event_log, contest_id, definition, actor
            )
            await arena.sync_rosters(contest=contest_id)
            await drop_epoch(arena.rescores, contest_id, epoch - 1)
        except Exception:
            log.exception("rescore of %s failed", contest_id)

    task = asyncio.get_running_loop().create_task(run())
    arena.background.add(task)
    task.add_done_callback(arena.background.discard)


async def change_contest(request: Request) -> ArenaJSONResponse:
    """A new definition: a draft is simply replaced; anything else gets a new version and a rescore."""
    principal = await require(request, lambda p: p.can_manage, "change contests")
    arena = arena_of(request)
    contest_id = request.path_params["id"]
    document = await _document(arena, contest_id)
    body = await read_document(request)
    if isinstance(body, dict):
        body.setdefault("id", contest_id)
    contest = validated(arena, body)
    directory = (await arena.registry.current()).directory
    ensure_scope(principal, arena.registry.contest_from(document), directory)
    ensure_scope(principal, contest, directory)
    if contest.id != contest_id:
        raise ApiError(422, "the id cannot change", [{"field": "id", "message": f"must be {contest_id!r}"}])
    if document.get("state") == "archived":
        raise ApiError(409, "an archived contest cannot change")
    if document.get("state") == "draft":
        document.update(definition=stored_definition(body, contest), version=int(document.get("version", 1)) + 1)
        await arena.registry.put_contest(document, principal.name, "contest.update")
        await arena.sync_rosters(contest=contest_id)
        return ArenaJSONResponse({"id": contest_id, "version": document["version"], "rescore": None})
    await _start_rescore(arena, contest_id, stored_definition(body, contest), principal.name)
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
        new_id = body.get("id") if isinstance(body, dict) else None
        definition = {**document["definition"], **(body if isinstance(body, dict) else {}), "id": new_id}
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
        await _start_rescore(arena, contest_id, None, principal.name)
        return ArenaJSONResponse({"id": contest_id, "rescore": "running"}, status_code=202)
    if action == "end":
        now = datetime.now(UTC).isoformat()
        await _start_rescore(arena, contest_id, {**document["definition"], "ends_at": now}, principal.name)
        return ArenaJSONResponse({"id": contest_id, "ends_at": now, "rescore": "running"}, status_code=202)
    allowed = {"launch": ("draft",), "pause": ("active",), "resume": ("paused",), "archive": ("active", "paused")}
    if state not in allowed[action]:
        raise ApiError(409, f"cannot {action} a contest that is {state}")
    document["state"] = {"launch": "active", "pause": "paused", "resume": "active", "archive": "archived"}[action]
    await arena.registry.put_contest(document, principal.name, f"contest.{action}")
    await arena.sync_rosters(contest=contest_id)
    contest = (await arena.registry.current()).contests[contest_id]
    return ArenaJSONResponse(contest_summary(contest, datetime.now(UTC)))


async def rescore_status(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "read rescore progress")
    arena = arena_of(request)
    contest = await _contest(request)
    ensure_scope(principal, contest, (await arena.registry.current()).directory)
    decoded = await arena.rescores.status(contest.id)
    return ArenaJSONResponse(
        {
            "id": contest.id,
            "epoch": int(decoded.get("epoch", 1)),
            "state": decoded.get("rescore_state", "idle"),
            "done": int(decoded.get("rescore_done", 0)),
            "total": int(decoded.get("rescore_total", 0)),
        }
    )


async def list_contests(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.role != "ingest", "list contests")
    snapshot = await arena_of(request).registry.current()
    now = datetime.now(UTC)
    readable = (c for c in snapshot.contests.values() if principal.may_read_contest(c.id))
    contests = sorted(readable, key=lambda c: c.starts_at, reverse=True)
    return ArenaJSONResponse({"contests": [contest_summary(c, now) for c in contests]})


async def _contest(request: Request) -> Contest:
    snapshot = await arena_of(request).registry.current()
    contest = snapshot.contests.get(request.path_params["id"])
    if contest is None:
        raise ApiError(404, f"no contest {request.path_params['id']!r}")
    return contest


async def get_contest(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.may_read_contest(request.path_params["id"]), "read this contest")
    return ArenaJSONResponse(contest_summary(await _contest(request), datetime.now(UTC)))


def _limit(request: Request, default: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(422, "invalid limit", [{"field": "limit", "message": f"a whole number from 1 to {MAX_LIMIT}"}])
    return int(raw)


async def _board(request: Request, which: str, board: str) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_read_board(board), "read this board")
    contest = await _contest(request)
    arena = arena_of(request)
    limit = _limit(request, 50)
    start = 0
    around = request.query_params.get("around")
    if around:
        position = await arena.store.rank_of(contest.id, contest.epoch, which, around)
        if position is None:
            raise ApiError(
                404, f"{around!r} is not on this board", [{"field": "around", "message": "not on this board"}]
            )
        start = max(0, position - limit // 2)
    read = await arena.store.read_board(contest.id, contest.epoch, which, start=start, limit=limit)
    snapshot = await arena.registry.current()
    rows = rest_rows(read.rows, which, snapshot, principal.role == "display", contest)
    return ArenaJSONResponse(
        {"contest": contest.id, "board": board, "epoch": read.epoch, "seq": read.seq, "total": read.total, "rows": rows}
    )


async def leaderboard(request: Request) -> ArenaJSONResponse:
    return await _board(request, "reps", f"contest:{request.path_params['id']}")


async def team_board(request: Request) -> ArenaJSONResponse:
    return await _board(request, "teams", f"contest:{request.path_params['id']}:teams")


async def division_board(request: Request) -> ArenaJSONResponse:
    name = request.path_params["division"]
    return await _board(request, f"div:{name}", f"contest:{request.path_params['id']}:div:{name}")


async def standing(request: Request) -> ArenaJSONResponse:
    """One rep in one contest: rank, score, gap to the next rank, target and pacing."""
    rep_id = request.path_params["rep"]
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    await require(request, lambda p: p.may_read_rep(rep_id, directory), "read this rep's standing")
    contest = await _contest(request)  # after the credentials: without them, no hint whether it exists
    position = await arena.store.rank_of(contest.id, contest.epoch, "reps", rep_id)
    if position is None:
        raise ApiError(404, f"{rep_id!r} is not in contest {contest.id!r}")
    read = await arena.store.read_board(contest.id, contest.epoch, "reps", start=max(0, position - 5), limit=11)
    me = next(row for row in read.rows if row.id == rep_id)
    points = await arena.store.ledger_total(contest.id, contest.epoch, rep_id)
    target = contest.target_for(rep_id)
    now = datetime.now(UTC)
    return ArenaJSONResponse(
        {
            "contest": contest.id,
            "rep": rep_id,
            "rank": me.rank,
            "score": me.score,
            "points": points,
            "of": read.total,
            "gap_to_next": gap_to_next_rank([r.score for r in read.rows], me.score),
            "pace": pace(points, target, contest.starts_at, contest.ends_at, now).as_dict() if target else None,
        }
    )


async def results(request: Request) -> ArenaJSONResponse:
    """Final results once the contest closed (champions crowned); a preliminary view before that."""
    principal = await require(request, lambda p: p.role in ("admin", "manager", "read"), "read results")
    arena = arena_of(request)
    contest = await _contest(request)
    if principal.role == "manager":
        ensure_scope(principal, contest, (await arena.registry.current()).directory)
    stored = await arena.store.results(contest.id)
    body = stored if stored is not None else {**await arena.scheduler.results(contest), "final": False}
    directory = (await arena.registry.current()).directory
    for row in body["standings"]:
        rep = directory.reps.get(row["id"])
        row.update(name=rep.name if rep else row["id"], team=rep.team if rep else None)
    for row in body["teams"]:
        team = directory.teams.get(row["id"])
        row["name"] = team.name if team else row["id"]
    return ArenaJSONResponse(body)


async def results_csv(request: Request) -> Response:
    """The standings with prizes as CSV (UTF-8 with BOM so spreadsheet programs read Chinese names)."""
    data = json.loads(bytes((await results(request)).body))
    prizes: dict[str, list[str]] = {}
    for prize in data["prizes"]:
        prizes.setdefault(prize["id"], []).append(prize["prize"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "rep", "name", "team", "score", "prizes", "champion"])
    for row in data["standings"]:
        writer.writerow(
            [
                row["rank"],
                row["id"],
                row["name"],
                row["team"] or "",
                row["score"],
                "; ".join(prizes.get(row["id"], [])),
                "yes" if row["id"] == data["champion"] else "",
            ]
        )
    filename = f"{data['contest']}-results.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


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


async def preview_contest(request: Request) -> ArenaJSONResponse:
    """Validate a draft definition and describe its rules in both languages (nothing is stored)."""
    await require(request, lambda p: p.can_manage, "preview contests")
    body = await read_document(request)
    if not isinstance(body, dict):
        raise ApiError(422, "send a contest definition: a JSON object")
    settings = arena_of(request).settings
    errors: list[dict[str, str]] = []
    try:
        parse_contest(body, default_timezone=settings.timezone, default_currency=settings.currency)
    except ValidationError as exc:
        errors = [e.as_dict() for e in exc.errors]
    definition = body
    return ArenaJSONResponse(
        {
            "valid": not errors,
            "errors": errors,
            "rules": {loc: rules_text.summary(definition, loc, settings.currency) for loc in ("zh-CN", "en")},
        }
    )


routes = [
    Route("/contests/preview", preview_contest, methods=["POST"]),
    Route("/audit", audit, methods=["GET"]),
    Route("/contests/{id}/results", results, methods=["GET"]),
    Route("/contests/{id}/results.csv", results_csv, methods=["GET"]),
    Route("/contests", create_contest, methods=["POST"]),
    Route("/contests", list_contests, methods=["GET"]),
    Route("/contests/{id}", get_contest, methods=["GET"]),
    Route("/contests/{id}", change_contest, methods=["PUT"]),
    Route("/contests/{id}/rescore", rescore_status, methods=["GET"]),
    Route("/contests/{id}/leaderboard", leaderboard, methods=["GET"]),
    Route("/contests/{id}/teams", team_board, methods=["GET"]),
    Route("/contests/{id}/divisions/{division}", division_board, methods=["GET"]),
    Route("/contests/{id}/reps/{rep}", standing, methods=["GET"]),
    Route("/contests/{id}/{action}", contest_action, methods=["POST"]),
]
