"""The operations behind the console's badges page and rules change form, over real HTTP: a badge definition
previewed against the deals that stand, and a rules change previewed (who moves) before it is made."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.accounts import signed_in
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, scores, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually


def calls(rep: str, count: int, calendar: Calendar) -> list[dict[str, Any]]:
    return [
        {"id": unique("call"), "type": "call.logged", "rep": rep, "occurred_at": calendar.at(1, 9, n)}
        for n in range(count)
    ]


def test_a_badge_preview_names_the_reps_who_would_hold_it_and_stores_nothing(
    server: RunningServer, admin: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin, teams=1, reps_per_team=2)
    first, second = org.reps
    with server.ingest() as ingest:
        events = [deal(first, 5_000_000 + n, occurred_at=calendar.at(1, 10, n)) for n in range(2)]
        events.append(deal(second, 1_000_000, occurred_at=calendar.at(1, 11)))
        assert ingest.post("/api/v1/events", json=events).json()["accepted"] == 3
    badge = unique("badge")
    body = {"kind": "big_deal", "period": "ever", "amount": 4_000_000, "name": {"zh-CN": "超级大单", "en": "Huge"}}

    def previewed() -> dict[str, Any]:
        answer = admin.post(f"/api/v1/badges/{badge}/preview", json=body)
        assert answer.status_code == 200, answer.text
        assert first in {h["id"] for h in answer.json()["holders"]}
        return answer.json()

    preview = eventually(previewed, what="the deals' facts to land")
    holders = {h["id"]: h for h in preview["holders"]}
    assert second not in holders and holders[first]["deals"] == 2 and holders[first]["name"] == "销售 0-0"
    assert preview["previewable"] and preview["period"] == "ever" and preview["count"] == len(holders)
    assert badge not in {b["id"] for b in admin.get("/api/v1/badges").json()["badges"]}

    closing = admin.post(f"/api/v1/badges/{badge}/preview", json={**body, "kind": "champion"}).json()
    assert closing["previewable"] is False and closing["holders"] == []
    refused = admin.post(f"/api/v1/badges/{badge}/preview", json={**body, "kind": "threshold", "amount": None})
    assert refused.status_code == 422 and {e["field"] for e in refused.json()["errors"]} == {"deals"}


def test_a_rules_change_is_previewed_then_made_with_its_reason(
    server: RunningServer, admin: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin, teams=1, reps_per_team=3)
    seller, caller, idle = org.reps
    with server.ingest() as ingest:
        events = [deal(seller, 10_000), *calls(caller, 4, calendar)]
        assert ingest.post("/api/v1/events", json=events).json()["accepted"] == 5
    eventually(lambda: scores(admin, org.contest).get(seller) == 10, what="the deal on the board")
    draft = {**org.definition, "rules": [*org.definition["rules"], {"on": "call.logged", "points": 5}]}

    preview = admin.post(f"/api/v1/contests/{org.contest}/change-preview", json=draft)
    assert preview.status_code == 200, preview.text
    moves = {m["rep"]: m for m in preview.json()["moves"]}
    assert set(moves) == {seller, caller, idle}  # idle shared 2nd place at 0 with the caller; now 3rd alone
    assert (moves[idle]["rank_before"], moves[idle]["rank_after"], moves[idle]["points_after"]) == (2, 3, 0)
    assert (moves[caller]["rank_before"], moves[caller]["rank_after"]) == (2, 1)
    assert (moves[caller]["points_before"], moves[caller]["points_after"]) == (0, 20)
    assert (moves[seller]["rank_before"], moves[seller]["rank_after"]) == (1, 2)
    assert moves[seller]["points_before"] == moves[seller]["points_after"] == 10
    assert preview.json()["events"] >= 5 and scores(admin, org.contest)[caller] == 0  # nothing changed yet

    bad = admin.post(f"/api/v1/contests/{org.contest}/change-preview", json={**draft, "rules": []})
    assert bad.status_code == 422 and any(e["field"].startswith("rules") for e in bad.json()["errors"])
    assert admin.post(f"/api/v1/contests/{unique('nope')}/change-preview", json=draft).status_code == 404

    no_reason = admin.put(f"/api/v1/contests/{org.contest}", json=draft)
    assert no_reason.status_code == 409 and no_reason.json()["errors"][0]["field"] == "change_reason"
    made = admin.put(f"/api/v1/contests/{org.contest}", json={**draft, "change_reason": "电话也计分"})
    assert made.status_code == 202
    eventually(lambda: scores(admin, org.contest) == {seller: 10, caller: 20, idle: 0}, what="the rescored board")
    versions = admin.get(f"/api/v1/contests/{org.contest}/versions").json()["versions"]
    assert versions[-1]["reason"] == "电话也计分" and versions[-1]["version"] == 2


def test_a_manager_reads_the_audit_log_of_their_own_teams_and_contests_only(
    server: RunningServer, admin: httpx.Client
) -> None:
    mine = make_org(admin, teams=1, reps_per_team=1)
    theirs = make_org(admin, teams=1, reps_per_team=1)
    manager = signed_in(server, admin, "manager", teams=mine.teams)
    page = manager.call("GET", "/admin/audit").text
    for seen in (mine.contest, mine.teams[0], mine.reps[0]):
        assert f">{seen}<" in page
    for unseen in (theirs.contest, theirs.teams[0], theirs.reps[0]):
        assert unseen not in page
    narrowed = manager.call("GET", "/admin/audit", params={"action": "contest.create", "target": mine.contest}).text
    assert narrowed.count('data-action="contest.create"') == 1 and f">{mine.teams[0]}<" not in narrowed
    bad_day = manager.call("GET", "/admin/audit", params={"from": "not-a-day"})
    assert bad_day.status_code == 200 and 'id="from-error"' in bad_day.text
    assert signed_in(server, admin, "rep", rep=mine.reps[0]).call("GET", "/admin/audit").status_code == 303
    badges = manager.call("GET", "/admin/badges").text
    assert 'data-badge="big-deal"' in badges and 'id="badge-form"' not in badges  # admins define badges
