"""Rewards (奖励兑换) over real HTTP on a server of the module's own (budgets are workspace-wide): the catalogue
and who keeps it, reward points credited once per ref from grants, prizes and badges, redemptions held, decided
by the rep's manager within the month's budget and delivered, everything audited, and parallel redemptions
that can never spend a point or a unit twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import redis

from game import keys
from game.rewards import budget_periods
from tests.support.accounts import Browser, signed_in
from tests.support.calendar import SHANGHAI
from tests.support.closing import fast, rescored  # noqa: F401 (fast: a server whose scheduler ticks every second)
from tests.support.org import Org, deal, make_org, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def server(fast: RunningServer) -> RunningServer:  # noqa: F811
    return fast


@pytest.fixture
def org(admin: httpx.Client) -> Org:
    return make_org(admin, teams=2, reps_per_team=2)


def reward(session: Browser | httpx.Client, cost: int, **fields: Any) -> str:
    reward_id = unique("reward")
    call = session.call if isinstance(session, Browser) else session.request
    body = {"name": fields.pop("name", "与 CEO 共进午餐"), "cost": cost, **fields}
    response = call("PUT", f"/api/v1/rewards/catalogue/{reward_id}", json=body)
    assert response.status_code == 201, response.text
    return reward_id


def grant(admin: httpx.Client, rep: str, points: int, ref: str | None = None) -> dict[str, Any]:
    response = admin.post("/api/v1/rewards/grants", json={"rep": rep, "points": points, "ref": ref or unique("g")})
    assert response.status_code == 200, response.text
    return dict(response.json())


def points_of(session: Browser | httpx.Client, rep: str) -> dict[str, Any]:
    call = session.call if isinstance(session, Browser) else session.request
    response = call("GET", f"/api/v1/rewards/reps/{rep}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def redeem(rep: Browser, reward_id: str) -> httpx.Response:
    return rep.call("POST", "/api/v1/rewards/redemptions", json={"reward": reward_id})


def decide(session: Browser | httpx.Client, redemption: str, status: str, note: str = "") -> httpx.Response:
    call = session.call if isinstance(session, Browser) else session.request
    return call("POST", f"/api/v1/rewards/redemptions/{redemption}/decision", json={"status": status, "note": note})


def test_managers_keep_the_catalogue_and_reps_see_what_is_offered(
    server: RunningServer, admin: httpx.Client, org: Org
) -> None:
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    rep = signed_in(server, admin, "rep", rep=org.reps[0])
    offered = reward(manager, 500, name="休假一天", kind="non_material", description="任选一个工作日")
    hidden = reward(admin, 200, name="Gift card ¥200", value="200", stock=3, active=False)
    assert rep.call("PUT", f"/api/v1/rewards/catalogue/{unique('r')}", json={"name": "x", "cost": 1}).status_code == 403
    changed = manager.call(
        "PUT", f"/api/v1/rewards/catalogue/{offered}", json={"name": "休假一天", "cost": 450, "kind": "non_material"}
    )
    assert changed.status_code == 200 and changed.json()["cost"] == 450 and changed.json()["stock"] is None

    seen = {r["id"]: r for r in rep.call("GET", "/api/v1/rewards/catalogue").json()["rewards"]}
    assert offered in seen and hidden not in seen and seen[offered]["kind"] == "non_material"
    everything = {r["id"]: r for r in admin.get("/api/v1/rewards/catalogue").json()["rewards"]}
    assert everything[hidden]["stock"] == 3 and everything[hidden]["value"] == "200.00"

    url = f"/api/v1/rewards/catalogue/{unique('r')}"
    for bad, field in (
        ({"name": "x", "cost": 0}, "cost"),
        ({"name": " ", "cost": 5}, "name"),
        ({"name": "x", "cost": 5, "stock": -1}, "stock"),
        ({"name": "x", "cost": 5, "value": "-3"}, "value"),
        ({"name": "x", "cost": 5, "colour": "red"}, "colour"),
    ):
        answer = admin.put(url, json=bad)
        assert answer.status_code == 422 and field in answer.text, (bad, answer.text)
    for bad_id in ("bad%20id", "t%C3%B4", "x" * 65):
        assert admin.put(f"/api/v1/rewards/catalogue/{bad_id}", json={"name": "x", "cost": 5}).status_code == 422
    assert admin.delete(f"/api/v1/rewards/catalogue/{hidden}").status_code == 204
    assert admin.delete(f"/api/v1/rewards/catalogue/{hidden}").status_code == 404


def test_a_grant_credits_once_per_ref_and_only_the_rep_and_their_manager_see_it(
    server: RunningServer, admin: httpx.Client, org: Org
) -> None:
    me, stranger = org.reps[0], org.reps[2]
    ref = unique("grant")
    assert grant(admin, me, 120, ref) == {"rep": me, "status": "credited", "balance": 120, "held": 0}
    assert grant(admin, me, 120, ref)["status"] == "already"  # a retry credits nothing
    assert points_of(admin, me)["balance"] == 120
    too_much = admin.post("/api/v1/rewards/grants", json={"rep": me, "points": -500, "ref": unique("g")})
    assert too_much.status_code == 409 and "120" in too_much.json()["error"]
    assert grant(admin, me, -20)["balance"] == 100
    for bad in ({"rep": me, "points": 0}, {"rep": "nobody-here", "points": 5}, {"rep": me, "points": 10**7}):
        assert admin.post("/api/v1/rewards/grants", json=bad).status_code == 422, bad

    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    other_manager = signed_in(server, admin, "manager", teams=[org.teams[1]])
    rep = signed_in(server, admin, "rep", rep=me)
    other_rep = signed_in(server, admin, "rep", rep=stranger)
    assert manager.call("POST", "/api/v1/rewards/grants", json={"rep": me, "points": 5}).status_code == 403
    lines = points_of(rep, me)["ledger"]
    assert [(line["points"], line["source"], line["balance"]) for line in lines] == [
        (-20, "grant", 100),
        (120, "grant", 120),
    ]
    assert points_of(manager, me)["balance"] == 100
    assert other_manager.call("GET", f"/api/v1/rewards/reps/{me}").status_code == 403
    assert other_rep.call("GET", f"/api/v1/rewards/reps/{me}").status_code == 403


def test_a_redemption_is_held_decided_by_the_reps_manager_delivered_and_audited(
    server: RunningServer, admin: httpx.Client, org: Org
) -> None:
    me = org.reps[0]
    rep = signed_in(server, admin, "rep", rep=me)
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    other_manager = signed_in(server, admin, "manager", teams=[org.teams[1]])
    lunch = reward(admin, 300, stock=2)
    short = redeem(rep, lunch)
    assert short.status_code == 409 and "0 to spend, 300 short" in short.json()["error"]
    grant(admin, me, 700)

    first = redeem(rep, lunch)
    assert first.status_code == 201, first.text
    held = first.json()
    assert held["status"] == "requested" and held["cost"] == 300
    assert {k: points_of(rep, me)[k] for k in ("balance", "held")} == {"balance": 400, "held": 300}
    assert (
        admin.get("/api/v1/rewards/catalogue").json()["rewards"]
        and next(r for r in admin.get("/api/v1/rewards/catalogue").json()["rewards"] if r["id"] == lunch)["stock"] == 1
    )
    assert redeem(rep, unique("nothing")).status_code == 404
    retired = reward(admin, 10, active=False)
    assert redeem(rep, retired).status_code == 409  # not offered now
    assert admin.post("/api/v1/rewards/redemptions", json={"reward": lunch}).status_code == 403  # a rep's own act

    assert decide(other_manager, held["id"], "approved").status_code == 403
    assert decide(rep, held["id"], "approved").status_code == 403
    assert decide(manager, held["id"], "delivered").status_code == 409  # not approved yet
    approved = decide(manager, held["id"], "approved", "下周三中午")
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    assert decide(manager, held["id"], "rejected").status_code == 409  # decided once
    assert decide(admin, held["id"], "delivered").json()["status"] == "delivered"
    assert {k: points_of(rep, me)[k] for k in ("balance", "held")} == {"balance": 400, "held": 0}

    second = redeem(rep, lunch).json()
    assert redeem(rep, lunch).status_code == 409  # the last unit is set aside for the second request
    rejected = decide(manager, second["id"], "rejected", "本月名额已满")
    assert rejected.json()["status"] == "rejected" and rejected.json()["note"] == "本月名额已满"
    assert {k: points_of(rep, me)[k] for k in ("balance", "held")} == {"balance": 400, "held": 0}
    assert redeem(rep, lunch).status_code == 201  # the unit came back with the points

    mine = rep.call("GET", "/api/v1/rewards/redemptions").json()
    assert mine["waiting"] == 1 and {r["status"] for r in mine["redemptions"]} == {"requested", "delivered", "rejected"}
    assert other_manager.call("GET", "/api/v1/rewards/redemptions").json()["redemptions"] == [] or all(
        r["rep"] != me for r in other_manager.call("GET", "/api/v1/rewards/redemptions").json()["redemptions"]
    )
    assert admin.get("/api/v1/rewards/redemptions", params={"status": "maybe"}).status_code == 422
    actions = [e["action"] for e in admin.get("/api/v1/audit", params={"target": me}).json()["entries"]]
    for action in ("reward.requested", "reward.approved", "reward.delivered", "reward.rejected", "reward.grant"):
        assert action in actions, actions


def _allow(admin: httpx.Client, months: set[str], points: int, money: Decimal | None = None) -> None:
    """Set each month's budget to what approvals used of it so far (other tests approve too) plus an allowance."""
    for month in months:
        assert admin.put(f"/api/v1/rewards/budgets/{month}", json={}).status_code == 200
    used = {b["period"]: b for b in admin.get("/api/v1/rewards/budgets").json()["budgets"]}
    for month in months:
        body: dict[str, Any] = {"points": used[month]["spent_points"] + points}
        if money is not None:
            body["money"] = str(Decimal(used[month]["spent_money"]) + money)
        assert admin.put(f"/api/v1/rewards/budgets/{month}", json=body).status_code == 200


