"""What the phone reads and sets over real HTTP: the ledger in words, neighbours and the next badge in the
phone's state, and a rep's own choice of how TVs and chats name them."""

from __future__ import annotations

import httpx

from tests.support.accounts import signed_in
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org
from tests.support.server import RunningServer
from tests.support.waiting import eventually


def test_the_ledger_reads_like_a_statement_in_both_languages(server: RunningServer, admin: httpx.Client) -> None:
    rules = [
        {"on": "deal.won", "points_per": 1000},
        {"on": "call.logged", "points": 50, "cap_per_day": 60},
    ]
    org = make_org(admin, teams=1, reps_per_team=1, rules=rules)
    rep = org.reps[0]
    with server.ingest() as ingest:
        won = deal(rep, 31_200, customer="客户 X")
        assert ingest.post("/api/v1/events", json=won).status_code in (200, 201, 202)
        for index in range(2):
            call = {**deal(rep, 0), "type": "call.logged", "id": f"call-{index}-{won['id']}"}
            del call["amount"]
            assert ingest.post("/api/v1/events", json=call).status_code in (200, 201, 202)

    def page(lang: str) -> list[dict[str, object]]:
        response = admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": org.contest, "lang": lang})
        assert response.status_code == 200, response.text
        return list(response.json()["entries"])

    eventually(lambda: len(page("en")) == 3, what="three ledger entries")
    by_event = {e["event"]: e for e in page("zh-CN")}
    line = by_event[won["id"]]
    assert line["what"] == "赢单 ¥31,200 · 客户 X"
    assert line["rules"] == ["每成交 ¥1,000 得 1 分：+31 分"]
    assert won["id"] not in line["description"] and "规则 1" not in line["description"]
    assert line["note"] and line["rule_version"] == 1  # the fields that were there stay
    capped = [e for e in by_event.values() if e["type"] == "call.logged" and e["points"] == 10]
    assert len(capped) == 1 and "已达每日上限 60 分" in capped[0]["rules"][0], by_event
    english = {e["event"]: e for e in page("en")}[won["id"]]
    assert english["what"] == "Won deal of ¥31,200 for 客户 X"
    assert english["rules"] == ["1 point per ¥1,000 won: +31 pts"]


def test_a_rep_chooses_initials_on_public_screens_for_themselves(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=2)
    rep = org.reps[0]
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(rep, 5_000))
    display = admin.post("/api/v1/displays", json={"name": "tv", "playlist": [f"contest:{org.contest}"]}).json()

    def on_tv() -> str:
        board = httpx.get(
            f"{server.base_url}/api/v1/contests/{org.contest}/leaderboard", params={"token": display["token"]}
        ).json()
        return str(next(row["name"] for row in board["rows"] if row["id"] == rep))

    assert on_tv() == "销售 0-0"
    phone = signed_in(server, admin, "rep", rep=rep)
    assert phone.call("GET", "/api/v1/me").json()["opted_out"] is False
    chosen = phone.call("PUT", "/api/v1/me", json={"opted_out": True})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["opted_out"] is True
    eventually(lambda: on_tv() != "销售 0-0", what="the TV shows initials")
    assert "销售" not in on_tv()
    reps = {r["id"]: r for r in admin.get("/api/v1/reps").json()["reps"]}
    assert reps[rep]["opted_out"] is True
    assert phone.call("PUT", "/api/v1/me", json={"opted_out": False}).json()["opted_out"] is False
    eventually(lambda: on_tv() == "销售 0-0", what="the full name back on the TV")
    assert phone.call("PUT", "/api/v1/me", json={"opted_out": "yes"}).status_code == 422
    manager = signed_in(server, admin, "manager", teams=org.teams)
    refused = manager.call("PUT", "/api/v1/me", json={"opted_out": True})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "opted_out"


def test_the_phone_state_names_my_neighbours_and_my_next_badge(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=3)
    me, ahead, behind = org.reps
    today = Calendar.from_clock().earlier_today(1).isoformat()
    with server.ingest() as ingest:
        for rep, amount in ((ahead, 30_000), (me, 25_000), (behind, 21_000)):
            # this month's deals (on the 1st too): the next badge is a monthly one, part-way there
            ingest.post("/api/v1/events", json=deal(rep, amount, occurred_at=today))
    phone = signed_in(server, admin, "rep", rep=me)

    def state() -> dict[str, object]:
        return dict(phone.call("GET", "/m/state.json").json())

    def first_deal() -> dict[str, object] | None:
        return next((b for b in state()["badges"] if b["badge"] == "first-deal"), None)  # type: ignore[attr-defined]

    eventually(first_deal, what="the first-deal badge")
    current = state()
    standing = next(c for c in current["contests"] if c["id"] == org.contest)["standing"]  # type: ignore[attr-defined]
    assert standing["above"] == {"id": ahead, "name": "销售 0-1", "rank": 1, "score": 30, "gap": 5}
    assert standing["below"] == {"id": behind, "name": "销售 0-2", "rank": 3, "score": 21, "gap": 4}
    badge = first_deal()
    assert badge is not None
    assert badge["kind"] == "first_deal" and badge["meaning"] and badge["awarded_at"]
    upcoming = current["next_badge"]
    assert upcoming is not None and 0 < upcoming["progress"] < 1 and upcoming["needs"]  # type: ignore[index]
