"""Rewards (奖励兑换): the catalogue managers keep, reward points (apart from contest scores) and their ledger,
admins' grants, reps' redemptions with a manager's decision and delivery, and budgets per month and quarter.
The rules are in ``server/services/rewards.py`` and ``game/rewards.py``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from game.rewards import MAX_POINTS, cents, money, valid_period
from server.api.codec import decode_body, decode_query
from server.api.contract import Answer, ApiRoute, Operation
from server.api.reward_payloads import (
    Budget,
    BudgetInput,
    BudgetList,
    DecisionInput,
    Granted,
    GrantInput,
    RedeemInput,
    Redemption,
    RedemptionList,
    RedemptionQuery,
    RepPoints,
    Reward,
    RewardInput,
    RewardList,
)
from server.auth.access import ADMIN, ANY_MANAGER, DIRECTORY, DISPUTES, REP_DATA, REPS, TEAM_MANAGER
from server.auth.principals import Principal
from server.http import ApiError, ArenaJSONResponse, arena_of, require
from server.services.rewards import credit_reward_points, decide_redemption, request_redemption

ID = r"^[A-Za-z0-9_-]{1,64}$"
LEDGER_LINES = 100
MAX_LISTED = 200
MAX_MONEY = Decimal(1_000_000_000_000)


def _is_rep(principal: Principal) -> bool:
    return principal.role == "rep" and principal.via_session and principal.rep_id is not None


def _checked_money(amount: Decimal | None, field: str) -> Decimal | None:
    """Money as budgets count it: from 0 to a trillion, in whole cents at most."""
    if amount is not None and (not amount.is_finite() or not 0 <= amount <= MAX_MONEY):
        raise ApiError(
            422, f"{field} must be an amount from 0 to {MAX_MONEY:,}", [{"field": field, "message": "0 or more"}]
        )
    return amount


def _reward_id(request: Request) -> str:
    reward_id = str(request.path_params["id"])
    if re.fullmatch(ID, reward_id) is None:
        raise ApiError(422, "a reward id is 1-64 letters, digits, _ or -", [{"field": "id", "message": ID}])
    return reward_id


# --- the catalogue -------------------------------------------------------------------------------------


async def list_catalogue(request: Request) -> ArenaJSONResponse:
    """Reps see what is offered now; managers, admins and read keys every reward."""
    principal = await require(request, lambda p: p.role in ("rep", "manager", "admin", "read"), "read rewards")
    rewards = await arena_of(request).rewards.catalogue()
    if principal.role == "rep":
        rewards = [r for r in rewards if r["active"]]
    return ArenaJSONResponse({"rewards": rewards})


async def put_reward(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "keep the reward catalogue (managers and admins)")
    reward_id = _reward_id(request)
    body = await decode_body(request, RewardInput, "reward")
    arena = arena_of(request)
    created = await arena.rewards.reward(reward_id) is None
    reward: dict[str, Any] = {
        "id": reward_id,
        "name": body.name.strip(),
        "description": body.description.strip(),
        "kind": body.kind,
        "cost": body.cost,
        "active": body.active,
        "updated_at": datetime.now(UTC).isoformat(),
        "updated_by": principal.name,
    }
    if (value := _checked_money(body.value, "value")) is not None:
        reward.update(value=money(cents(value)), value_cents=cents(value))
    await arena.rewards.put_reward(reward, body.stock, principal.name, created)
    return ArenaJSONResponse({**reward, "stock": body.stock}, status_code=201 if created else 200)


async def delete_reward(request: Request) -> Response:
    principal = await require(request, lambda p: p.can_manage, "keep the reward catalogue (managers and admins)")
    reward_id = request.path_params["id"]
    if not await arena_of(request).rewards.delete_reward(reward_id, principal.name):
        raise ApiError(404, f"no reward {reward_id!r}")
    return Response(status_code=204)


# --- points --------------------------------------------------------------------------------------------


async def rep_points(request: Request) -> ArenaJSONResponse:
    """A rep's balance, the points held by requests awaiting a decision, and the newest ledger lines."""
    principal = await require(request, lambda p: p.role in ("rep", "manager", "admin", "read"), "read reward points")
    arena = arena_of(request)
    rep = request.path_params["rep"]
    directory = (await arena.registry.current()).directory
    if not principal.may_read_rep(rep, directory):
        raise ApiError(403, "only the rep, their manager, read keys and admins see a rep's reward points")
    if rep not in directory.reps:
        raise ApiError(404, f"no rep {rep!r}")
    balance, held = await arena.rewards.balance(rep)
    ledger = await arena.rewards.ledger(rep, LEDGER_LINES)
    return ArenaJSONResponse({"rep": rep, "balance": balance, "held": held, "ledger": ledger})


