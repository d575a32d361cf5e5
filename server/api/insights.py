"""Insights API: pre-launch simulation, fairness options, the lift report and anti-gaming flags.

- ``POST /api/v1/contests/simulate``: replay logged events through one draft (``definition``) or compare
  several (``definitions``, up to four) over ``from``/``to``; nothing is written.
- ``POST /api/v1/contests/prepare``: turn ``"scoring": "improvement"`` and ``"leagues"`` into what the live
  engine runs (per-rep targets, divisions), ready for ``POST /api/v1/contests``.
- ``GET /api/v1/contests/{id}/lift`` and ``lift.csv``: the ended contest against a baseline (``?interim=1``: a
  running one, to date).
- ``GET /api/v1/contests/{id}/flags`` and ``POST /api/v1/flags/{id}/decision``.

See ``docs/insights.md`` for the shapes and the rules behind each number.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct
from starlette.requests import Request
from starlette.responses import Response

from game.contests import Contest
from game.directory import Directory
from game.errors import Collector
from game.events import parse_amount, parse_time
from game.exchange_rates import Rates
from game.fairness import (
    PRIZE_SAMPLES,
    compare,
    prize_values,
    summarize,
)
from game.log_event import LogEvent
from game.simulation import replay
from game.simulation_checks import diagnose, score_histogram
from server.api.codec import validated_document
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.api.types import Time
from server.auth.access import TEAM_MANAGER
from server.http import ApiError, ArenaJSONResponse, arena_of, baseline_period, managed_contest, read_document, require
from server.services.cap_calendar import freeze_cap_calendar
from server.services.fairness import invalid, parse_definition, prepare_definition
from server.services.insights import (
    contest_flags,
    contest_lift,
    crunch,
    decide_flag,
)

MAX_DRAFTS = 4
MAX_SAMPLES = 1000


async def prepare(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "prepare contests")
    body = await validated_document(request, dict[str, Any], "contest definition")
    arena = arena_of(request)
    definition, info = await prepare_definition(arena, body)
    contest = parse_definition(arena, definition, "")
    if not principal.manages_contest(contest, (await arena.registry.current()).directory):
        raise ApiError(403, f"contest {contest.id!r} has participants outside your teams")
    return ArenaJSONResponse({"definition": definition, **info})


# --- simulation -----------------------------------------------------------------------------------------


def _window(body: dict[str, Any], errors: Collector) -> tuple[datetime | None, datetime | None]:
    start = parse_time(body["from"], errors, "from") if body.get("from") is not None else None
    end = parse_time(body["to"], errors, "to") if body.get("to") is not None else None
    if start and end and end <= start:
        errors.add("to", "must be after from")
    return start, end


def _whole(value: Any, default: int, low: int, high: int, name: str, errors: Collector) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(name, f"must be a whole number from {low} to {high}")
        return default
    return value


def _simulate_all(
    drafts: list[tuple[Contest, list[Decimal | None]]],
    events: list[LogEvent],
    directory: Directory,
    samples: int,
    seed: int,
    rates: Rates | None = None,
) -> list[dict[str, Any]]:
    out = []
    for contest, values in drafts:
        boards = replay(contest, events, directory, contributions=bool(contest.prizes and samples), rates=rates)
        summary = summarize(contest, boards, values, directory, samples=samples, seed=seed)
        summary["diagnosis"] = diagnose(contest, events, directory, [row.score for row in boards.reps])
        out.append(summary)
    return out


async def simulate(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "simulate contests")
    body = await read_document(request)
    arena = arena_of(request)
    errors = Collector()
    if not isinstance(body, dict):
        raise ApiError(422, 'send {"definition": {...}, "from": ..., "to": ...} or {"definitions": [...], ...}')
    several = "definitions" in body
    raws = body.get("definitions") if several else [body.get("definition")]
    if not isinstance(raws, list) or not 1 <= len(raws) <= MAX_DRAFTS or not all(isinstance(r, dict) for r in raws):
        errors.add(
            "definitions" if several else "definition",
            f"one contest definition (an object), or a list of 1 to {MAX_DRAFTS}",
        )
        raise invalid(errors, "invalid simulation")
    start, end = _window(body, errors)
    samples = _whole(body.get("samples"), PRIZE_SAMPLES, 0, MAX_SAMPLES, "samples", errors)
    seed = _whole(body.get("seed"), 0, 0, 2**31, "seed", errors)
    if errors.errors:
        raise invalid(errors, "invalid simulation")
    snapshot = await arena.registry.current()
    directory = snapshot.directory
    drafts: list[tuple[Contest, list[Decimal | None]]] = []
    prepared: list[dict[str, Any]] = []
    for index, raw in enumerate(raws):
        prefix = f"definitions[{index}]" if several else "definition"
        definition = {"id": f"draft-{index + 1}", "name": f"Draft {index + 1}", **raw}
        if start is not None:
            definition["starts_at"] = start.isoformat()
        if end is not None:
            definition["ends_at"] = end.isoformat()
        await freeze_cap_calendar(arena, definition, None)  # caps as the draft would count them, saved now
        definition, info = await prepare_definition(arena, definition, prefix)
        contest = parse_definition(arena, definition, prefix)
        if not principal.manages_contest(contest, directory):
            raise ApiError(403, f"{prefix} has participants outside your teams")
        value_errors = Collector(prefix)
        values = prize_values(definition, value_errors)
        if value_errors.errors:
            raise invalid(value_errors, "invalid prize value")
        drafts.append((contest, values))
        prepared.append(info)
    # by occurred_at: an event of the window may have been received any time since (a CSV import today)
    events = await arena.event_log.read_events(min(c.starts_at for c, _ in drafts))
    summaries = await crunch(_simulate_all, drafts, events, directory, samples, seed, snapshot.rates)
    for summary, info in zip(summaries, prepared, strict=True):
        if info:
            summary["prepared"] = info
    log = {"events": len(events)}
    if not several:
        window = {"from": drafts[0][0].starts_at.isoformat(), "to": drafts[0][0].ends_at.isoformat()}
        return ArenaJSONResponse({"window": window, "log": log, **summaries[0]})
    comparison = compare(summaries)
    comparison["histogram"] = score_histogram([[row["score"] for row in s["standings"]] for s in summaries])
    return ArenaJSONResponse({"log": log, "simulations": summaries, "comparison": comparison})


# --- lift -----------------------------------------------------------------------------------------------


async def _lift_report(request: Request) -> dict[str, Any]:
    principal = await require(request, lambda p: p.can_manage, "read lift reports")
    contest = await managed_contest(request, principal)
    interim = request.query_params.get("interim") in ("1", "true")
    return await contest_lift(arena_of(request), contest, baseline_period(request), interim=interim)


async def lift(request: Request) -> ArenaJSONResponse:
    return ArenaJSONResponse(await _lift_report(request))


LIFT_COLUMNS = [
    "kpi",
    "scope",
    "id",
    "name",
    "team",
    "baseline",
    "contest",
    "change",
    "change_pct",
    "improved",
    "reps",
    "estimate_per_rep",
    "ci95_low",
    "ci95_high",
    "verdict",
]


def lift_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for kpi in report["kpis"]:
        estimate = kpi["estimate"]
        ci = estimate["ci95"] or [None, None]

        def row(
            scope: str, id_: str, name: str, team: str, item: dict[str, Any], kpi: dict[str, Any] = kpi
        ) -> list[Any]:
            return [
                kpi["kpi"],
                scope,
                id_,
                name,
                team,
                item["baseline"],
                item["contest"],
                item["change"],
                item["change_pct"],
                item.get("improved", ""),
                item.get("reps", ""),
            ]

        rows.append(
            [*row("participants", "", "", "", kpi["overall"]), estimate["per_rep"], ci[0], ci[1], kpi["verdict"]]
        )
        if kpi["comparison"]:
            rows.append(row("comparison", "", "", "", kpi["comparison"]))
        rows.extend(row("team", t["id"], t["name"], t["id"], t) for t in kpi["teams"])
        rows.extend(row("rep", r["id"], r["name"], r["team"] or "", r) for r in kpi["reps"])
    return rows


async def lift_csv(request: Request) -> Response:
    """The lift report flat: one row per KPI and scope (participants, comparison, team, rep); UTF-8 with a BOM
    so that spreadsheet programs read Chinese names."""
    data = await _lift_report(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LIFT_COLUMNS)
    writer.writerows(["" if v is None else v for v in row] for row in lift_rows(data))
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{data["contest"]}-lift.csv"'},
    )


# --- flags ----------------------------------------------------------------------------------------------


def _thresholds(request: Request) -> list[Decimal]:
    errors = Collector()
    found = []
    for raw in request.query_params.getlist("threshold"):
        amount = parse_amount(raw, errors, "threshold")
        if amount is not None and amount > 0:
            found.append(amount)
    if errors.errors:
        raise invalid(errors, "invalid threshold")
    return found


async def flags(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "read flags")
    contest = await managed_contest(request, principal)
    found = await contest_flags(arena_of(request), contest, _thresholds(request))
    return ArenaJSONResponse({"contest": contest.id, "flags": found})


async def flag_decision(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "decide on flags")
    body = await validated_document(request, FlagDecision, "decision")
    result = await decide_flag(
        arena_of(request), principal, request.path_params["id"], body.get("decision"), body.get("note")
    )
    return ArenaJSONResponse(result)


class Simulation(Struct):
    """One draft (``definition``) or up to four side by side (``definitions``), over a period of the log."""

    definition: dict[str, Any] | None = None
    definitions: list[dict[str, Any]] | None = None
    from_: Annotated[Time, Meta(description="Start of the period replayed.")] | None = msgspec.field(
        default=None, name="from"
    )
    to: Time | None = None
    samples: int | None = None
    seed: int | None = None


class Prepared(Struct):
    definition: dict[str, Any]


class BaselineQuery(Struct):
    baseline_from: Annotated[str, Meta(description="Start of the baseline (with baseline_to).")] | None = None
    baseline_to: Annotated[str, Meta(description="Its end.")] | None = None
    interim: (
        Annotated[str, Meta(description='"1": while the contest runs, the report to date (marked interim).')] | None
    ) = None


class Lift(Struct):
    contest: str
    kpis: list[dict[str, Any]]


class FlagQuery(Struct):
    threshold: Annotated[str, Meta(description="An amount; repeat for several.")] | None = None


class Flags(Struct):
    contest: str
    flags: list[dict[str, Any]]


class FlagDecision(Struct):
    decision: Literal["dismiss", "reverse"]
    note: str | None = None


NO_CONTEST = not_found("contest")
routes = [
    ApiRoute(
        "/contests/simulate",
        simulate,
        "POST",
        Operation(
            "Replay logged events through one draft (definition) or compare up to four (definitions); "
            "nothing is written (docs/insights.md)",
            "insights",
            "manage",
            body=Simulation,
            response=dict[str, Any],
            answers=(Answer(422, "neither definition nor definitions", "definition", body={}, cross_field=True),),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/contests/prepare",
        prepare,
        "POST",
        Operation(
            "Turn improvement scoring and leagues into a live definition (targets, divisions)",
            "insights",
            "manage",
            body=dict[str, Any],
            response=Prepared,
            answers=(
                Answer(422, "not a contest definition", "", body=[1]),
                Answer(422, "a definition the engine refuses", body={}, cross_field=True),
            ),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/contests/{id}/lift",
        lift,
        "GET",
        Operation(
            "The contest against a baseline period: KPIs per participant, team and rep",
            "insights",
            "manage",
            response=Lift,
            query=BaselineQuery,
            answers=(NO_CONTEST,),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/contests/{id}/lift.csv",
        lift_csv,
        "GET",
        Operation(
            "The lift report as CSV (UTF-8 with BOM)",
            "insights",
            "manage",
            response=str,
            response_media="text/csv",
            query=BaselineQuery,
            answers=(NO_CONTEST,),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/contests/{id}/flags",
        flags,
        "GET",
        Operation(
            "Anti-gaming flags of a contest",
            "insights",
            "manage",
            response=Flags,
            query=FlagQuery,
            answers=(NO_CONTEST,),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/flags/{id}/decision",
        flag_decision,
        "POST",
        Operation(
            "Dismiss a flag or reverse the flagged deal",
            "insights",
            "manage",
            body=FlagDecision,
            response=dict[str, Any],
            answers=(
                Answer(422, "an unknown decision", "decision", body={"decision": "maybe"}),
                Answer(404, "no such flag", body={"decision": "dismiss"}),
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
