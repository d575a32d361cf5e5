"""Contests and their boards: create, list, read, and the REST leaderboards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from game.contests import Contest, parse_contest
from game.errors import ValidationError
from server.http import ApiError, ArenaJSONResponse, read_document, require, validation_error
from server.hub import board_rows

MAX_LIMIT = 500


def contest_summary(contest: Contest, now: datetime) -> dict[str, Any]:
    return {
        **contest.definition,
        "id": contest.id,
        "name": contest.name,
        "kind": contest.kind,
        "starts_at": contest.starts_at.isoformat(),
        "ends_at": contest.ends_at.isoformat(),
        "timezone": contest.timezone,
        "currency": contest.currency,
        "team_score": str(contest.team_score),
        "status": contest.status_at(now),
    }


async def create_contest(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "create contests")
    body = await read_document(request)
    arena = request.app.state.arena
    settings = arena.settings
    try:
        contest = parse_contest(body, default_timezone=settings.timezone, default_currency=settings.currency)
    except ValidationError as exc:
        raise validation_error(exc, "invalid contest") from None
    snapshot = await arena.registry.current()
    if contest.id in snapshot.contests:
        raise ApiError(
            409,
            f"contest {contest.id!r} exists already; its rules are frozen once created",
            [{"field": "id", "message": "already in use"}],
        )
    document = _jsonable(body)
    document.setdefault("timezone", contest.timezone)
    document.setdefault("currency", contest.currency)
    document.setdefault("kind", contest.kind)
    await arena.registry.put_contest(document, principal.name)
    await arena.sync_rosters()
    return ArenaJSONResponse(contest_summary(contest, datetime.now(UTC)), status_code=201)


def _jsonable(value: Any) -> Any:
    """The definition as stored: Decimals kept as exact strings (never floats)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (int, str, bool)) or value is None:
        return value
    return str(value)


async def list_contests(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.role != "ingest", "list contests")
    snapshot = await request.app.state.arena.registry.current()
    now = datetime.now(UTC)
    contests = sorted(snapshot.contests.values(), key=lambda c: c.starts_at, reverse=True)
    return ArenaJSONResponse({"contests": [contest_summary(c, now) for c in contests]})


async def _contest(request: Request) -> Contest:
    snapshot = await request.app.state.arena.registry.current()
    contest = snapshot.contests.get(request.path_params["id"])
    if contest is None:
        raise ApiError(404, f"no contest {request.path_params['id']!r}")
    return contest


async def get_contest(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.role != "ingest", "read contests")
    return ArenaJSONResponse(contest_summary(await _contest(request), datetime.now(UTC)))


def _limit(request: Request, default: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(422, "invalid limit", [{"field": "limit", "message": f"a whole number from 1 to {MAX_LIMIT}"}])
    return int(raw)


async def _board(request: Request, which: str) -> ArenaJSONResponse:
    board = f"contest:{request.path_params['id']}" + (":teams" if which == "teams" else "")
    principal = await require(request, lambda p: p.can_read_board(board), "read this board")
    contest = await _contest(request)
    arena = request.app.state.arena
    limit = _limit(request, 50)
    start = 0
    around = request.query_params.get("around")
    if around:
        position = await arena.store.rank_of(contest.id, which, around)
        if position is None:
            raise ApiError(
                404, f"{around!r} is not on this board", [{"field": "around", "message": "not on this board"}]
            )
        start = max(0, position - limit // 2)
    read = await arena.store.read_board(contest.id, which, start=start, limit=limit)
    snapshot = await arena.registry.current()
    rows = board_rows(read.rows, which, snapshot, public=principal.role == "display")
    return ArenaJSONResponse(
        {"contest": contest.id, "board": board, "epoch": read.epoch, "seq": read.seq, "total": read.total, "rows": rows}
    )


async def leaderboard(request: Request) -> ArenaJSONResponse:
    return await _board(request, "reps")


async def team_board(request: Request) -> ArenaJSONResponse:
    return await _board(request, "teams")


routes = [
    Route("/api/v1/contests", create_contest, methods=["POST"]),
    Route("/api/v1/contests", list_contests, methods=["GET"]),
    Route("/api/v1/contests/{id}", get_contest, methods=["GET"]),
    Route("/api/v1/contests/{id}/leaderboard", leaderboard, methods=["GET"]),
    Route("/api/v1/contests/{id}/teams", team_board, methods=["GET"]),
]
