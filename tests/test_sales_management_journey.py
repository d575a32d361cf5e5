"""Issue 19's "done when" through the API, as a sales manager lives it: the quarter's company revenue goal and
margin goal set and broken down to teams (by the admin) and to reps (by the team's manager); one contest scored on
percent of the margin goal with margin-based points (a rule on the wrong basis for a goal is refused with the basis
that fits); deals with margins and line items; progress and pace by working days across a holiday and a 调休
Saturday the test lays out around its own ``now``; kudos that credit reward points; a redemption refused over the
month's budget, then approved within it and delivered; all of it in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from game.rewards import budget_periods
from tests.support.accounts import signed_in
from tests.support.calendar import SHANGHAI, Calendar
from tests.support.org import make_org, scores, unique
from tests.support.sales_quarter import MARGIN_RULE, REVENUE_RULE, lay_out_calendar, margin_deals
from tests.support.server import RunningServer
from tests.support.waiting import eventually


@pytest.fixture(autouse=True)
def public_calendar_after(admin: httpx.Client) -> Iterator[None]:
    """The organisation's calendar goes back to the public one after the test: other tests share the server."""
    yield
    assert admin.put("/api/v1/org/calendar", json={"country": "CN"}).status_code == 200


def goals_of(session: Any, period: str, level: str) -> dict[str, dict[str, Any]]:
    response = session.get("/api/v1/goals", params={"period": period, "level": level})
    assert response.status_code == 200, response.text
    return {goal["id"]: goal for goal in response.json()["goals"]}


