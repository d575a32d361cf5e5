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
from server.http import ArenaJSONResponse, arena_of, managed_contest, require
from server.services.series import series_of


class SeriesQuery(Struct):
    by: Annotated[Literal["rep", "team"], Meta(description="One line per rep or per team.")] = "rep"
    top: Annotated[int, Meta(ge=1, le=MAX_TOP, description=f"Lines to return, best first (1–{MAX_TOP}).")] = 5


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
    contest = await managed_contest(request, principal)
    document: dict[str, Any] = await series_of(arena_of(request), contest, by=query.by, top=query.top)
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
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
