"""Disputes (申诉) over real HTTP: a rep disputes a ledger line or a missing deal from their session; a manager of
the rep's team accepts it with an adjustment, which lands on the board, in the ledger with the manager's note, in
the audit log and in the event log, so a rescore and a simulation count it the same; everyone sees only the
disputes they should, and the limits hold."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.accounts import Browser, signed_in
from tests.support.org import deal, make_org, scores, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually


def ledger(session: Browser | httpx.Client, rep: str, contest: str) -> list[dict[str, Any]]:
    call = session.call if isinstance(session, Browser) else session.request
    response = call("GET", f"/api/v1/reps/{rep}/ledger", params={"contest": contest})
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def disputes(session: Browser | httpx.Client, **params: str) -> dict[str, Any]:
    call = session.call if isinstance(session, Browser) else session.request
    response = call("GET", "/api/v1/disputes", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_disputed_line_is_corrected_on_the_board_the_ledger_the_audit_and_the_replays(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client
) -> None:
    org = make_org(admin, teams=2, reps_per_team=2)
    me, teammate, stranger = org.reps[0], org.reps[1], org.reps[2]
    rep = signed_in(server, admin, "rep", rep=me)
    other_rep = signed_in(server, admin, "rep", rep=stranger)
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    other_manager = signed_in(server, admin, "manager", teams=[org.teams[1]])
    won = deal(me, 10_000)
    assert ingest.post("/api/v1/events", json=[won, deal(teammate, 30_000)]).json()["accepted"] == 2
    [line] = ledger(rep, me, org.contest)
    assert line["event"] == won["id"] and line["points"] == 10 and "dispute" not in line

    filed = rep.call(
        "POST",
        "/api/v1/disputes",
        json={"contest": org.contest, "kind": "wrong_points", "event": won["id"], "message": "这单是 25,000 元"},
    )
    assert filed.status_code == 201, filed.text
    dispute = filed.json()
    assert dispute["status"] == "open" and dispute["id"] and dispute["line"]["points"] == 10
    again = {"contest": org.contest, "kind": "wrong_points", "event": won["id"], "message": "again"}
    assert rep.call("POST", "/api/v1/disputes", json=again).status_code == 409  # one open dispute per line
    assert ledger(rep, me, org.contest)[0]["dispute"] == {"id": dispute["id"], "status": "open"}

    # who sees it
    assert [d["id"] for d in disputes(rep)["disputes"]] == [dispute["id"]]
    assert disputes(other_rep) == {"disputes": [], "open": 0}
    assert disputes(manager, contest=org.contest)["open"] == 1
    assert disputes(other_manager)["disputes"] == []
    assert dispute["id"] in [d["id"] for d in disputes(admin, status="open")["disputes"]]
    assert disputes(admin, contest=org.contest, status="rejected")["disputes"] == []

    # who decides it
    decision = {"decision": "accepted", "note": "CRM 少记了 15,000 元", "adjustment": 15}
    url = f"/api/v1/disputes/{dispute['id']}/resolve"
    assert other_manager.call("POST", url, json=decision).status_code == 403
    assert rep.call("POST", url, json=decision).status_code == 403
    resolved = manager.call("POST", url, json=decision)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "accepted" and resolved.json()["adjustment"] == 15
    assert manager.call("POST", url, json=decision).status_code == 409  # decided once

    assert scores(admin, org.contest)[me] == 25
    lines = ledger(rep, me, org.contest)
    adjusted = next(e for e in lines if e["type"] == "points.adjusted")
    assert adjusted["points"] == 15 and "CRM 少记了 15,000 元" in adjusted["note"]
    assert next(e for e in lines if e["event"] == won["id"])["dispute"]["status"] == "accepted"
    assert disputes(rep)["disputes"][0]["note"] == "CRM 少记了 15,000 元"
    audit = admin.get("/api/v1/audit", params={"target": org.contest}).json()["entries"]
    entry = next(e for e in audit if e["action"] == "dispute.accepted")
    assert entry["data"]["adjustment"] == 15 and entry["actor"] == manager_name(manager)
    # the line may be disputed again now that its dispute is closed
    assert rep.call("POST", "/api/v1/disputes", json=again).status_code == 201

    # the adjustment is in the event log: a rescore and a simulation of the contest count it
    assert admin.post(f"/api/v1/contests/{org.contest}/rescore").status_code == 202
    eventually(lambda: admin.get(f"/api/v1/contests/{org.contest}/rescore").json()["state"] == "done")
    assert scores(admin, org.contest)[me] == 25
    simulation = admin.post("/api/v1/contests/simulate", json={"definition": org.definition})
    assert simulation.status_code == 200, simulation.text
    simulated = {row["id"]: row["score"] for row in simulation.json()["standings"]}
    assert simulated[me] == 25 and simulated[teammate] == 30


def manager_name(session: Browser) -> str:
    return session.call("GET", "/api/v1/me").json()["username"]


def test_a_rejected_dispute_changes_no_points_and_adjustments_only_go_with_acceptance(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    rep = signed_in(server, admin, "rep", rep=org.reps[0])
    filed = rep.call(
        "POST", "/api/v1/disputes", json={"contest": org.contest, "kind": "missing_deal", "message": "漏了 A 公司的单"}
    )
    assert filed.status_code == 201, filed.text
    url = f"/api/v1/disputes/{filed.json()['id']}/resolve"
    wrong = admin.post(url, json={"decision": "rejected", "note": "没有合同", "adjustment": 10})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "adjustment"
    zero = admin.post(url, json={"decision": "accepted", "note": "ok", "adjustment": 0})
    assert zero.status_code == 422
    assert admin.post(url, json={"decision": "rejected", "note": "没有合同"}).status_code == 200
    assert scores(admin, org.contest)[org.reps[0]] == 0
    assert disputes(rep)["disputes"][0]["status"] == "rejected"


def test_disputes_are_bounded(server: RunningServer, admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin, teams=2, reps_per_team=1)
    mine = make_org(admin, teams=1, reps_per_team=1)  # a contest of another team's reps
    rep = signed_in(server, admin, "rep", rep=org.reps[0])

    def file(**body: Any) -> httpx.Response:
        return rep.call("POST", "/api/v1/disputes", json={"contest": org.contest, "kind": "other", **body})

    too_long = file(message="长" * 501)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "message"
    assert file(message="  ").status_code == 422
    no_line = file(kind="wrong_points", message="wrong")
    assert no_line.status_code == 422 and no_line.json()["errors"][0]["field"] == "event"
    unknown = file(kind="wrong_points", event=unique("nope"), message="wrong")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "event"
    assert file(contest=mine.contest, message="not mine").status_code == 403
    assert file(contest=unique("gone"), message="?").status_code == 404
    assert (
        admin.post("/api/v1/disputes", json={"contest": org.contest, "kind": "other", "message": "x"}).status_code
        == 403
    )
    for n in range(10):
        assert file(message=f"question {n}").status_code == 201
    assert file(message="one more").status_code == 429  # ten open disputes at a time
    # nobody but the server writes an adjustment
    forged = {
        "id": unique("adj"),
        "type": "points.adjusted",
        "rep": org.reps[0],
        "attrs": {"contest": org.contest, "points": 99},
    }
    answer = ingest.post("/api/v1/events", json=forged).json()
    assert answer["accepted"] == 0 and answer["rejected"][0]["errors"][0]["field"] == "type"
