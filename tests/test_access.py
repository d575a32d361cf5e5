"""Who may do what: one credential per request, CSRF whatever the query string, managers within their teams,
displays within their slides."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import connect

from tests.support.accounts import Browser, signed_in
from tests.support.calendar import Calendar
from tests.support.org import Org, deal, make_org, unique
from tests.support.server import RunningServer

FOREIGN = {"Origin": "https://evil.example"}


def _status(admin: httpx.Client, contest: str) -> str:
    return str(admin.get(f"/api/v1/contests/{contest}").json()["status"])


# --- one credential, chosen before CSRF is judged --------------------------------------------------------


def test_a_token_parameter_does_not_let_a_cookie_skip_csrf(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    manager = signed_in(server, admin, "manager", teams=org.teams)
    pause = f"/api/v1/contests/{org.contest}/pause"
    for query in ("?token=x&token=", "?token=", "?token=x", "?token=&token=x"):
        response = manager.client.post(pause + query, headers=FOREIGN)
        assert response.status_code == 401, (query, response.text)
        assert response.json()["error"]
    for header in ("Bearer", "Basic YWRtaW46YWRtaW4=", "Bearer x"):
        response = manager.client.post(pause, headers={**FOREIGN, "Authorization": header})
        assert response.status_code == 401, (header, response.text)
    assert _status(admin, org.contest) == "live"
    assert manager.client.post(pause, headers=FOREIGN).status_code == 403  # the cookie alone: CSRF applies
    assert manager.call("POST", pause).status_code == 200  # with the session's CSRF token: allowed
    assert _status(admin, org.contest) == "paused"


def test_an_empty_or_repeated_token_never_falls_back_to_the_cookie(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    manager = signed_in(server, admin, "manager", teams=org.teams)
    assert manager.call("GET", "/api/v1/me").status_code == 200
    for query in ("?token=", "?token=x&token=", "?token=&token="):
        assert manager.call("GET", f"/api/v1/me{query}").status_code == 401, query
    display = admin.post("/api/v1/displays", json={"name": "tv", "playlist": [f"contest:{org.contest}"]}).json()
    token = display["token"]
    board = f"/api/v1/contests/{org.contest}/leaderboard"
    assert httpx.get(f"{server.base_url}{board}", params={"token": token}).status_code == 200
    assert httpx.get(f"{server.base_url}{board}?token={token}&token={token}").status_code == 401
    # Two credentials at once (a key in the header and a token in the query) are refused, not ranked.
    assert admin.get(board, params={"token": token}).status_code == 401


def test_the_websocket_makes_the_same_choice(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    rep = signed_in(server, admin, "rep", rep=org.reps[0])
    cookie = {"Cookie": f"arena_session={rep.client.cookies['arena_session']}"}

    async def first_op(query: str) -> dict[str, Any]:
        async with connect(server.ws_url + query, additional_headers=cookie) as ws:
            raw = await ws.recv()
            return dict(json.loads(raw))

    assert asyncio.run(first_op(""))["op"] == "hello"
    for query in ("?token=", "?token=x&token="):
        refused = asyncio.run(first_op(query))
        assert (refused["op"], refused["code"]) == ("error", "unauthorized"), query


def test_ingestion_by_cookie_needs_csrf_whatever_the_query(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    browser = Browser(server)
    assert browser.login("admin", "admin-test-password").status_code == 303
    event = deal(org.reps[0], 5000)
    forged = browser.client.post("/api/v1/events?token=x&token=", json=event, headers=FOREIGN)
    assert forged.status_code == 401
    junk_header = browser.client.post("/api/v1/events", json=event, headers={**FOREIGN, "Authorization": "Basic x"})
    assert junk_header.status_code == 401
    assert browser.client.post("/api/v1/events", json=event, headers=FOREIGN).status_code == 403
    assert browser.call("POST", "/api/v1/events", json=event).status_code == 200


# --- managers: their own teams only ------------------------------------------------------------------------


def _own_contest(admin: httpx.Client, org: Org) -> str:
    contest = {**org.definition, "id": unique("mine"), "teams": [org.teams[0]]}
    assert admin.post("/api/v1/contests", json=contest).status_code == 201
    return str(contest["id"])


def test_a_manager_imports_deals_only_for_reps_of_their_teams(
    server: RunningServer, admin: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin, teams=2, reps_per_team=1)
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    own, other = org.reps
    prefix = unique("hist")
    csv = (
        "id,rep,amount,occurred_at\n"
        f"{prefix}-1,{own},3000,{calendar.date_text(2)}\n"
        f"{prefix}-2,{other},9000,{calendar.date_text(2)}\n"
    ).encode()
    headers = {"content-type": "text/csv; charset=utf-8"}
    preview = manager.call("POST", "/api/v1/events/import?dry_run=1", content=csv, headers=headers)
    assert preview.status_code == 200, preview.text
    assert preview.json()["valid"] == 1 and preview.json()["invalid"] == 1
    assert [(e["line"], e["field"]) for e in preview.json()["errors"]] == [(3, "rep")]
    done = manager.call("POST", "/api/v1/events/import", content=csv, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["accepted"] == 1 and done.json()["invalid"] == 1
    assert [(e["line"], e["field"]) for e in done.json()["errors"]] == [(3, "rep")]
    assert "team" in done.json()["errors"][0]["message"]
    scores = {r["id"]: r["score"] for r in admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]}
    assert scores[own] == 3 and scores[other] == 0
    assert admin.post("/api/v1/events/import", content=csv, headers=headers).json()["accepted"] == 1  # admins: all


def test_a_manager_clones_contests_only_into_their_teams(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=2, reps_per_team=1)
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    mine = _own_contest(admin, org)
    clone = f"/api/v1/contests/{mine}/clone"
    for teams in (None, [org.teams[1]], org.teams):
        response = manager.call("POST", clone, json={"id": unique("copy"), "teams": teams})
        assert response.status_code == 403, (teams, response.text)
    copy = manager.call("POST", clone, json={"id": unique("copy")})
    assert copy.status_code == 201, copy.text
    assert admin.get(f"/api/v1/contests/{copy.json()['id']}").json()["teams"] == [org.teams[0]]


def test_only_admins_define_badges(server: RunningServer, admin: httpx.Client) -> None:
    manager = signed_in(server, admin, "manager", teams=[])
    badge = {"kind": "first_deal", "name": {"zh-CN": "开门红", "en": "First"}}
    badge_id = unique("badge")
    assert manager.call("PUT", f"/api/v1/badges/{badge_id}", json=badge).status_code == 403
    assert badge_id not in {b["id"] for b in admin.get("/api/v1/badges").json()["badges"]}


def test_a_manager_reads_the_reps_of_their_teams_only(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=2, reps_per_team=1)
    own, other = org.reps
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    reads = {
        "ledger": "/api/v1/reps/{rep}/ledger?contest=" + org.contest,
        "profile": "/api/v1/reps/{rep}/profile",
        "standing": f"/api/v1/contests/{org.contest}/reps/{{rep}}",
    }
    for what, path in reads.items():
        assert manager.call("GET", path.format(rep=own)).status_code == 200, what
        assert manager.call("GET", path.format(rep=other)).status_code == 403, what
        assert admin.get(path.format(rep=other)).status_code == 200, what
    assert {r["id"] for r in manager.call("GET", "/api/v1/reps").json()["reps"]} == {own}
    assert {t["id"] for t in manager.call("GET", "/api/v1/teams").json()["teams"]} == {org.teams[0]}
    rep = signed_in(server, admin, "rep", rep=own)
    for what, path in reads.items():
        assert rep.call("GET", path.format(rep=own)).status_code == 200, what
        assert rep.call("GET", path.format(rep=other)).status_code == 403, what


# --- displays: what their slides show ----------------------------------------------------------------------


def _display(admin: httpx.Client, playlist: list[object]) -> str:
    created = admin.post("/api/v1/displays", json={"name": "tv", "playlist": playlist})
    assert created.status_code == 201, created.text
    return str(created.json()["token"])


def test_a_display_reads_over_http_only_what_its_slides_show(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    elsewhere = _own_contest(admin, org)
    token = _display(admin, [f"contest:{org.contest}"])

    def get(path: str, tv: str = token) -> httpx.Response:
        return httpx.get(f"{server.base_url}{path}", params={"token": tv})

    assert get(f"/api/v1/contests/{org.contest}/leaderboard").status_code == 200
    assert get(f"/api/v1/contests/{org.contest}").status_code == 200
    assert [c["id"] for c in get("/api/v1/contests").json()["contests"]] == [org.contest]
    for path in (
        f"/api/v1/contests/{elsewhere}",
        f"/api/v1/contests/{elsewhere}/leaderboard",
        "/api/v1/xp/month",
        "/api/v1/badges",
        "/api/v1/wall/badges",
    ):
        assert get(path).status_code == 403, path
    stars_and_wall = _display(admin, [{"kind": "stars"}, {"kind": "badges"}])
    assert get("/api/v1/xp/month", stars_and_wall).status_code == 200
    assert get("/api/v1/xp/week", stars_and_wall).status_code == 403
    assert get("/api/v1/wall/badges", stars_and_wall).status_code == 200
    assert get("/api/v1/badges", stars_and_wall).status_code == 200
    assert get("/api/v1/contests", stars_and_wall).json()["contests"] == []
    assert get(f"/api/v1/contests/{org.contest}", stars_and_wall).status_code == 403