def test_approvals_stay_within_the_months_budget_in_points_and_money(
    server: RunningServer, admin: httpx.Client, org: Org
) -> None:
    me = org.reps[0]
    rep = signed_in(server, admin, "rep", rep=me)
    now = datetime.now(UTC)
    months = {budget_periods(now, SHANGHAI)[0], budget_periods(now + timedelta(minutes=5), SHANGHAI)[0]}
    card = reward(admin, 100, value="300")
    grant(admin, me, 1000)
    try:
        _allow(admin, months, 1000, Decimal(700))
        ids = [redeem(rep, card).json()["id"] for _ in range(3)]
        assert decide(admin, ids[0], "approved").status_code == 200
        assert decide(admin, ids[1], "approved").status_code == 200
        over = decide(admin, ids[2], "approved")
        assert over.status_code == 409 and "by 200.00" in over.json()["error"], over.text
        _allow(admin, months, 50)
        over = decide(admin, ids[2], "approved")
        assert over.status_code == 409 and "points by 50" in over.json()["error"], over.text
        assert points_of(admin, me)["held"] == 100  # still held, still waiting
    finally:
        for month in months:
            admin.put(f"/api/v1/rewards/budgets/{month}", json={})
    assert decide(admin, ids[2], "approved").status_code == 200
    for period in ("2026-13", "2026-Q5", "26-12"):
        assert admin.put(f"/api/v1/rewards/budgets/{period}", json={"points": 1}).status_code == 422
    assert admin.put(f"/api/v1/rewards/budgets/{min(months)}", json={"points": -1}).status_code == 422
    assert admin.put(f"/api/v1/rewards/budgets/{min(months)}", json={"money": "-1"}).status_code == 422
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    assert manager.call("PUT", f"/api/v1/rewards/budgets/{min(months)}", json={"points": 1}).status_code == 403


