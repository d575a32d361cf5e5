"""Goals (目标): ``GET /api/v1/goals`` with progress and pace by working days, ``PUT /api/v1/goals/{id}``, and
``POST /api/v1/goals/{id}/breakdown`` to split a company goal to teams or a team's to its reps (by hand, evenly,
or in proportion to last period's actuals). Parts always add up to their parent: a change that would break the
sum is refused with the difference. Rules in ``game/goals.py``, storage and progress in
``server/services/goals.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct
from starlette.requests import Request

from game.directory import Directory
from game.errors import ValidationError
from game.goals import GOAL_ID, MAX_TARGET, PERIOD, Goal, parse_goal, parts_difference
from server.api.codec import decode_body, decode_query, to_document
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import DIRECTORY, READERS_NOT_DISPLAY, TEAM_MANAGER
from server.auth.principals import Principal
from server.http import ApiError, ArenaJSONResponse, arena_of, require
from server.services.goals import MAX_GOALS, break_down, with_progress

Level = Literal["company", "team", "rep"]
Period = Annotated[str, Meta(pattern=PERIOD.pattern, examples=["2026-Q4"], description="2026-12, 2026-Q4 or 2026")]
Metric = Annotated[
    str,
    Meta(
        pattern=r"^(revenue|margin|deals|new_customers|calls|meetings|events:[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*)$",
        description="revenue (won, in the organisation's currency), margin (gross margin of won deals, as margin "
        "rules score it), deals (won), new_customers, calls, meetings, or events:<type> (a count of any event type)",
    ),
]


class GoalInput(Struct, forbid_unknown_fields=True):
    metric: Metric
    period: Period
    level: Level
    target: Annotated[int, Meta(ge=1, le=MAX_TARGET, description="In the metric's unit: money or a count.")]
    owner: Annotated[str, Meta(max_length=128, description="The team's or rep's id; empty for the company.")] = ""
    name: Annotated[str, Meta(max_length=80)] = ""


class GoalPace(Struct):
    actual: float
    target: int
    percent: float
    expected: Annotated[float, Meta(description="target × working days elapsed ÷ working days in the period")]
    expected_percent: float
    status: Literal["reached", "on_track", "behind"]
    working_days: int
    working_days_elapsed: Annotated[int, Meta(description="Up to and including today.")]
    working_days_left: int
    weekends_only: Annotated[bool, Meta(description="Some day was judged by weekends alone: no public calendar.")]


class GoalView(Struct):
    id: str
    metric: str
    period: str
    level: Level
    owner: str
    target: int
    parent: str | None
    split: str | None
    name: str
    pace: GoalPace


class GoalsQuery(Struct):
    period: Period | None = None
    level: Level | None = None


class GoalList(Struct):
    today: str
    timezone: str
    goals: list[GoalView]


class BreakdownInput(Struct, forbid_unknown_fields=True):
    split: Annotated[
        Literal["hand", "even", "last_period"],
        Meta(description="hand: the parts given; even; last_period: in proportion to last period's actuals"),
    ]
    parts: Annotated[
        dict[str, Annotated[int, Meta(ge=0, le=MAX_TARGET)]],
        Meta(max_length=2000, description="By hand: team or rep id → target; they must add up to the goal."),
    ] = {}


class Breakdown(Struct):
    goal: GoalView
    parts: list[GoalView]


def _today(request: Request) -> tuple[str, datetime]:
    zone = arena_of(request).settings.zone
    now = datetime.now(UTC).astimezone(zone)
    return arena_of(request).settings.timezone, now


def _may_read(principal: Principal, goal: Goal, rep_team: str | None) -> bool:
    if principal.role != "rep":
        return True
    return goal.level == "company" or goal.owner in (principal.rep_id, rep_team)


async def list_goals(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.role not in ("display", "ingest"), "read goals")
    query = decode_query(request, GoalsQuery)
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    rep = directory.reps.get(principal.rep_id or "")
    timezone, now = _today(request)
    goals = [
        goal
        for goal in await arena.goals.all()
        if (query.period is None or goal.period == query.period)
        and (query.level is None or goal.level == query.level)
        and _may_read(principal, goal, rep.team if rep else None)
    ]
    shown = await with_progress(arena, goals, now.date())
    return ArenaJSONResponse({"today": now.date().isoformat(), "timezone": timezone, "goals": shown})


def _check_owner(goal: Goal, reps: set[str], teams: set[str]) -> None:
    if goal.level == "team" and goal.owner not in teams:
        raise ApiError(422, f"no team {goal.owner!r}", [{"field": "owner", "message": "no such team"}])
    if goal.level == "rep" and goal.owner not in reps:
        raise ApiError(422, f"no rep {goal.owner!r}", [{"field": "owner", "message": "no such rep"}])


async def put_goal(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "set goals")
    goal_id = request.path_params["id"]
    if not GOAL_ID.match(goal_id):
        raise ApiError(422, "a goal id is 1-160 letters, digits, _ . : or -", [{"field": "id", "message": "bad id"}])
    body = await decode_body(request, GoalInput, "goal")
    try:
        goal = parse_goal(goal_id, to_document(body))
    except ValidationError as exc:
        raise ApiError(422, f"invalid goal: {exc}", [e.as_dict() for e in exc.errors]) from None
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    _check_owner(goal, set(directory.reps), set(directory.teams))
    if not _manages(principal, goal, directory):
        raise ApiError(403, f"this user may not set the {goal.level} goal of {goal.owner or 'the company'}")
    goals = {existing.id: existing for existing in await arena.goals.all()}
    before = goals.get(goal_id)
    if before is not None and not _manages(principal, before, directory):  # nobody takes over another's goal id
        raise ApiError(403, f"this user may not change the {before.level} goal of {before.owner or 'the company'}")
    if before is None and len(goals) >= MAX_GOALS:
        raise ApiError(409, "too many goals: remove old ones first")
    if before is not None:
        goal = _keep_in_step(before, goal, goals)
    await arena.goals.put([goal], actor=principal.name, target=goal.id)
    _, now = _today(request)
    view = (await with_progress(arena, [goal], now.date()))[0]
    return ArenaJSONResponse(view, status_code=200 if before else 201)


def _manages(principal: Principal, goal: Goal, directory: Directory) -> bool:
    if goal.level == "company":
        return principal.role == "admin"
    if goal.level == "team":
        return principal.manages_team(goal.owner)
    return principal.manages_rep(goal.owner, directory)


def _keep_in_step(before: Goal, goal: Goal, goals: dict[str, Goal]) -> Goal:
    """A goal that is a part or has parts keeps its place in the tree: only its target and name change, and only
    while the parts still add up."""
    children = [g for g in goals.values() if g.parent == before.id]
    fixed = ("metric", "period", "level", "owner")
    if (before.parent or children) and any(getattr(before, f) != getattr(goal, f) for f in fixed):
        changed = next(f for f in fixed if getattr(before, f) != getattr(goal, f))
        message = f"{changed} cannot change once the goal is broken down; only the target and name can"
        raise ApiError(422, message, [{"field": changed, "message": message}])
    if children and goal.target != before.target:
        difference = parts_difference(goal.target, {c.id: c.target for c in children})
        _refuse_sum(difference, goal.target, "the goal's", "target")
    if before.parent and goal.target != before.target and before.parent in goals:
        parent = goals[before.parent]
        siblings = {g.id: g.target for g in goals.values() if g.parent == parent.id}
        siblings[goal.id] = goal.target
        _refuse_sum(parts_difference(parent.target, siblings), parent.target, f"{parent.id!r}'s", "target")
    return Goal(**{**goal.as_dict(), "parent": before.parent, "split": before.split})


def _refuse_sum(difference: int, total: int, whose: str, field: str) -> None:
    if difference:
        what = f"{difference:,} short of" if difference > 0 else f"{-difference:,} over"
        message = f"the parts would be {what} {whose} target of {total:,}: change them together with a break-down"
        raise ApiError(422, message, [{"field": field, "message": message}])


async def breakdown(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "break goals down")
    body = await decode_body(request, BreakdownInput, "break-down")
    arena = arena_of(request)
    goals = await arena.goals.all()
    goal = next((g for g in goals if g.id == request.path_params["id"]), None)
    if goal is None:
        raise ApiError(404, "no such goal")
    directory = (await arena.registry.current()).directory
    if not _manages(principal, goal, directory):
        raise ApiError(403, f"this user may not break down the {goal.level} goal of {goal.owner or 'the company'}")
    parts = await break_down(arena, goal, body.split, body.parts, goals, principal.name)
    _, now = _today(request)
    shown = await with_progress(arena, [goal, *parts], now.date())
    return ArenaJSONResponse({"goal": {**shown[0], "split": body.split}, "parts": shown[1:]})


class GoalPart(Struct):
    owner: str
    name: str
    color: str | None
    target: int
    actual: float


class GoalWall(Struct):
    goal: GoalView
    owner_name: str
    parts: list[GoalPart]


def _may_see_on_a_wall(principal: Principal, goal_id: str) -> bool:
    if principal.role == "display":
        return f"goal:{goal_id}" in principal.playlist
    return principal.role in ("admin", "manager", "read")


async def goal_wall(request: Request) -> ArenaJSONResponse:
    """What a TV's goal slide shows: the goal's thermometer and each part's contribution to it."""
    goal_id = request.path_params["id"]
    await require(request, lambda p: _may_see_on_a_wall(p, goal_id), "show this goal")
    arena = arena_of(request)
    goals = await arena.goals.all()
    goal = next((g for g in goals if g.id == goal_id), None)
    if goal is None:
        raise ApiError(404, "no such goal")
    parts = [g for g in goals if g.parent == goal.id]
    _, now = _today(request)
    shown = await with_progress(arena, [goal, *parts], now.date())
    directory = (await arena.registry.current()).directory

    def name_of(level: str, owner: str) -> tuple[str, str | None]:
        if level == "team" and owner in directory.teams:
            return directory.teams[owner].name, directory.teams[owner].color
        if level == "rep" and owner in directory.reps:
            return directory.reps[owner].name, None
        return owner, None

    return ArenaJSONResponse(
        {
            "goal": shown[0],
            "owner_name": name_of(goal.level, goal.owner)[0] if goal.owner else "",
            "parts": [
                {
                    "owner": part["owner"],
                    "name": name_of(part["level"], part["owner"])[0],
                    "color": name_of(part["level"], part["owner"])[1],
                    "target": part["target"],
                    "actual": part["pace"]["actual"],
                }
                for part in shown[1:]
            ],
        }
    )


