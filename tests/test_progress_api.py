"""XP, levels and badges through the real server: awarded live, revoked by reversals, pushed to screens."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from websockets.asyncio.client import connect

from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, unique
from tests.support.server import ADMIN_KEY, RunningServer
from tests.support.waiting import eventually


def profile(admin: httpx.Client, rep: str) -> dict:
    response = admin.get(f"/api/v1/reps/{rep}/profile")
    assert response.status_code == 200, response.text
    return response.json()


def badges_of(admin: httpx.Client, rep: str) -> set[str]:
    return {b["badge"] for b in profile(admin, rep)["badges"]}


def test_xp_windows_and_level_follow_deals_and_reversals(
    admin: httpx.Client, ingest: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin)
    rep = org.reps[0]
    won = deal(
        rep, "600000", occurred_at=calendar.earlier_today(5).isoformat(), new_customer=True
    )  # 10 + 600 + 20 new-customer bonus
    ingest.post("/api/v1/events", json=[won, {"id": unique("call"), "type": "call.logged", "rep": rep}])
    me = profile(admin, rep)
    assert me["xp"]["day"] == me["xp"]["week"] == me["xp"]["all"] == 631
    assert me["level"]["name_en"] == "Silver" and me["level"]["next_at"] == 2000
    board = admin.get("/api/v1/xp/month", params={"limit": 500}).json()
    assert any(row["id"] == rep and row["score"] == 631 for row in board["rows"])
    ingest.post("/api/v1/events", json={"id": unique("rev"), "type": "deal.reversed", "rep": rep, "ref": won["id"]})
    assert profile(admin, rep)["xp"]["all"] == 1


def test_big_deal_badge_is_awarded_live_and_revoked_with_the_deal(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin)
    rep = org.reps[1]
    big = deal(rep, "150000", occurred_at=calendar.earlier_today(1).isoformat())

    async def watch() -> list[dict]:
        seen: list[dict] = []
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}") as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
            await asyncio.get_running_loop().run_in_executor(None, lambda: ingest.post("/api/v1/events", json=big))
            async with asyncio.timeout(10):
                while len([m for m in seen if m["op"] == "badge"]) < 2:
                    message = json.loads(await ws.recv())
                    if message["op"] == "badge" and message["rep"] == rep:
                        seen.append(message)
        return seen

    messages = asyncio.run(watch())
    assert {m["badge"] for m in messages} == {"first-deal", "big-deal"}
    assert all(m["action"] == "awarded" and m["name"] == "销售 0-1" for m in messages)
    assert eventually(lambda: badges_of(admin, rep) == {"first-deal", "big-deal"})
    ingest.post("/api/v1/events", json={"id": unique("rev"), "type": "deal.reversed", "rep": rep, "ref": big["id"]})
    assert eventually(lambda: badges_of(admin, rep) == set())


def test_hat_trick_for_three_deals_in_a_day(admin: httpx.Client, ingest: httpx.Client, calendar: Calendar) -> None:
    org = make_org(admin)
    rep = org.reps[2]
    ingest.post(
        "/api/v1/events", json=[deal(rep, "1000", occurred_at=calendar.earlier_today(m).isoformat()) for m in (1, 2, 3)]
    )
    assert eventually(lambda: "hat-trick" in badges_of(admin, rep))


def test_badge_definitions_are_data(admin: httpx.Client, ingest: httpx.Client, calendar: Calendar) -> None:
    response = admin.put(
        "/api/v1/badges/whale",
        json={"kind": "big_deal", "amount": 5000000, "period": "quarter", "name": {"zh-CN": "鲸鱼", "en": "Whale"}},
    )
    assert response.status_code == 200, response.text
    listed = {b["id"] for b in admin.get("/api/v1/badges").json()["badges"]}
    assert {"whale", "big-deal", "first-deal"} <= listed
    bad = admin.put("/api/v1/badges/nope", json={"kind": "streak", "name": {"zh-CN": "x", "en": "x"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "days"
    org = make_org(admin)
    ingest.post("/api/v1/events", json=deal(org.reps[0], "5000000", occurred_at=calendar.earlier_today(1).isoformat()))
    assert eventually(lambda: "whale" in badges_of(admin, org.reps[0]))


def test_one_reps_unreadable_data_costs_only_that_rep(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client, redis_client: Any, calendar: Calendar
) -> None:
    """Badges are judged in batches: a rep whose stored facts cannot be read is set aside, the rest of the
    batch and every later deal still earn theirs; an unreadable award is skipped by the screens."""
    from game import keys

    org = make_org(admin)
    broken, fine, later = org.reps[0], org.reps[1], org.reps[2]
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    redis_client.hset(keys.xp_facts(broken, month), "junk", "not a fact")
    redis_client.hset(keys.badges(broken), "junk", "{not json")
    try:
        moment = calendar.earlier_today(1).isoformat()
        ingest.post(
            "/api/v1/events", json=[deal(broken, "1000", occurred_at=moment), deal(fine, "1000", occurred_at=moment)]
        )
        assert eventually(lambda: "first-deal" in badges_of(admin, fine))
        ingest.post("/api/v1/events", json=deal(later, "1000", occurred_at=calendar.earlier_today(1).isoformat()))
        assert eventually(lambda: "first-deal" in badges_of(admin, later))
        assert admin.get("/api/v1/wall/badges").status_code == 200  # the TV's badge wall skips the bad award
        assert badges_of(admin, broken) == set()
    finally:  # other tests read every rep's facts and awards
        redis_client.hdel(keys.xp_facts(broken, month), "junk")
        redis_client.hdel(keys.badges(broken), "junk")
