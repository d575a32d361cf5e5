"""The console's goals page (``/admin/goals``): set a goal, break it down, and see each goal's progress and pace
by working days for a month, quarter or year, and (admins) set the working-day calendar. Forms call the goals API
(``server/api/goals.py``) and ``PUT /api/v1/org/calendar``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.directory import Directory
from game.goals import BASE_METRICS, PERIOD, Goal, periods_containing
from game.work_calendar import country_names
from server.http import arena_of
from server.services.goals import child_owners, with_progress
from server.web.console import console_context, console_user
from server.web.render import page

LEVEL_ORDER = {"company": 0, "team": 1, "rep": 2}
HandPart = tuple[str, str, int | None]  # owner id, name, the target of its part now (None: no part yet)
MAX_HAND_PARTS = 300  # owners a goal is split to by hand on the page (more: evenly, by last period, or the API)


def titled(goals: list[dict[str, Any]], names: Mapping[str, str]) -> None:
    """Each goal's ``title``: its name, or for a part without one its parent's title and its owner's name
    ("Q4 revenue · East"), which says more than an id like ``2026-Q4-revenue.east``."""
    by_id = {goal["id"]: goal for goal in goals}

    def title(goal: dict[str, Any]) -> str:
        if "title" not in goal:
            parent = by_id.get(goal["parent"] or "")
            owner = names.get(goal["owner"], goal["owner"])
            goal["title"] = goal["name"] or (f"{title(parent)} · {owner}" if parent is not None else goal["id"])
        return str(goal["title"])

    for goal in goals:
        title(goal)


def hand_parts(goals: list[Goal], directory: Directory, names: Mapping[str, str]) -> dict[str, list[HandPart]]:
    """For each goal that has parts to split to (a company's teams, a team's active reps), those owners with
    their names and current parts' targets, for the by-hand split's fields; none past ``MAX_HAND_PARTS``."""
    current = {(goal.parent, goal.owner): goal.target for goal in goals if goal.parent}
    found: dict[str, list[HandPart]] = {}
    for goal in goals:
        if goal.level == "rep":
            continue
        owners = child_owners(goal, directory)
        if len(owners) <= MAX_HAND_PARTS:  # by name, as people look for them
            listed = sorted((names.get(o, o), o) for o in owners)
            found[goal.id] = [(o, name, current.get((goal.id, o))) for name, o in listed]
    return found


async def goals_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    arena = arena_of(request)
    today = datetime.now(UTC).astimezone(arena.settings.zone).date()
    periods = periods_containing(today)
    period = request.query_params.get("period") or periods[0]
    if not PERIOD.match(period):
        period = periods[0]
    goals = [goal for goal in await arena.goals.all() if goal.period == period]
    shown = await with_progress(arena, goals, today)
    directory = context["snapshot"].directory
    names = {t.id: t.name for t in directory.teams.values()} | {r.id: r.name for r in directory.reps.values()}
    shown.sort(key=lambda g: (g["parent"] or g["id"], LEVEL_ORDER[g["level"]], names.get(g["owner"], g["owner"])))
    titled(shown, names)
    return page(
        request,
        "console/goals.html",
        section="goals",
        goals=shown,
        period=period,
        periods=periods,
        metrics=BASE_METRICS,
        owner_names=names,
        hand_parts=hand_parts(goals, directory, names),
        max_hand_parts=MAX_HAND_PARTS,
        today=today.isoformat(),
        calendar=await arena.goals.calendar(),
        countries=country_names(),
        **context,
    )


routes = [Route("/admin/goals", goals_page, methods=["GET"])]