def test_goal_to_contest_to_pace_to_kudos_to_reward(server: RunningServer, admin: httpx.Client) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    days = lay_out_calendar(admin, today)
    period = days.period
    org = make_org(admin, teams=2, reps_per_team=2)
    east, west = org.teams
    star, partner, other, quiet = org.reps
    manager = signed_in(server, admin, "manager", teams=[east])
    rep = signed_in(server, admin, "rep", rep=star)

    # the admin sets the quarter's company revenue goal and breaks it down to the two teams by hand
    company = unique("goal")
    goal = {"metric": "revenue", "period": period, "level": "company", "target": 400_000, "name": "季度营收目标"}
    assert admin.put(f"/api/v1/goals/{company}", json=goal).status_code == 201
    parts = {east: 240_000, west: 150_000}
    short = admin.post(f"/api/v1/goals/{company}/breakdown", json={"split": "hand", "parts": parts})
    assert short.status_code == 422 and "10,000 short" in short.json()["error"], short.text
    parts[west] = 160_000
    assert admin.post(f"/api/v1/goals/{company}/breakdown", json={"split": "hand", "parts": parts}).status_code == 200
    # each team's goal to its reps: the east team's manager splits theirs, not the west's
    east_goal, west_goal = f"{company}.{east}", f"{company}.{west}"
    assert manager.call("POST", f"/api/v1/goals/{west_goal}/breakdown", json={"split": "even"}).status_code == 403
    split = manager.call("POST", f"/api/v1/goals/{east_goal}/breakdown", json={"split": "even"})
    assert split.status_code == 200, split.text
    assert admin.post(f"/api/v1/goals/{west_goal}/breakdown", json={"split": "even"}).status_code == 200
    rep_goals = goals_of(admin, period, "rep").values()
    targets = {g["owner"]: g["target"] for g in rep_goals if g["parent"] in (east_goal, west_goal)}
    assert targets == {star: 120_000, partner: 120_000, other: 80_000, quiet: 80_000}

    # the quarter's margin goal, broken down the same way: by hand to the teams, evenly to each team's reps
    margin_goal = unique("goal")
    goal = {"metric": "margin", "period": period, "level": "company", "target": 100_000, "name": "季度毛利目标"}
    assert admin.put(f"/api/v1/goals/{margin_goal}", json=goal).status_code == 201
    halves = {"split": "hand", "parts": {east: 50_000, west: 50_000}}
    assert admin.post(f"/api/v1/goals/{margin_goal}/breakdown", json=halves).status_code == 200
    split = manager.call("POST", f"/api/v1/goals/{margin_goal}.{east}/breakdown", json={"split": "even"})
    assert split.status_code == 200, split.text
    assert admin.post(f"/api/v1/goals/{margin_goal}.{west}/breakdown", json={"split": "even"}).status_code == 200

    # one contest on percent of the margin goal with margin-based points; a rule on the other basis is refused
    percent = {**org.definition, "id": unique("contest"), "name": "季度毛利达成赛"}
    for goal_id, rule, fits in ((margin_goal, REVENUE_RULE, "margin"), (company, MARGIN_RULE, "revenue")):
        refused = admin.post("/api/v1/contests", json={**percent, "targets_from_goal": goal_id, "rules": [rule]})
        assert refused.status_code == 422, refused.text
        error = refused.json()["errors"][0]
        assert error["field"] == "targets_from_goal" and f'"basis": "{fits}"' in error["message"], refused.text
    percent |= {"targets_from_goal": margin_goal, "rules": [MARGIN_RULE]}
    assert admin.post("/api/v1/contests", json=percent).status_code == 201
    stored = admin.get(f"/api/v1/contests/{percent['id']}").json()
    assert stored["scoring"] == "percent_of_target"
    assert stored["targets"] == {star: 250, partner: 250, other: 250, quiet: 250}  # ¥25,000 of margin ÷ 100

    # deals with a margin, and one with line items, arrive today
    sent = margin_deals(star, partner, other, Calendar(now).earlier_today(10))
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=sent).json()["accepted"] == 3

    # margin points: 9,000 ÷ 100; 3,000 ÷ 100 × 1.5 + 4,000 ÷ 100; 3,000 ÷ 100 — as percent of 250 points, in
    # tenths of a percent (floored): 90 is 36.0 %, 85 is 34.0 %, 30 is 12.0 %
    board = eventually(lambda: (s := scores(admin, percent["id"])).get(other) == 120 and s, what="percent board")
    assert board == {star: 360, partner: 340, other: 120, quiet: 0}
    ledger = admin.get(f"/api/v1/reps/{partner}/ledger", params={"contest": percent["id"], "lang": "en"}).json()
    assert [e["points"] for e in ledger["entries"]] == [85]
    assert ledger["entries"][0]["lines"][0] == "A100 ¥12,000 margin ¥3,000 ÷ 100 × 1.5 = 45"

    # progress and pace by the organisation's working days, at every level below the company
    def paced(goal: dict[str, Any], target: int, actual: int) -> None:
        pace = goal["pace"]
        assert (pace["actual"], pace["target"]) == (actual, target)
        assert (pace["working_days"], pace["working_days_elapsed"]) == (days.total, days.elapsed)
        assert pace["working_days_left"] == days.left
        assert abs(pace["expected"] - days.expected(target)) < 0.01
        assert pace["status"] == days.status(target, actual)

    teams = goals_of(admin, period, "team")
    paced(teams[east_goal], 240_000, 56_000)
    paced(teams[west_goal], 160_000, 10_000)
    paced(goals_of(admin, period, "rep")[f"{east_goal}.{star}"], 120_000, 36_000)
    mine = {g["id"]: g for g in rep.call("GET", "/api/v1/goals", params={"period": period}).json()["goals"]}
    assert {company, east_goal, f"{east_goal}.{star}"} <= mine.keys() and west_goal not in mine
    paced(mine[f"{east_goal}.{star}"], 120_000, 36_000)
    assert goals_of(admin, period, "company")[company]["pace"]["actual"] >= 66_000  # every team of the workspace
    # the margin goal counts the margin as it is (no multiplier): 9,000 + 7,000 for the east, 3,000 for the west
    teams = goals_of(admin, period, "team")
    paced(teams[f"{margin_goal}.{east}"], 50_000, 16_000)
    paced(teams[f"{margin_goal}.{west}"], 50_000, 3_000)
    paced(mine[f"{margin_goal}.{east}.{star}"], 25_000, 9_000)
    assert goals_of(admin, period, "company")[margin_goal]["pace"]["actual"] >= 19_000

    # kudos with reward points; the rep redeems a reward the month's budget must cover
    kudos = {"rep": star, "message": "季度首单，毛利 25%，赞！", "reward_points": 300}
    assert manager.call("POST", "/api/v1/kudos", json=kudos).status_code == 201
    assert rep.call("GET", f"/api/v1/rewards/reps/{star}").json()["balance"] == 300
    lunch = unique("reward")
    offered = {"name": "与 CEO 共进午餐", "cost": 250, "kind": "non_material", "value": "200"}
    assert manager.call("PUT", f"/api/v1/rewards/catalogue/{lunch}", json=offered).status_code == 201
    asked = rep.call("POST", "/api/v1/rewards/redemptions", json={"reward": lunch})
    assert asked.status_code == 201, asked.text
    redemption = asked.json()["id"]
    assert {k: rep.call("GET", f"/api/v1/rewards/reps/{star}").json()[k] for k in ("balance", "held")} == {
        "balance": 50,
        "held": 250,
    }
    months = {budget_periods(now, SHANGHAI)[0], budget_periods(now + timedelta(minutes=5), SHANGHAI)[0]}
    url = f"/api/v1/rewards/redemptions/{redemption}/decision"
    try:
        allow(admin, months, 100, Decimal(500))
        over = manager.call("POST", url, json={"status": "approved", "note": ""})
        assert over.status_code == 409 and "points by 150" in over.json()["error"], over.text
        allow(admin, months, 250, Decimal(500))
        approved = manager.call("POST", url, json={"status": "approved", "note": "下周三中午"})
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    finally:
        for month in months:
            admin.put(f"/api/v1/rewards/budgets/{month}", json={})
    delivered = manager.call("POST", url, json={"status": "delivered", "note": ""})
    assert delivered.json()["status"] == "delivered", delivered.text
    assert {k: rep.call("GET", f"/api/v1/rewards/reps/{star}").json()[k] for k in ("balance", "held")} == {
        "balance": 50,
        "held": 0,
    }

    audited = {e["action"] for e in admin.get("/api/v1/audit", params={"target": star}).json()["entries"]}
    assert {"kudos.given", "reward.requested", "reward.approved", "reward.delivered"} <= audited
    goal_actions = [e["action"] for e in admin.get("/api/v1/audit", params={"target": company}).json()["entries"]]
    assert goal_actions == ["goal.breakdown", "goal.put"]  # newest first; the refused split is not kept


def allow(admin: httpx.Client, months: set[str], points: int, money: Decimal) -> None:
    """Each month's budget: what approvals used of it so far (other tests approve too) plus an allowance."""
    for month in months:
        assert admin.put(f"/api/v1/rewards/budgets/{month}", json={}).status_code == 200
    used = {b["period"]: b for b in admin.get("/api/v1/rewards/budgets").json()["budgets"]}
    for month in months:
        body = {
            "points": used[month]["spent_points"] + points,
            "money": str(Decimal(used[month]["spent_money"]) + money),
        }
        assert admin.put(f"/api/v1/rewards/budgets/{month}", json=body).status_code == 200
