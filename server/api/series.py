"""``GET /api/v1/contests/{id}/series``: a contest's points day by day for charts (``game/contest_series.py``):
the top reps or teams with their daily and running points, everyone's total, the pace line to the target and
the days the lead changed hands. Days are the organisation's local dates; only points that stand count."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct
from starlette.requests import Request

from game.contest_series import MAX_TOP
from server.api.codec import decode_query
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import TEAM_MANAGER
from server.http import ApiError, ArenaJSONResponse, arena_of, contest_in_path, require, seen_contest
from server.services.series import series_of


class SeriesQuery(Struct):
    by: Annotated[Literal["rep", "team"], Meta(description="One line per rep or per team.")] = "rep"
    top: Annotated[int, Meta(ge=1, le=MAX_TOP, description=f"Lines to return, best first (1–{MAX_TOP}).")] = 5
    rep: Annotated[str, Meta(description="One rep's line only, paced to their own target (by is then rep).")] | None = (
        None
    )


class Line(Struct):
    id: str
    name: str
    daily: list[int]
    cumulative: list[int]


class Totals(Struct):
    daily: list[int]
    cumulative: list[int]


class LeadChange(Struct):
    day: str
    leader: str
    name: str


class Series(Struct):
    contest: str
    by: str
    timezone: str
    days: list[str]
    x: list[int]
    series: list[Line]
    total: Totals
    target: int | None
    pace: list[int] | None
    lead_changes: list[LeadChange]


async def series(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "read a contest's charts")
    query = decode_query(request, SeriesQuery)
    arena = arena_of(request)
    if query.rep is None:  # the top lines: every manager whose reps take part (the TVs show the board)
        contest = await seen_contest(request, principal)
    else:  # one rep's line: their manager reads it in any contest they take part in
        contest = await contest_in_path(request)
        directory = (await arena.registry.current()).directory
        rep = directory.reps.get(query.rep)
        if rep is None or not contest.includes(rep.id, rep.team):
            raise ApiError(
                404,
                f"{query.rep!r} is not in contest {contest.id!r}",
                [{"field": "rep", "message": "not in this contest"}],
            )
        if not principal.manages_rep(rep.id, directory):
            raise ApiError(403, f"{query.rep!r} is not in your teams")
    by = "rep" if query.rep else query.by  # one rep's line is a rep line whatever was asked
    document: dict[str, Any] = await series_of(arena, contest, by=by, top=query.top, rep=query.rep)
    return ArenaJSONResponse(document)


routes = [
    ApiRoute(
        "/contests/{id}/series",
        series,
        "GET",
        Operation(
            "A contest's points per local day so far: the top reps or teams, the total, the pace line and lead "
            "changes (for charts)",
            "insights",
            "manage",
            response=Series,
            query=SeriesQuery,
            answers=(
                not_found("contest"),
                Answer(422, "an unknown grouping", "by", query={"by": "region"}, path={"id": "{contest}"}),
                Answer(422, "too many lines", "top", query={"top": "500"}, path={"id": "{contest}"}),
                Answer(
                    404, "a rep who is not in the contest", "rep", query={"rep": "nobody"}, path={"id": "{contest}"}
                ),
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
