"""The KPI scorecard (绩效考核) over HTTP: a rep's card and a team's cards for a month or quarter, and the
team's definition (weights, targets, minimum events) that its manager sets.

- ``GET /api/v1/reps/{id}/scorecard?period=2026-12``: the rep (their own), their manager, read keys, admins.
- ``GET /api/v1/teams/{id}/scorecard?period=2026-Q4``: the team's pooled card and each member's card.
- ``GET``/``PUT /api/v1/teams/{id}/scorecard/definition``: the definition; a manager of the team or an admin
  sets it (weights whole numbers adding up to 100, targets positive). See ``docs/scorecard.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from msgspec import Meta, Struct
from starlette.requests import Request

from game.errors import ValidationError
from game.kpis import DEFAULT_MIN_EVENTS
from game.lift import Period
from game.scorecard import MAX_MIN_EVENTS, WEIGHT_TOTAL, parse_definition, parse_period
from server.api.codec import validated_document
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import REP_DATA, TEAM_DATA, TEAM_MANAGER
from server.http import ApiError, ArenaJSONResponse, arena_of, require, validation_error
from server.services.scorecards import rep_scorecard, team_scorecards

Kpi = Literal["conversion", "aov", "retention", "csat", "nps"]


def _period(request: Request) -> tuple[str, Period]:
    zone = arena_of(request).settings.zone
    try:
        return parse_period(request.query_params.get("period"), zone, datetime.now(UTC))
    except ValidationError as exc:
        raise validation_error(exc, "invalid period") from None


async def rep_card(request: Request) -> ArenaJSONResponse:
    rep_id = request.path_params["id"]
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    await require(request, lambda p: p.may_read_rep(rep_id, directory), "read this rep's scorecard")
    rep = directory.reps.get(rep_id)
    if rep is None:
        raise ApiError(404, f"no rep {rep_id!r}")
    label, period = _period(request)
    return ArenaJSONResponse(await rep_scorecard(arena, directory, rep, label, period))


async def team_cards(request: Request) -> ArenaJSONResponse:
    team_id = request.path_params["id"]
    await require(request, lambda p: p.may_read_team(team_id), "read this team's scorecards")
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    if team_id not in directory.teams:
        raise ApiError(404, f"no team {team_id!r}")
    label, period = _period(request)
    return ArenaJSONResponse(await team_scorecards(arena, directory, team_id, label, period))


async def get_definition(request: Request) -> ArenaJSONResponse:
    team_id = request.path_params["id"]
    await require(request, lambda p: p.may_read_team(team_id), "read this team's scorecard")
    arena = arena_of(request)
    if team_id not in (await arena.registry.current()).directory.teams:
        raise ApiError(404, f"no team {team_id!r}")
    definition = await arena.scorecards.get(team_id)
    if definition is None:
        raise ApiError(404, f"team {team_id!r} has no scorecard yet: PUT one")
    return ArenaJSONResponse(definition.as_dict())


async def put_definition(request: Request) -> ArenaJSONResponse:
    team_id = request.path_params["id"]
    principal = await require(request, lambda p: p.manages_team(team_id), "set this team's scorecard")
    arena = arena_of(request)
    if team_id not in (await arena.registry.current()).directory.teams:
        raise ApiError(404, f"no team {team_id!r}")
    document = await validated_document(request, DefinitionIn, "scorecard")
    try:
        definition = parse_definition(document)
    except ValidationError as exc:
        raise validation_error(exc, "invalid scorecard") from None
    created = await arena.scorecards.put(team_id, definition, principal.name)
    return ArenaJSONResponse(definition.as_dict(), status_code=201 if created else 200)


# --- what the routes take and give -------------------------------------------------------------------------


class KpiTermIn(Struct, forbid_unknown_fields=True):
    kpi: Kpi
    weight: Annotated[int, Meta(ge=0, le=WEIGHT_TOTAL, description="Whole number; all weights add up to 100.")]
    target: Annotated[
        Decimal,
        Meta(
            description="Full marks at or above it: conversion and retention in percent (30 = 30 %), aov in the "
            "organisation's currency, csat 1–5, nps up to 100. Positive.",
            extra_json_schema={"type": ["string", "number"]},
        ),
    ]
    min_events: Annotated[
        int, Meta(ge=1, le=MAX_MIN_EVENTS, description="Events needed before the KPI counts (default 5).")
    ] = DEFAULT_MIN_EVENTS


class DefinitionIn(Struct, forbid_unknown_fields=True):
    """A team's scorecard: the KPIs that count, their weights, targets and minimum samples."""

    kpis: Annotated[list[KpiTermIn], Meta(min_length=1, max_length=5)]
    conversion_basis: Literal["closed", "created"] = "closed"