def _parallel(calls: list[Any]) -> list[httpx.Response]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_parallel_redemptions_never_spend_a_point_or_a_unit_twice(
    server: RunningServer, admin: httpx.Client, org: Org
) -> None:
    me, other = org.reps[0], org.reps[1]
    rep = signed_in(server, admin, "rep", rep=me)
    rival = signed_in(server, admin, "rep", rep=other)
    plenty = reward(admin, 100)
    grant(admin, me, 250)
    answers = _parallel([lambda: redeem(rep, plenty) for _ in range(8)])
    assert sorted(a.status_code for a in answers) == [201, 201] + [409] * 6
    assert {k: points_of(admin, me)[k] for k in ("balance", "held")} == {"balance": 50, "held": 200}

    last_unit = reward(admin, 10, stock=1)
    grant(admin, me, 100)
    grant(admin, other, 100)
    answers = _parallel([lambda session=s: redeem(session, last_unit) for s in (rep, rival) * 4])
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    assert (
        next(r for r in admin.get("/api/v1/rewards/catalogue").json()["rewards"] if r["id"] == last_unit)["stock"] == 0
    )
    assert points_of(admin, me)["balance"] + points_of(admin, other)["balance"] == 50 + 100 + 100 - 10


@pytest.fixture
def closing(admin: httpx.Client, ingest: httpx.Client) -> tuple[Org, str]:
    badge = unique("first")
    body = {"kind": "first_deal", "period": "ever", "name": {"zh-CN": "首单奖", "en": "First"}, "reward_points": 20}
    assert admin.put(f"/api/v1/badges/{badge}", json=body).status_code in (200, 201)
    now = datetime.now(UTC)
    org = make_org(
        admin,
        starts_at=(now - timedelta(days=1)).isoformat(),
        ends_at=(now + timedelta(seconds=3)).isoformat(),
        grace_hours=0,
        prizes=[
            {"rank": 1, "prize": "¥5,000", "reward_points": 300},
            {"rank": 1, "board": "teams", "prize": "聚餐", "reward_points": 50},
        ],
    )
    won = [deal(org.reps[0], "90000", occurred_at=(now - timedelta(hours=1)).isoformat())]
    assert ingest.post("/api/v1/events", json=won).json()["accepted"] == 1
    return org, badge