NO_TEAM = {"level": "team", "owner": "nope"}
GOAL = {"metric": "revenue", "period": "2026-Q4", "level": "company", "target": 1000000}
routes = [
    ApiRoute(
        "/goals",
        list_goals,
        "GET",
        Operation(
            "Goals with progress and pace by working days (a rep sees the company's, their team's and their own)",
            "goals",
            "read",
            response=GoalList,
            query=GoalsQuery,
            answers=(
                Answer(422, "a period that is not a month, quarter or year", "period", query={"period": "2026-13"}),
                Answer(422, "an unknown level", "level", query={"level": "region"}),
            ),
            access=READERS_NOT_DISPLAY,
        ),
    ),
    ApiRoute(
        "/wall/goals/{id}",
        goal_wall,
        "GET",
        Operation(
            "A goal's thermometer for a TV's goal slide: its pace and each part's contribution",
            "goals",
            "read",
            response=GoalWall,
            answers=(not_found("goal"),),
            access=DIRECTORY,
        ),
    ),
    ApiRoute(
        "/goals/{id}",
        put_goal,
        "PUT",
        Operation(
            "Set a goal: a metric, a period, an owner (company, team or rep) and a target",
            "goals",
            "manage",
            body=GoalInput,
            response=GoalView,
            upsert=True,
            answers=(
                Answer(422, "an unknown metric", "metric", {**GOAL, "metric": "smiles"}),
                Answer(422, "a target below 1", "target", {**GOAL, "target": 0}),
                Answer(422, "a team that does not exist", "owner", {**GOAL, **NO_TEAM}, cross_field=True),
                Answer(422, "a company goal with an owner", "owner", {**GOAL, "owner": "someone"}, cross_field=True),
            ),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/goals/{id}/breakdown",
        breakdown,
        "POST",
        Operation(
            "Break a goal down to teams or reps: by hand (the parts must add up), evenly, or in proportion to last "
            "period's actuals; replaces the parts it had",
            "goals",
            "manage",
            body=BreakdownInput,
            response=Breakdown,
            answers=(
                Answer(404, "no such goal", body={"split": "even"}),
                Answer(422, "an unknown way to split", "split", {"split": "random"}, path={"id": "{goal}"}),
                Answer(
                    422,
                    "parts that do not add up to the goal",
                    "parts",
                    {"split": "hand", "parts": {"north": 1}},
                    path={"id": "{goal}"},
                    cross_field=True,
                ),
            ),
            access=TEAM_MANAGER,
        ),
    ),
]