class KpiTermOut(Struct):
    kpi: str
    weight: int
    target: str
    min_events: int


class DefinitionOut(Struct):
    kpis: list[KpiTermOut]
    conversion_basis: str


class KpiRow(Struct):
    """One KPI on a card. ``value`` is None with a ``reason`` (``not_enough_data``: fewer than ``min_events``
    events; ``no_revenue``) when it does not count; ``points`` are its marks out of 100 against ``target`` and
    ``effective_weight`` the weight it carried after the KPIs without data were left out."""

    kpi: str
    unit: Annotated[str, Meta(description="percent, money, rating (1–5) or nps (−100…100)")]
    value: float | None
    sample: int
    min_events: int
    reason: str | None
    weight: int | None = None
    target: float | None = None
    points: float | None = None
    effective_weight: float | None = None


class Card(Struct):
    defined: bool
    total: Annotated[float | None, Meta(description="Weighted marks out of 100; None without any KPI with data.")]
    rescaled: bool
    left_out: list[str]
    kpis: list[KpiRow]


class RepRef(Struct):
    id: str
    name: str
    team: str | None = None


class TeamRef(Struct):
    id: str
    name: str


class RepCard(Struct):
    id: str
    name: str
    card: Card


class RepScorecard(Struct, rename={"from_": "from"}):
    period: str
    from_: Annotated[str, Meta(description="Start of the period, in the organisation's time zone.")]
    to: str
    rep: RepRef
    definition: DefinitionOut | None
    card: Card


class TeamScorecards(Struct, rename={"from_": "from"}):
    period: str
    from_: str
    to: str
    team: TeamRef
    definition: DefinitionOut | None
    card: Card
    reps: list[RepCard]


class ScorecardQuery(Struct):
    period: (
        Annotated[str, Meta(description="A month (2026-12) or a quarter (2026-Q4); default: this month.")] | None
    ) = None


def bad_period(owner: str) -> Answer:
    return Answer(
        422, "a period that is neither a month nor a quarter", "period", query={"period": "2026-13"}, path={"id": owner}
    )


GOOD = {"kpis": [{"kpi": "conversion", "weight": 60, "target": 30}, {"kpi": "csat", "weight": 40, "target": 4.5}]}

routes = [
    ApiRoute(
        "/reps/{id}/scorecard",
        rep_card,
        "GET",
        Operation(
            "A rep's KPI scorecard for a month or quarter, by their team's definition",
            "scorecards",
            "people",
            response=RepScorecard,
            query=ScorecardQuery,
            answers=(not_found("rep"), bad_period("{rep}")),
            access=REP_DATA,
        ),
    ),
    ApiRoute(
        "/teams/{id}/scorecard",
        team_cards,
        "GET",
        Operation(
            "A team's KPI scorecard and each member's, for a month or quarter",
            "scorecards",
            "people",
            response=TeamScorecards,
            query=ScorecardQuery,
            answers=(not_found("team"), bad_period("{team}")),
            access=TEAM_DATA,
        ),
    ),
    ApiRoute(
        "/teams/{id}/scorecard/definition",
        get_definition,
        "GET",
        Operation(
            "A team's scorecard definition",
            "scorecards",
            "people",
            response=DefinitionOut,
            answers=(Answer(404, "no such team, or no scorecard defined"),),
            access=TEAM_DATA,
        ),
    ),
    ApiRoute(
        "/teams/{id}/scorecard/definition",
        put_definition,
        "PUT",
        Operation(
            "Set a team's scorecard: KPIs with weights (adding up to 100), targets and minimum events",
            "scorecards",
            "manage",
            body=DefinitionIn,
            response=DefinitionOut,
            upsert=True,
            answers=(
                Answer(404, "no such team", body=GOOD),
                Answer(
                    422,
                    "weights that do not add up to 100",
                    "kpis",
                    body={"kpis": [{"kpi": "conversion", "weight": 60, "target": 30}]},
                    path={"id": "{team}"},
                    cross_field=True,
                ),
                Answer(
                    422,
                    "a negative weight",
                    "kpis[0].weight",
                    body={"kpis": [{"kpi": "conversion", "weight": -10, "target": 30}]},
                    path={"id": "{team}"},
                ),
                Answer(
                    422,
                    "a target beyond what the KPI can reach",
                    "kpis[0].target",
                    body={"kpis": [{"kpi": "csat", "weight": 100, "target": 6}]},
                    path={"id": "{team}"},
                    cross_field=True,
                ),
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
