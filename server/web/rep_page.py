"""A rep's page in the console (``/admin/reps/{id}``): where they stand in each running contest, their pace
against their own target and a chart of their points so far against that pace (``web/static/series-charts.js``
draws it from ``GET /api/v1/contests/{id}/series?rep=``). Their team's manager and admins see it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.contest_series import rep_target
from game.contests import Contest
from game.pacing import pace
from server.auth.principals import Principal
from server.http import arena_of
from server.web.console import console_context, console_user
from server.web.dashboard import days_left
from server.web.render import page


async def _standing(request: Request, contest: Contest, rep_id: str, now: datetime) -> dict[str, Any]:
    store = arena_of(request).store
    position = await store.rank_of(contest.id, contest.epoch, "reps", rep_id)
    row = None
    if position is not None:
        read = await store.read_board(contest.id, contest.epoch, "reps", start=position, limit=1)
        row = read.rows[0] if read.rows else None
    points = await store.ledger_total(contest.id, contest.epoch, rep_id)
    target = rep_target(contest, rep_id)
    return {
        "id": contest.id,
        "name": contest.name,
        "rank": row.rank if row else None,
        "score": row.score if row else 0,
        "points": points,
        "target": target,
        "pace": pace(points, target, contest.starts_at, contest.ends_at, now).as_dict() if target else None,
        "days_left": days_left(contest, now),
    }


async def rep_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    return await render_rep(request, principal)


async def render_rep(
    request: Request, principal: Principal, *, erase_refused: bool = False, status: int = 200
) -> Response:
    """The rep's page (404 when the rep is unknown or not the user's); ``erase_refused``: an erasure asked from it
    was not confirmed with the rep id (``server/web/erase_person.py``)."""
    context = await console_context(request, principal)
    directory = context["snapshot"].directory
    rep = directory.reps.get(request.path_params["id"])
    if rep is None or not principal.manages_rep(rep.id, directory):
        return page(request, "console/rep.html", status=404, section="people", rep=None, **context)
    now = datetime.now(UTC)
    running = sorted(
        (
            c
            for c in context["snapshot"].contests.values()
            if c.status_at(now) == "live" and c.includes(rep.id, rep.team)
        ),
        key=lambda c: (c.ends_at, c.id),
    )
    team = directory.teams.get(rep.team or "")
    return page(
        request,
        "console/rep.html",
        status=status,
        section="people",
        rep=rep,
        team_name=team.name if team else (rep.team or ""),
        standings=[await _standing(request, contest, rep.id, now) for contest in running],
        erase_refused=erase_refused,
        **context,
    )


routes = [Route("/admin/reps/{id}", rep_page, methods=["GET"])]