def test_prizes_and_badges_credit_reward_points_once(
    server: RunningServer, admin: httpx.Client, closing: tuple[Org, str]
) -> None:
    org, badge = closing
    champion, teammate = org.reps[0], org.reps[1]

    def credited() -> dict[str, int]:
        lines = points_of(admin, champion)["ledger"]
        by_source = {line["source"]: line["points"] for line in lines}
        assert by_source.keys() == {"prize", "badge"} and len(lines) == 3, lines
        return by_source

    eventually(credited, what="prize and badge points credited")
    [badge_line] = [line for line in points_of(admin, champion)["ledger"] if line["source"] == "badge"]
    assert badge_line["points"] == 20 and badge in badge_line["ref"]
    assert points_of(admin, champion)["balance"] == 300 + 50 + 20
    assert points_of(admin, teammate)["balance"] == 50  # the team prize: every member
    assert points_of(admin, org.reps[3])["balance"] == 0  # another team
    results = admin.get(f"/api/v1/contests/{org.contest}/results").json()
    assert {p["reward_points"] for p in results["prizes"]} == {300, 50}

    # closed again: a rule change rescores the closed contest and corrects its results; its prizes are credited
    # again (the scheduler marks the correction done) and nothing is credited twice
    changed = {**org.definition, "rules": [{"on": "deal.won", "points_per": 500}], "change_reason": "新价格体系"}
    assert admin.put(f"/api/v1/contests/{org.contest}", json=changed).status_code == 202
    rescored(admin, org.contest, 2)
    with redis.Redis.from_url(server.redis_url) as store:
        eventually(lambda: store.hget(keys.REWARD_CURSORS, f"prizes:{org.contest}") == b"1", what="credited again")
    assert points_of(admin, champion)["balance"] == 300 + 50 + 20 and len(points_of(admin, champion)["ledger"]) == 3
    bad = admin.post(
        "/api/v1/contests",
        json={**org.definition, "id": unique("c"), "prizes": [{"rank": 1, "prize": "x", "reward_points": 0}]},
    )
    assert bad.status_code == 422 and "reward_points" in bad.text
