"""The scorecard page (``/admin/scorecards``, 绩效考核): a team's cards for a month or quarter in one sortable
table (the team pooled, then each rep), and the form that sets the team's weights and targets. A manager sees
their own teams, an admin every team; what the page saves goes through ``PUT …/scorecard/definition``."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.errors import ValidationError
from game.kpis import DEFAULT_MIN_EVENTS, KPIS
from game.scorecard import parse_period
from server.http import arena_of
from server.services.scorecards import team_scorecards
from server.web.console import console_context, console_user
from server.web.render import page

RECENT_MONTHS = 6
RECENT_QUARTERS = 4


def period_choices(now: datetime, zone: tzinfo) -> list[str]:
    """This month and the ones before it, then this quarter and the ones before it, as ``parse_period`` reads them."""
    local = now.astimezone(zone)
    index = local.year * 12 + local.month - 1
    months = [f"{(index - n) // 12:04d}-{(index - n) % 12 + 1:02d}" for n in range(RECENT_MONTHS)]
    quarter = local.year * 4 + (local.month - 1) // 3
    quarters = [f"{(quarter - n) // 4:04d}-Q{(quarter - n) % 4 + 1}" for n in range(RECENT_QUARTERS)]
    return months + quarters


def editor_rows(definition: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per KPI for the form: its weight, target and minimum as defined (blank when it does not count)."""
    terms = {term["kpi"]: term for term in (definition or {}).get("kpis", [])}
    return [
        {
            "kpi": kpi,
            "weight": terms[kpi]["weight"] if kpi in terms else "",
            "target": terms[kpi]["target"] if kpi in terms else "",
            "min_events": terms[kpi]["min_events"] if kpi in terms else DEFAULT_MIN_EVENTS,
        }
        for kpi in KPIS
    ]


async def scorecards_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    arena = arena_of(request)
    zone = arena.settings.zone
    now = datetime.now(zone)
    teams = context["teams"]
    wanted = request.query_params.get("team")
    team = next((t for t in teams if t.id == wanted), teams[0] if teams else None)
    period_error = False
    try:
        label, period = parse_period(request.query_params.get("period") or None, zone, now)
    except ValidationError:
        period_error = True
        label, period = parse_period(None, zone, now)
    cards = await team_scorecards(arena, context["snapshot"].directory, team.id, label, period) if team else None
    if cards:  # best total first, cards without one last
        cards["reps"].sort(key=lambda rep: (rep["card"]["total"] is None, -(rep["card"]["total"] or 0)))
    defined = cards["definition"]["kpis"] if cards and cards["definition"] else None
    choices = period_choices(now, zone)
    return page(
        request,
        "console/scorecards.html",
        section="scorecards",
        team=team,
        cards=cards,
        period=label,
        periods=choices if label in choices else [label, *choices],
        period_error=period_error,
        editor=editor_rows(cards["definition"] if cards else None),
        columns=[term["kpi"] for term in defined] if defined else list(KPIS),
        **context,
    )


routes = [Route("/admin/scorecards", scorecards_page, methods=["GET"])]