async def grant(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.role == "admin", "grant reward points (admins)")
    body = await decode_body(request, GrantInput, "grant")
    if body.points == 0:
        raise ApiError(422, "a grant gives or takes at least 1 point", [{"field": "points", "message": "not 0"}])
    arena = arena_of(request)
    if body.rep not in (await arena.registry.current()).directory.reps:
        raise ApiError(422, f"no rep {body.rep!r}", [{"field": "rep", "message": "an existing rep"}])
    ref = body.ref or f"{principal.name}:{datetime.now(UTC).isoformat()}"
    status = await credit_reward_points(arena, body.rep, body.points, "grant", ref, body.note.strip(), principal.name)
    balance, held = await arena.rewards.balance(body.rep)
    return ArenaJSONResponse({"rep": body.rep, "status": status, "balance": balance, "held": held})


# --- redemptions ---------------------------------------------------------------------------------------


async def redeem(request: Request) -> ArenaJSONResponse:
    principal = await require(request, _is_rep, "redeem rewards (a rep signed in on the phone)")
    body = await decode_body(request, RedeemInput, "redemption")
    redemption = await request_redemption(arena_of(request), principal.rep_id or "", body.reward, principal.name)
    return ArenaJSONResponse(redemption, status_code=201)


async def list_redemptions(request: Request) -> ArenaJSONResponse:
    """A rep's own; a manager's teams'; an admin's and read keys' all. Requests awaiting a decision first."""
    principal = await require(request, lambda p: p.may_read_disputes(), "read redemptions")
    query = decode_query(request, RedemptionQuery)
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    shown = [
        r
        for r in await arena.rewards.redemptions()
        if principal.may_read_rep(r["rep"], directory)
        and (query.status is None or r["status"] == query.status)
        and (query.rep is None or r["rep"] == query.rep)
    ]
    shown.sort(key=lambda r: r["requested_at"], reverse=True)
    shown.sort(key=lambda r: r["status"] != "requested")
    names = {rep.id: rep.name for rep in directory.reps.values()}
    rows = [{**r, "rep_name": names.get(r["rep"], r["rep"])} for r in shown[:MAX_LISTED]]
    return ArenaJSONResponse({"redemptions": rows, "waiting": sum(1 for r in shown if r["status"] == "requested")})


async def decide(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "decide redemptions (managers and admins)")
    body = await decode_body(request, DecisionInput, "decision")
    arena = arena_of(request)
    redemption_id = request.path_params["id"]
    redemption = await arena.rewards.redemption(redemption_id)
    if redemption is None:
        raise ApiError(404, f"no redemption {redemption_id!r}")
    if not principal.manages_rep(redemption["rep"], (await arena.registry.current()).directory):
        raise ApiError(403, "only a manager of the rep's team or an admin decides this redemption")
    return ArenaJSONResponse(await decide_redemption(arena, redemption, body.status, body.note, principal.name))


# --- budgets -------------------------------------------------------------------------------------------


async def list_budgets(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.role in ("manager", "admin", "read"), "read reward budgets")
    budgets = await arena_of(request).rewards.budgets()
    for budget in budgets:
        if budget.get("money_cents") is not None:
            budget["money"] = money(budget["money_cents"])
        budget["spent_money"] = money(budget["spent_money_cents"])
    return ArenaJSONResponse({"budgets": budgets})


async def put_budget(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.role == "admin", "set reward budgets (admins)")
    period = request.path_params["period"]
    if not valid_period(period):
        raise ApiError(
            422,
            "a budget period is a month (2026-12) or a quarter (2026-Q4)",
            [{"field": "period", "message": "2026-12 or 2026-Q4"}],
        )
    body = await decode_body(request, BudgetInput, "budget")
    amount = _checked_money(body.money, "money")
    money_cents = cents(amount) if amount is not None else None
    budget = {"points": body.points, "money_cents": money_cents}
    await arena_of(request).rewards.put_budget(period, budget, principal.name)
    shown = {**budget, "period": period, "money": money(money_cents) if money_cents is not None else None}
    return ArenaJSONResponse(shown)


