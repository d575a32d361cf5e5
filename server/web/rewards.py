"""The console's rewards page (``/admin/rewards``): redemptions waiting for the signed-in manager's decision (their
teams' reps; an admin's: all), approved ones to mark delivered, the catalogue with a form per reward, the budgets
per month and quarter, and an admin's grant of points. Every change goes through the rewards API
(``server/api/rewards.py``) from the page's forms."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.rewards import budget_periods, money
from server.http import arena_of
from server.web.console import console_context, console_user
from server.web.render import page

SHOWN = 200


async def rewards_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    arena = arena_of(request)
    directory = context["snapshot"].directory
    mine = [r for r in await arena.rewards.redemptions() if principal.manages_rep(r["rep"], directory)]
    mine.sort(key=lambda r: r["requested_at"], reverse=True)
    names = {rep.id: rep.name for rep in directory.reps.values()}
    rows = [{**r, "rep_name": names.get(r["rep"], r["rep"])} for r in mine[:SHOWN]]
    budgets = await arena.rewards.budgets()
    for budget in budgets:
        budget["money"] = money(budget["money_cents"]) if budget.get("money_cents") is not None else ""
        budget["spent_money"] = money(budget["spent_money_cents"])
    month, quarter = budget_periods(datetime.now(UTC), arena.settings.zone)
    return page(
        request,
        "console/rewards.html",
        section="rewards",
        waiting=[r for r in rows if r["status"] == "requested"],
        to_deliver=[r for r in rows if r["status"] == "approved"],
        done=[r for r in rows if r["status"] in ("delivered", "rejected")],
        catalogue=await arena.rewards.catalogue(),
        budgets=budgets,
        this_month=month,
        this_quarter=quarter,
        **context,
    )


routes = [Route("/admin/rewards", rewards_page, methods=["GET"])]
