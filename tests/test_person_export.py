"""The export of one person (PIPL / GDPR) over real HTTP: a rep with a deal, a ledger, a badge, kudos, reward
points and an audit entry is exported by an admin and by their manager; each section holds exactly what was
made, nothing of a teammate appears, no secret leaves, the export is audited; others get 403, an unknown rep 404."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.accounts import make_user, signed_in
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.own_server  # the export reads the whole event log: a log of this module's own


def test_an_export_holds_everything_about_the_rep_and_nothing_of_anyone_else(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client
) -> None:
    org = make_org(admin, teams=2, reps_per_team=2)
    me, teammate, stranger = org.reps[0], org.reps[1], org.reps[2]
    badge_id = unique("badge")
    badge = {"kind": "first_deal", "name": {"zh-CN": "开门红", "en": "First deal"}}
    assert admin.put(f"/api/v1/badges/{badge_id}", json=badge).status_code in (200, 201)
    aliases = {"hubspot": unique("crm")}
    renamed = admin.put(f"/api/v1/reps/{me}", json={"name": "张三", "team": org.teams[0], "aliases": aliases})
    assert renamed.status_code == 200, renamed.text
    won, other = deal(me, 12_000), deal(teammate, 50_000)
    assert ingest.post("/api/v1/events", json=[won, other]).json()["accepted"] == 2
    username, _ = make_user(admin, "rep", rep=me)
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    kudos = manager.call("POST", "/api/v1/kudos", json={"rep": me, "message": "本月第一单，赞", "reward_points": 7})
    assert kudos.status_code == 201, kudos.text
    manager.call("POST", "/api/v1/kudos", json={"rep": teammate, "message": "别人的赞"})
    grant = {"rep": me, "points": 30, "note": "季度奖励", "ref": unique("grant")}
    assert admin.post("/api/v1/rewards/grants", json=grant).status_code in (200, 201)
    eventually(
        lambda: badge_id in {b["badge"] for b in admin.get(f"/api/v1/reps/{me}/profile").json()["badges"]},
        what="the first-deal badge",
    )

    response = admin.get(f"/api/v1/people/{me}/export")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    export = response.json()
    assert export["rep"] == me
    assert export["directory"] == {
        "id": me,
        "name": "张三",
        "team": org.teams[0],
        "active": True,
        "opted_out": False,
        "aliases": aliases,
        "photo": None,
    }
    assert export["accounts"] == [{"username": username, "role": "rep", "rep": me, "teams": [], "locale": None}]
    [contest] = export["contests"]
    assert contest["contest"] == org.contest and contest["total"] == 12 and contest["truncated"] is False
    assert [line["event"] for line in contest["ledger"]] == [f"api:{won['id']}"]
    held = admin.get(f"/api/v1/reps/{me}/profile").json()["badges"]  # with the built-in first-deal badge
    assert badge_id in {b["badge"] for b in held}
    assert [b["badge"] for b in export["progress"]["badges"]] == [b["badge"] for b in held]
    assert export["progress"]["xp"]["all"] > 0
    assert export["rewards"]["balance"] == 37 and export["rewards"]["truncated"] is False
    assert sorted(line["points"] for line in export["rewards"]["ledger"]) == [7, 30]
    assert [k["message"] for k in export["kudos"]["items"]] == ["本月第一单，赞"]
    assert [e["action"] for e in export["audit"]["items"]] == ["reward.grant", "kudos.given", "rep.put", "rep.put"]
    assert {e["target"] for e in export["audit"]["items"]} == {me}
    assert [e["id"] for e in export["events"]["items"]] == [won["id"]] and export["events"]["truncated"] is False
    assert export["disputes"] == [] and export["goals"] == [] and export["awards"] == [] and export["challenges"] == []
    text = response.text
    assert teammate not in text and stranger not in text and other["id"] not in text and "别人的赞" not in text
    assert "password" not in text and "$" not in json.dumps(export["accounts"])

    audited = [e for e in admin.get("/api/v1/audit", params={"target": me}).json()["entries"]]
    assert audited[0]["action"] == "person.export"
    assert audited[0]["data"]["sections"]["events"] == 1

    by_manager = manager.call("GET", f"/api/v1/people/{me}/export")
    assert by_manager.status_code == 200 and by_manager.json()["rep"] == me
    assert manager.call("GET", f"/api/v1/people/{stranger}/export").status_code == 403
    rep = signed_in(server, admin, "rep", rep=me)
    assert rep.call("GET", f"/api/v1/people/{me}/export").status_code == 403
    other_manager = signed_in(server, admin, "manager", teams=[org.teams[1]])
    assert other_manager.call("GET", f"/api/v1/people/{me}/export").status_code == 403
    assert ingest.get(f"/api/v1/people/{me}/export").status_code == 403
    missing = admin.get(f"/api/v1/people/{unique('nobody')}/export")
    assert missing.status_code == 404 and "no rep" in missing.json()["error"]