READERS = DISPUTES  # reps (what is offered), managers, admins and read keys
routes = [
    ApiRoute(
        "/rewards/catalogue",
        list_catalogue,
        "GET",
        Operation("The reward catalogue", "rewards", "read", response=RewardList, access=READERS),
    ),
    ApiRoute(
        "/rewards/catalogue/{id}",
        put_reward,
        "PUT",
        Operation(
            "Create or change a reward",
            "rewards",
            "manage",
            body=RewardInput,
            response=Reward,
            upsert=True,
            path={"id": ID},
            answers=(
                Answer(422, "an id with a space", "id", body={"name": "休假一天", "cost": 5}, path={"id": "day off"}),
                Answer(422, "a cost of 0", "cost", body={"name": "休假一天", "cost": 0}),
                Answer(422, "a negative stock", "stock", body={"name": "Gift card", "cost": 5, "stock": -1}),
            ),
            access=ANY_MANAGER,
        ),
    ),
    ApiRoute(
        "/rewards/catalogue/{id}",
        delete_reward,
        "DELETE",
        Operation(
            "Take a reward off the catalogue",
            "rewards",
            "manage",
            status=204,
            answers=(Answer(404, "no such reward"),),
            access=ANY_MANAGER,
        ),
    ),
    ApiRoute(
        "/rewards/reps/{rep}",
        rep_points,
        "GET",
        Operation(
            "A rep's reward points: balance, held, ledger",
            "rewards",
            "people",
            response=RepPoints,
            answers=(Answer(404, "no such rep"),),
            access=REP_DATA,
        ),
    ),
    ApiRoute(
        "/rewards/grants",
        grant,
        "POST",
        Operation(
            "Grant (or take back) reward points by hand",
            "rewards",
            "admin",
            body=GrantInput,
            response=Granted,
            answers=(
                Answer(422, "no such rep", "rep", body={"rep": "nope-404", "points": 5}, cross_field=True),
                Answer(422, "points out of range", "points", body={"rep": "{rep}", "points": MAX_POINTS + 1}),
            ),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/rewards/redemptions",
        redeem,
        "POST",
        Operation(
            "Redeem a reward: its cost is held until a manager decides",
            "rewards",
            "rep",
            body=RedeemInput,
            response=Redemption,
            status=201,
            answers=(Answer(403, "not a rep's session", body={"reward": "x"}),),
            access=REPS,
        ),
    ),
    ApiRoute(
        "/rewards/redemptions",
        list_redemptions,
        "GET",
        Operation(
            "Redemptions: a rep's own, a manager's teams', an admin's all",
            "rewards",
            "people",
            response=RedemptionList,
            query=RedemptionQuery,
            answers=(Answer(422, "an unknown status", "status", query={"status": "maybe"}),),
            access=DISPUTES,
        ),
    ),
    ApiRoute(
        "/rewards/redemptions/{id}/decision",
        decide,
        "POST",
        Operation(
            "Approve (within budget), reject (points back) or mark a redemption delivered",
            "rewards",
            "manage",
            body=DecisionInput,
            response=Redemption,
            answers=(
                Answer(404, "no such redemption", body={"status": "approved"}),
                Answer(422, "an unknown status", "status", body={"status": "maybe"}),
            ),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/rewards/budgets",
        list_budgets,
        "GET",
        Operation(
            "Reward budgets and what approvals used of them", "rewards", "manage", response=BudgetList, access=DIRECTORY
        ),
    ),
    ApiRoute(
        "/rewards/budgets/{period}",
        put_budget,
        "PUT",
        Operation(
            "Set a month's (2026-12) or quarter's (2026-Q4) reward budget in points and/or money",
            "rewards",
            "admin",
            body=BudgetInput,
            response=Budget,
            path={"period": r"^20[0-9]{2}-(0[1-9]|1[0-2]|Q[1-4])$"},
            answers=(
                Answer(422, "not a month or quarter", "period", body={"points": 5}, path={"period": "2026-13"}),
                Answer(422, "a negative budget", "points", body={"points": -1}, path={"period": "2026-12"}),
            ),
            access=ADMIN,
        ),
    ),
]
