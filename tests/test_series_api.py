"""``GET /api/v1/contests/{id}/series`` over real HTTP: deals sent through the ingest API show on their local
day, a reversal takes its points back, the document is bounded, and only the contest's managers read it."""

from __future__ import annotations

import httpx

from tests.support.accounts import signed_in
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, scores
from tests.support.server import RunningServer


def test_the_series_counts_standing_deals_on_their_local_days(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client
) -> None:
    org = make_org(admin, teams=2, reps_per_team=2, goal=3000)
    calendar = Calendar.from_clock()
    first, second, third = org.reps[0], org.reps[1], org.reps[2]
    sent = [
        deal(first, 12_000, occurred_at=calendar.at(3, hour=23, minute=50)),  # late evening in Shanghai
        deal(first, 5_000, occurred_at=calendar.at(2, hour=0, minute=10)),  # just after local midnight
        deal(second, 8_000, occurred_at=calendar.at(2, hour=9)),
        deal(third, 20_000, event_id="big", occurred_at=calendar.at(1, hour=9)),
    ]
    assert ingest.post("/api/v1/events", json=sent).json()["accepted"] == 4
    reversal = {"id": "big-back", "type": "deal.reversed", "rep": third, "ref": "big", "occurred_at": calendar.at(1)}
    assert ingest.post("/api/v1/events", json=[reversal]).json()["accepted"] == 1

    response = admin.get(f"/api/v1/contests/{org.contest}/series", params={"top": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    days = body["days"]
    assert days[-1] == calendar.today.isoformat() and len(days) == len(body["x"])
    assert len(body["series"]) == 2
    lines = {line["id"]: line for line in body["series"]}
    assert lines[first]["name"] == "销售 0-0"
    assert lines[first]["daily"][days.index(calendar.date_text(3))] == 12
    assert lines[first]["daily"][days.index(calendar.date_text(2))] == 5
    assert lines[second]["cumulative"][-1] == 8
    assert third not in lines  # reversed: nothing stands
    board = scores(admin, org.contest)
    assert {rep: line["cumulative"][-1] for rep, line in lines.items()} == {first: board[first], second: board[second]}
    assert body["total"]["cumulative"][-1] == 25
    assert body["target"] == 3000 and len(body["pace"]) == len(days) and body["pace"] == sorted(body["pace"])
    assert [change["leader"] for change in body["lead_changes"]][:1] == [first]

    teams = admin.get(f"/api/v1/contests/{org.contest}/series", params={"by": "team", "top": 5}).json()
    assert {line["id"]: line["cumulative"][-1] for line in teams["series"]} == {org.teams[0]: 25, org.teams[1]: 0}


def test_only_managers_whose_teams_take_part_read_its_series(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=2, reps_per_team=1)
    mine = make_org(admin, teams=1, reps_per_team=1)
    url = f"/api/v1/contests/{mine.contest}/series"
    manager = signed_in(server, admin, "manager", teams=mine.teams)
    assert manager.call("GET", url).status_code == 200
    other_manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    refused = other_manager.call("GET", url)
    assert refused.status_code == 403 and "none of your teams" in refused.json()["error"]
    # a contest of two teams: the manager of one reads its top lines (the TVs show its board), not runs it
    shared = other_manager.call("GET", f"/api/v1/contests/{org.contest}/series", params={"by": "team"})
    assert shared.status_code == 200 and {line["id"] for line in shared.json()["series"]} <= set(org.teams)
    assert other_manager.call("POST", f"/api/v1/contests/{org.contest}/pause").status_code == 403
    rep = signed_in(server, admin, "rep", rep=mine.reps[0])
    assert rep.call("GET", url).status_code == 403
    assert manager.call("GET", "/api/v1/contests/no-such-contest/series").status_code == 404
    for query, field in (({"by": "region"}, "by"), ({"top": "0"}, "top"), ({"top": "21"}, "top")):
        bad = admin.get(url, params=query)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == field, bad.text


def test_a_reps_manager_reads_the_reps_own_line_in_a_contest_of_several_teams(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client
) -> None:
    org = make_org(admin, teams=2, reps_per_team=1, scoring="percent_of_target", targets={}, default_target=200)
    mine, theirs = org.reps
    assert ingest.post("/api/v1/events", json=[deal(mine, 40_000), deal(theirs, 10_000)]).json()["accepted"] == 2
    url = f"/api/v1/contests/{org.contest}/series"
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    top = manager.call("GET", url)  # the top lines, as its TVs show them: theirs to read, not to run
    assert top.status_code == 200 and [line["id"] for line in top.json()["series"]] == [mine, theirs]
    own = manager.call("GET", url, params={"rep": mine})
    assert own.status_code == 200, own.text
    body = own.json()
    assert [line["id"] for line in body["series"]] == [mine]
    assert body["series"][0]["cumulative"][-1] == 40 and body["target"] == 200
    assert manager.call("GET", url, params={"rep": theirs}).status_code == 403
    missing = manager.call("GET", url, params={"rep": "nobody"})
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "rep"
