"""Boards and standings of a contest: the rep, team and division boards, one rep's standing and pace, and the
results (final once the contest closed), also as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from game.pacing import pace
from game.ranking import gap_to_next_rank
from server.api.codec import decode_query
from server.api.contest_payloads import BoardQuery, Leaderboard, Results, Standing
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import READERS, READERS_NOT_DISPLAY, REP_DATA, RESULTS
from server.http import ApiError, ArenaJSONResponse, arena_of, contest_in_path, ensure_seen, require
from server.services.boards import rest_rows

READ = "read"
NO_CONTEST = not_found("contest")
BOARD_LIMIT = Answer(422, "a limit out of range", "limit", query={"limit": "0"}, path={"id": "{contest}"})


async def _board(request: Request, which: str, board: str) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_read_board(board), "read this board")
    contest = await contest_in_path(request)
    arena = arena_of(request)
    query = decode_query(request, BoardQuery)
    limit, around, start = query.limit, query.around, 0
    if around:
        position = await arena.store.rank_of(contest.id, contest.epoch, which, around)
        if position is None:
            raise ApiError(
                404, f"{around!r} is not on this board", [{"field": "around", "message": "not on this board"}]
            )
        start = max(0, position - limit // 2)
    confirming = contest.confirm is not None
    read = await arena.store.read_board(
        contest.id, contest.epoch, which, start=start, limit=limit, provisional=confirming
    )
    snapshot = await arena.registry.current()
    rows = rest_rows(read.rows, which, snapshot, principal.role == "display", contest, read.provisional)
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
    contest = await contest_in_path(request)  # after the credentials: without them, no hint whether it exists
    position = await arena.store.rank_of(contest.id, contest.epoch, "reps", rep_id)
    if position is None:
        raise ApiError(404, f"{rep_id!r} is not in contest {contest.id!r}")
    confirming = contest.confirm is not None
    read = await arena.store.read_board(
        contest.id, contest.epoch, "reps", start=max(0, position - 5), limit=11, provisional=confirming
    )
    me = next(row for row in read.rows if row.id == rep_id)
    points = await arena.store.ledger_total(contest.id, contest.epoch, rep_id)
    target = contest.target_for(rep_id)
    now = datetime.now(UTC)
    body = {
        "contest": contest.id,
        "rep": rep_id,
        "rank": me.rank,
        "score": me.score,
        "points": points,
        "of": read.total,
        "gap_to_next": gap_to_next_rank([r.score for r in read.rows], me.score),
        "pace": pace(points, target, contest.starts_at, contest.ends_at, now).as_dict() if target else None,
    }
    if confirming:
        body["provisional"] = read.provisional.get(rep_id, 0)
    return ArenaJSONResponse(body)


async def results(request: Request) -> ArenaJSONResponse:
    """Final results once the contest closed (champions crowned); a preliminary view before that."""
    principal = await require(request, lambda p: p.role in ("admin", "manager", "read"), "read results")
    arena = arena_of(request)
    contest = await contest_in_path(request)
    if principal.role == "manager":
        ensure_seen(principal, contest, (await arena.registry.current()).directory)
    stored = await arena.store.results(contest.id)
    if stored is not None:
        body = {**stored, "status": "final"}
    else:
        body = {**await arena.scheduler.results(contest), "final": False, "status": "preliminary"}
        confirm_by = await arena.scheduler.awaiting_confirmation(contest)
        if confirm_by is not None and contest.status_at(datetime.now(UTC)) == "ended":
            body.update(status="awaiting_confirmation", confirm_by=confirm_by.isoformat())
    body.setdefault("version", contest.version)
    body.setdefault("corrections", [])
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
    # Percent-of-target boards score in tenths of a percent: a spreadsheet also gets the percentage itself.
    percent = (await contest_in_path(request)).scoring == "percent_of_target"
    writer.writerow(
        ["rank", "rep", "name", "team", "score", *(["percent_of_target"] if percent else []), "prizes", "champion"]
    )
    for row in data["standings"]:
        writer.writerow(
            [
                row["rank"],
                row["id"],
                row["name"],
                row["team"] or "",
                row["score"],
                *([f"{row['score'] / 10:.1f}"] if percent else []),
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


routes = [
    ApiRoute(
        "/contests/{id}/results",
        results,
        "GET",
        Operation(
            "Standings, champion, best team and prizes (final once closed)",
            "contests",
            "people",
            response=Results,
            answers=(NO_CONTEST,),
            access=RESULTS,
        ),
    ),
    ApiRoute(
        "/contests/{id}/results.csv",
        results_csv,
        "GET",
        Operation(
            "The results as CSV (UTF-8 with BOM)",
            "contests",
            "people",
            response=str,
            response_media="text/csv",
            answers=(NO_CONTEST,),
            access=RESULTS,
        ),
    ),
    ApiRoute(
        "/contests/{id}/leaderboard",
        leaderboard,
        "GET",
        Operation(
            "The rep board",
            "boards",
            READ,
            response=Leaderboard,
            query=BoardQuery,
            answers=(NO_CONTEST, BOARD_LIMIT),
            access=READERS,
        ),
    ),
    ApiRoute(
        "/contests/{id}/teams",
        team_board,
        "GET",
        Operation(
            "The team board",
            "boards",
            READ,
            response=Leaderboard,
            query=BoardQuery,
            answers=(NO_CONTEST,),
            access=READERS_NOT_DISPLAY,
        ),
    ),
    ApiRoute(
        "/contests/{id}/divisions/{division}",
        division_board,
        "GET",
        Operation(
            "A division's board",
            "boards",
            READ,
            response=Leaderboard,
            query=BoardQuery,
            answers=(NO_CONTEST,),
            access=READERS_NOT_DISPLAY,
        ),
    ),
    ApiRoute(
        "/contests/{id}/reps/{rep}",
        standing,
        "GET",
        Operation(
            "A rep's rank, score, gap to the next rank and pace",
            "boards",
            "people",
            response=Standing,
            answers=(NO_CONTEST, Answer(404, "the rep is not in the contest", path={"id": "{contest}"})),
            access=REP_DATA,
        ),
    ),
]
