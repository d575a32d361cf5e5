"""The engine through the API: ledger, updates, rescoring, contest kinds, lifecycle and late events."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, scores, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually


def ledger(admin: httpx.Client, rep: str, contest: str, **params: object) -> dict:
    response = admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": contest, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_ledger_explains_every_point_and_adds_up_to_the_board(
    admin: httpx.Client, ingest: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(
        admin, rules=[{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 4, "cap_per_day": 10}]
    )
    rep = org.reps[0]
    big = deal(rep, "300000", event_id=unique("big"))
    calls = [
        {"id": unique("call"), "type": "call.logged", "rep": rep, "occurred_at": calendar.at(1, 9)} for _ in range(3)
    ]
    ingest.post("/api/v1/events", json=[big, deal(rep, "5500"), *calls])
    ingest.post("/api/v1/events", json={"id": unique("rev"), "type": "deal.reversed", "rep": rep, "ref": big["id"]})
    book = ledger(admin, rep, org.contest, lang="en")
    points = [e["points"] for e in book["entries"]]
    assert points == [300, 5, 4, 4, 2, -300]
    assert book["total"] == sum(points) == scores(admin, org.contest)[rep] == 15
    capped = book["entries"][4]
    assert "daily cap 10" in capped["note"] and capped["rule_version"] == 1
    assert book["entries"][5]["note"] == f"reversal of {big['id']}"
    chinese = ledger(admin, rep, org.contest, lang="zh-CN")["entries"]
    assert chinese[5]["note"] == f"冲销 {big['id']}" and "已达每日上限 10" in chinese[4]["note"]
    assert book["entries"][0]["event"] == big["id"] and book["entries"][0]["occurred_at"].endswith("+08:00")
    first = ledger(admin, rep, org.contest, limit=4)
    second = ledger(admin, rep, org.contest, limit=4, cursor=first["next_cursor"])
    assert [e["points"] for e in first["entries"] + second["entries"]] == points
    assert second["next_cursor"] is None


def test_deal_update_reverses_and_reapplies(admin: httpx.Client, ingest: httpx.Client, calendar: Calendar) -> None:
    org = make_org(admin)
    rep = org.reps[0]
    original = deal(rep, "80000")
    ingest.post("/api/v1/events", json=original)
    update = {
        "id": unique("upd"),
        "type": "deal.updated",
        "rep": rep,
        "ref": original["id"],
        "amount": "50000",
        "occurred_at": calendar.at(1),
    }
    assert ingest.post("/api/v1/events", json=update).json()["accepted"] == 1
    assert scores(admin, org.contest)[rep] == 50
    assert [e["points"] for e in ledger(admin, rep, org.contest)["entries"]] == [80, -80, 50]
    reversal = {"id": unique("rev"), "type": "deal.reversed", "rep": rep, "ref": original["id"]}
    ingest.post("/api/v1/events", json=reversal)
    assert scores(admin, org.contest)[rep] == 0


def test_changing_a_live_contest_makes_a_new_version_and_rescores(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client
) -> None:
    org = make_org(admin)
    a, b = org.reps[0], org.reps[1]
    ingest.post("/api/v1/events", json=[deal(a, "10000", category="low"), deal(b, "6000", category="high")])
    assert scores(admin, org.contest)[a] == 10
    changed = {**org.definition, "multipliers": {"category": {"high": 2}}, "change_reason": "高毛利加倍"}
    response = admin.put(f"/api/v1/contests/{org.contest}", json=changed)
    assert response.status_code == 202 and response.json()["version"] == 2
    eventually(lambda: admin.get(f"/api/v1/contests/{org.contest}/rescore").json()["state"] == "done")
    assert admin.get(f"/api/v1/contests/{org.contest}").json()["epoch"] == 2
    board = scores(admin, org.contest)
    assert board[a] == 10 and board[b] == 12
    contest = admin.get(f"/api/v1/contests/{org.contest}").json()
    assert contest["version"] == 2 and contest["multipliers"] == {"category": {"high": 2}}
    assert admin.post(f"/api/v1/contests/{org.contest}/rescore").status_code == 202
    assert admin.post(f"/api/v1/contests/{org.contest}/rescore").status_code == 409  # one at a time
    eventually(lambda: admin.get(f"/api/v1/contests/{org.contest}/rescore").json()["epoch"] == 3)
    eventually(lambda: admin.get(f"/api/v1/contests/{org.contest}/rescore").json()["state"] == "done")
    assert scores(admin, org.contest) == board
    progress = admin.get(f"/api/v1/contests/{org.contest}/rescore").json()
    assert progress["state"] == "done" and progress["epoch"] == 3
    audit = admin.get("/api/v1/audit", params={"target": org.contest}).json()["entries"]
    started = [e for e in audit if e["action"] == "contest.rescore.start"][-1]  # newest first: the oldest
    assert started["actor"] == "ARENA_ADMIN_KEY"
    assert started["data"]["rebuilding"]["changes"] == [
        {"field": "multipliers", "from": None, "to": {"category": {"high": 2}}}
    ]
    assert any(e["action"] == "contest.rescore.switch" for e in audit)
    # Events after the switch land in the new epoch, with the new rule version in the ledger.
    ingest.post("/api/v1/events", json=deal(b, "1000", category="high"))
    assert scores(admin, org.contest)[b] == 14
    assert ledger(admin, b, org.contest)["entries"][-1]["rule_version"] == 2


def test_percent_of_target_ranks_by_progress_not_volume(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=2, scoring="percent_of_target", default_target=100)
    big, small = org.reps
    response = admin.put(
        f"/api/v1/contests/{org.contest}",
        json={**org.definition, "targets": {big: 1000}, "default_target": 100, "change_reason": "targets set"},
    )
    assert response.status_code == 202
    eventually(lambda: admin.get(f"/api/v1/contests/{org.contest}/rescore").json()["state"] == "done")
    ingest.post("/api/v1/events", json=[deal(big, "500000"), deal(small, "80000")])
    rows = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]
    assert [(r["id"], r["percent"]) for r in rows] == [(small, 80.0), (big, 50.0)]
    standing = admin.get(f"/api/v1/contests/{org.contest}/reps/{big}").json()
    assert standing["points"] == 500 and standing["pace"]["target"] == 1000 and standing["pace"]["percent"] == 50.0


def test_divisions_have_their_own_boards(admin: httpx.Client, ingest: httpx.Client, calendar: Calendar) -> None:
    team_id = unique("team")
    admin.put(f"/api/v1/teams/{team_id}", json={"name": "新人营"})
    reps = [unique("rep") for _ in range(4)]
    for rep in reps:
        admin.put(f"/api/v1/reps/{rep}", json={"name": rep, "team": team_id})
    contest = unique("div")
    admin.post(
        "/api/v1/contests",
        json={
            "id": contest,
            "name": "Rookies vs veterans",
            "starts_at": calendar.starts,
            "ends_at": calendar.ends(),
            "rules": [{"on": "deal.won", "points_per": 1000}],
            "teams": [team_id],
            "divisions": {"rookies": reps[:2], "veterans": reps[2:]},
        },
    )
    ingest.post("/api/v1/events", json=[deal(reps[0], 3000), deal(reps[2], 90000), deal(reps[3], 1000)])
    assert scores(admin, contest, "divisions/rookies") == {reps[0]: 3, reps[1]: 0}
    assert scores(admin, contest, "divisions/veterans") == {reps[2]: 90, reps[3]: 1}


def test_head_to_head_only_counts_the_two_sides(admin: httpx.Client, ingest: httpx.Client, calendar: Calendar) -> None:
    org = make_org(admin, teams=1, reps_per_team=3)
    a, b, outsider = org.reps
    h2h = unique("h2h")
    created = admin.post(
        "/api/v1/contests",
        json={
            "id": h2h,
            "name": "王芳 vs 李娜",
            "kind": "head_to_head",
            "sides": [a, b],
            "starts_at": calendar.starts,
            "ends_at": calendar.ends(),
            "rules": [{"on": "deal.won", "points": 1}],
        },
    )
    assert created.status_code == 201, created.text
    ingest.post("/api/v1/events", json=[deal(a, 1), deal(b, 1), deal(b, 1), deal(outsider, 1)])
    assert scores(admin, h2h) == {b: 2, a: 1}


def test_draft_scores_nothing_until_launched_and_archive_stops_scoring(
    admin: httpx.Client, ingest: httpx.Client
) -> None:
    org = make_org(admin, draft=True)
    rep = org.reps[0]
    assert admin.get(f"/api/v1/contests/{org.contest}").json()["status"] == "draft"
    ingest.post("/api/v1/events", json=deal(rep, "9000"))
    assert scores(admin, org.contest).get(rep, 0) == 0
    launched = admin.post(f"/api/v1/contests/{org.contest}/launch").json()
    assert launched["status"] == "live" and launched["window"] == "scoring"  # its start is in the past
    eventually(lambda: scores(admin, org.contest)[rep] == 9, what="the deal logged while a draft, scored")
    ingest.post("/api/v1/events", json=deal(rep, "9000"))
    assert scores(admin, org.contest)[rep] == 18
    assert admin.post(f"/api/v1/contests/{org.contest}/archive").json()["status"] == "archived"
    ingest.post("/api/v1/events", json=deal(rep, "9000"))
    assert scores(admin, org.contest)[rep] == 18
    assert admin.post(f"/api/v1/contests/{org.contest}/launch").status_code == 409
    clone = admin.post(f"/api/v1/contests/{org.contest}/clone", json={"id": unique("copy")})
    assert clone.status_code == 201 and clone.json()["status"] == "draft"


def test_late_events_past_the_grace_period_are_kept_and_reported(
    admin: httpx.Client, ingest: httpx.Client, now: datetime
) -> None:
    org = make_org(
        admin,
        starts_at=(now - timedelta(days=30)).isoformat(),
        ends_at=(now - timedelta(days=10)).isoformat(),
        grace_hours=24,
    )
    rep = org.reps[0]
    late = deal(rep, "5000", occurred_at=(now - timedelta(days=15)).isoformat())
    answer = ingest.post("/api/v1/events", json=late).json()
    assert answer["accepted"] == 1
    assert answer["late"] == [{"index": 0, "id": late["id"], "contests": [org.contest]}]
    assert scores(admin, org.contest).get(rep, 0) == 0  # an ended contest's board is not rebuilt
    within = make_org(
        admin,
        starts_at=(now - timedelta(days=30)).isoformat(),
        ends_at=(now - timedelta(hours=2)).isoformat(),
        grace_hours=24,
    )
    ingest.post("/api/v1/events", json=deal(within.reps[0], "5000", occurred_at=(now - timedelta(days=1)).isoformat()))
    assert scores(admin, within.contest)[within.reps[0]] == 5


def test_future_events_are_refused(ingest: httpx.Client, admin: httpx.Client, calendar: Calendar) -> None:
    org = make_org(admin)
    future = calendar.from_now(hours=2)
    response = ingest.post("/api/v1/events", json=deal(org.reps[0], 1000, occurred_at=future))
    assert response.status_code == 422 and "future" in response.json()["error"]
