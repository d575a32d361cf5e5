"""The console's goals page (``/admin/goals``): set a goal, break it down, and see each goal's progress and pace
by working days for a month, quarter or year, and (admins) set the working-day calendar. Forms call the goals API
(``server/api/goals.py``) and ``PUT /api/v1/org/calendar``."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.goals import BASE_METRICS, PERIOD, periods_containing
from game.work_calendar import country_names
from server.http import arena_of
from server.services.goals import with_progress
from server.web.console import console_context, console_user
from server.web.render import page

LEVEL_ORDER = {"company": 0, "team": 1, "rep": 2}


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
    shown.sort(key=lambda g: (g["parent"] or g["id"], LEVEL_ORDER[g["level"]], g["owner"]))
    directory = context["snapshot"].directory
    names = {t.id: t.name for t in directory.teams.values()} | {r.id: r.name for r in directory.reps.values()}
    return page(
        request,
        "console/goals.html",
        section="goals",
        goals=shown,
        period=period,
        periods=periods,
        metrics=BASE_METRICS,
        owner_names=names,
        today=today.isoformat(),
        calendar=await arena.goals.calendar(),
        countries=country_names(),
        **context,
    )


routes = [Route("/admin/goals", goals_page, methods=["GET"])]
