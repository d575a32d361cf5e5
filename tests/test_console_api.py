"""Sessions, CSRF, login limits, roles and the console's APIs (users, keys, displays, challenges, CSV import)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import redis

from game import keys
from tests.support.accounts import CSRF_INPUT, Browser, make_user
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually


def test_admin_signs_in_and_lands_in_the_console(server: RunningServer) -> None:
    browser = Browser(server)
    response = browser.login("admin", "admin-test-password")
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    assert browser.csrf
    me = browser.call("GET", "/api/v1/me").json()
    assert me["role"] == "admin" and "password" not in me


def test_a_wrong_password_is_refused_and_says_so(server: RunningServer) -> None:
    browser = Browser(server)
    response = browser.login("admin", "not-the-password")
    assert response.status_code == 401
    assert "alert" in response.text


def test_cookie_requests_need_the_csrf_token_but_bearer_keys_do_not(server: RunningServer, admin: httpx.Client) -> None:
    browser = Browser(server)
    browser.login("admin", "admin-test-password")
    body = {"name": "华东战队", "color": "#e53935"}
    team = unique("team")
    refused = browser.client.put(f"/api/v1/teams/{team}", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    wrong = browser.client.put(f"/api/v1/teams/{team}", json=body, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    foreign = browser.client.put(
        f"/api/v1/teams/{team}", json=body, headers={"X-CSRF-Token": browser.csrf, "Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert browser.call("PUT", f"/api/v1/teams/{team}", json=body).status_code == 201
    assert admin.put(f"/api/v1/teams/{team}", json=body).status_code == 200


def test_login_form_without_its_token_is_sent_back(server: RunningServer) -> None:
    client = httpx.Client(base_url=server.base_url, follow_redirects=False)
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": "admin-test-password"})
    assert response.status_code == 303 and "error=csrf" in response.headers["location"]


def test_failed_logins_are_limited_per_username(server: RunningServer, redis_client: redis.Redis) -> None:
    browser = Browser(server)
    name = f"nobody-{uuid.uuid4().hex[:6]}"
    try:
        statuses = [browser.login(name, "wrong").status_code for _ in range(11)]
        assert statuses[:10] == [401] * 10
        assert statuses[10] == 429
    finally:
        redis_client.delete(keys.login_failures("user", name), keys.login_failures("ip", "127.0.0.1"))


def test_deactivating_a_user_ends_their_session_at_once(server: RunningServer, admin: httpx.Client) -> None:
    username, password = make_user(admin, "manager", teams=[])
    browser = Browser(server)
    assert browser.login(username, password).status_code == 303
    assert browser.call("GET", "/api/v1/me").status_code == 200
    assert admin.put(f"/api/v1/users/{username}", json={"active": False}).status_code == 200
    assert browser.call("GET", "/api/v1/me").status_code == 401


def test_managers_act_on_their_own_teams_only(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=2, reps_per_team=2)
    username, password = make_user(admin, "manager", teams=[org.teams[0]])
    manager = Browser(server)
    manager.login(username, password)
    assert manager.call("PUT", f"/api/v1/teams/{org.teams[0]}", json={"name": "我的战队"}).status_code == 200
    assert manager.call("PUT", f"/api/v1/teams/{org.teams[1]}", json={"name": "别人的"}).status_code == 403
    own, other = org.reps[0], org.reps[2]
    assert manager.call("PUT", f"/api/v1/reps/{own}", json={"name": "改名", "team": org.teams[0]}).status_code == 200
    moved = manager.call("PUT", f"/api/v1/reps/{other}", json={"name": "挖人", "team": org.teams[0]})
    assert moved.status_code == 403
    contest = {**org.definition, "id": unique("mine"), "teams": [org.teams[0]]}
    assert manager.call("POST", "/api/v1/contests", json=contest).status_code == 201
    everyone = {**org.definition, "id": unique("all"), "teams": org.teams}
    assert manager.call("POST", "/api/v1/contests", json=everyone).status_code == 403
    assert manager.call("POST", f"/api/v1/contests/{org.contest}/pause").status_code == 403
    assert manager.call("GET", f"/api/v1/audit?target={contest['id']}").status_code == 200
    assert manager.call("GET", "/api/v1/audit").status_code == 403
    assert manager.call("GET", "/api/v1/keys").status_code == 403
    assert manager.call("PUT", "/api/v1/users/sneaky", json={"role": "admin", "password": "x" * 10}).status_code == 403


def test_reps_only_get_the_phone(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=2)
    username, password = make_user(admin, "rep", rep=org.reps[0])
    rep = Browser(server)
    response = rep.login(username, password)
    assert response.headers["location"] == "/m"
    assert rep.client.get("/admin").headers["location"] == "/m"
    assert rep.call("POST", "/api/v1/contests", json=org.definition).status_code == 403
    assert rep.call("GET", f"/api/v1/reps/{org.reps[1]}/profile").status_code == 403
    assert rep.call("GET", f"/api/v1/reps/{org.reps[0]}/profile").status_code == 200
    state = rep.client.get("/m/state.json").json()
    assert state["rep"] == org.reps[0] and state["contests"][0]["id"] == org.contest


def test_a_sign_in_link_works_once(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    username, _ = make_user(admin, "rep", rep=org.reps[0])
    link = admin.post(f"/api/v1/users/{username}/signin-link")
    assert link.status_code == 201
    path = httpx.URL(link.json()["url"]).path
    phone = httpx.Client(base_url=server.base_url, follow_redirects=False)
    page = phone.get(path)
    assert page.status_code == 200  # a link preview does not use it up
    token = CSRF_INPUT.search(page.text).group(1)  # type: ignore[union-attr]
    first = phone.post(path, data={"csrf_token": token})
    assert first.status_code == 303 and first.headers["location"] == "/m"
    again = httpx.Client(base_url=server.base_url, follow_redirects=False)
    token = CSRF_INPUT.search(again.get(path).text).group(1)  # type: ignore[union-attr]
    assert again.post(path, data={"csrf_token": token}).status_code == 410


def test_api_keys_are_shown_once_listed_by_id_and_revoked(server: RunningServer, admin: httpx.Client) -> None:
    created = admin.post("/api/v1/keys", json={"scope": "ingest", "name": "HubSpot"})
    assert created.status_code == 201
    key, key_id = created.json()["key"], created.json()["id"]
    listed = admin.get("/api/v1/keys").json()["keys"]
    assert any(k["id"] == key_id and k["scope"] == "ingest" for k in listed)
    assert all("key" not in k for k in listed)
    org = make_org(admin, teams=1, reps_per_team=1)
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}) as crm:
        assert crm.post("/api/v1/events", json=deal(org.reps[0], 1000)).status_code == 200
        assert crm.get("/api/v1/contests").status_code == 403  # a valid key, but only for ingestion
        assert admin.delete(f"/api/v1/keys/{key_id}").status_code == 204
        assert crm.get("/api/v1/contests").status_code == 401  # (ingestion may reuse a check for seconds)


def test_displays_are_created_with_slides_renamed_rotated_and_revoked(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin, teams=2, reps_per_team=1, goal=500)
    playlist = [
        f"contest:{org.contest}",
        {"board": f"contest:{org.contest}", "kind": "thermometer", "seconds": 15},
        {"board": f"contest:{org.contest}:teams", "kind": "tug"},
        {"kind": "stars"},
        {"kind": "badges", "seconds": 10},
    ]
    created = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": playlist})
    assert created.status_code == 201, created.text
    display = created.json()
    assert [s["kind"] for s in display["slides"]] == ["board", "thermometer", "tug", "stars", "badges"]
    assert display["playlist"] == [f"contest:{org.contest}", f"contest:{org.contest}:teams", "xp:month"]
    bad = admin.post("/api/v1/displays", json={"name": "x", "playlist": [{"board": "contest:x", "kind": "tug"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "playlist[0].board"
    assert httpx.get(display["url"]).status_code == 200
    changed = admin.put(f"/api/v1/displays/{display['id']}", json={"name": "前台", "locale": "en", "sound": True})
    assert changed.json()["name"] == "前台" and changed.json()["sound"] is True
    rotated = admin.post(f"/api/v1/displays/{display['id']}/rotate").json()
    assert httpx.get(display["url"]).status_code == 404
    assert httpx.get(rotated["url"]).status_code == 200
    config = httpx.get(rotated["url"] + "/config.json").json()
    assert config["slides"][1]["kind"] == "thermometer"
    assert admin.delete(f"/api/v1/displays/{display['id']}").status_code == 204
    assert httpx.get(rotated["url"]).status_code == 404
    assert httpx.get(rotated["url"] + "/config.json").status_code == 404


def test_a_display_keeps_quiet_hours_and_refuses_malformed_ones(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    display = admin.post("/api/v1/displays", json={"name": "tv", "playlist": [f"contest:{org.contest}"]}).json()
    assert display["quiet_hours"] is None
    for bad in ("25:00-08:00", "22:00", "22:00-22:00", 2200, "22:00–08:00"):
        answer = admin.put(f"/api/v1/displays/{display['id']}", json={"quiet_hours": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["errors"][0]["field"] == "quiet_hours"
    changed = admin.put(f"/api/v1/displays/{display['id']}", json={"quiet_hours": "22:00-08:00"})
    assert changed.status_code == 200 and changed.json()["quiet_hours"] == "22:00-08:00"
    assert httpx.get(display["url"] + "/config.json").json()["quiet_hours"] == "22:00-08:00"
    cleared = admin.put(f"/api/v1/displays/{display['id']}", json={"quiet_hours": None})
    assert cleared.json()["quiet_hours"] is None


def test_the_badge_wall_shows_initials_of_opted_out_reps_to_displays(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    admin.put(f"/api/v1/reps/{org.reps[0]}", json={"name": "Alice Chen", "team": org.teams[0], "opted_out": True})
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[0], 5000))
    playlist = [f"contest:{org.contest}", {"kind": "badges"}]
    display = admin.post("/api/v1/displays", json={"name": "tv", "playlist": playlist}).json()

    def on_the_wall() -> list[dict[str, Any]]:
        wall = httpx.get(f"{server.base_url}/api/v1/wall/badges", params={"token": display["token"]}).json()
        return [b for b in wall["badges"] if b["rep"] == org.reps[0]]

    mine = eventually(on_the_wall, what="the rep's first-deal badge on the wall")
    assert all(b["name"] == "A.C." for b in mine)


def test_a_challenge_accepted_becomes_a_head_to_head_contest(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=3)
    users = [make_user(admin, "rep", rep=rep) for rep in org.reps[:2]]
    challenger, opponent = Browser(server), Browser(server)
    challenger.login(*users[0])
    opponent.login(*users[1])
    created = challenger.call(
        "POST", "/api/v1/challenges", json={"opponent": org.reps[1], "days": 7, "metric": "deals"}
    )
    assert created.status_code == 201, created.text
    challenge = created.json()
    assert challenger.call("POST", f"/api/v1/challenges/{challenge['id']}/accept").status_code == 403
    assert opponent.call("GET", "/api/v1/challenges").json()["challenges"][0]["id"] == challenge["id"]
    accepted = opponent.call("POST", f"/api/v1/challenges/{challenge['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    contest_id = accepted.json()["contest"]
    contest = admin.get(f"/api/v1/contests/{contest_id}").json()
    assert contest["kind"] == "head_to_head" and contest["sides"] == org.reps[:2]
    assert opponent.call("POST", f"/api/v1/challenges/{challenge['id']}/decline").status_code == 409
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[1], 1000, occurred_at=datetime.now(UTC).isoformat()))
    board = admin.get(f"/api/v1/contests/{contest_id}/leaderboard").json()
    assert [r["id"] for r in board["rows"]] == [org.reps[1], org.reps[0]]
    assert board["rows"][0]["score"] == 1
    itself = challenger.call("POST", "/api/v1/challenges", json={"opponent": org.reps[0], "days": 7})
    assert itself.status_code == 422


def test_csv_import_previews_every_row_then_imports_the_valid_ones(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    new_id = unique("rep")
    team = org.teams[0]
    text = f"id,name,team,opted_out\n{new_id},王小明,{team},no\nbad id!,坏行,{team},\n{unique('r')},无队,nope,\n"
    headers = {"Content-Type": "text/csv"}
    preview = admin.post("/api/v1/reps/import?dry_run=1", content=text.encode(), headers=headers).json()
    assert preview["valid"] == 1 and preview["invalid"] == 2 and preview["imported"] == 0
    assert [bool(r["errors"]) for r in preview["rows"]] == [False, True, True]
    assert "team" in preview["rows"][2]["errors"][0]
    assert new_id not in {r["id"] for r in admin.get("/api/v1/reps").json()["reps"]}
    done = admin.post("/api/v1/reps/import", content=text.encode(), headers=headers).json()
    assert done["imported"] == 1
    assert new_id in {r["id"] for r in admin.get("/api/v1/reps").json()["reps"]}
    board = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()
    assert new_id in {r["id"] for r in board["rows"]}


def test_the_rules_preview_speaks_both_languages(admin: httpx.Client, calendar: Calendar) -> None:
    body = {
        "id": "preview-1",
        "name": "十二月销冠赛",
        "starts_at": calendar.starts,
        "ends_at": calendar.ends(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
        "multipliers": {"category": {"high_margin": "1.5"}},
    }
    preview = admin.post("/api/v1/contests/preview", json=body).json()
    assert preview["valid"] is True
    assert preview["rules"]["zh-CN"] == "每成交 ¥1,000 得 1 分；高利润产品 ×1.5。"
    assert preview["rules"]["en"] == "1 point per ¥1,000 won; high-margin products ×1.5."
    broken = admin.post("/api/v1/contests/preview", json={**body, "rules": []}).json()
    assert broken["valid"] is False and broken["errors"][0]["field"] == "rules"


@pytest.mark.parametrize(
    "path", ["/admin", "/admin/contests", "/admin/people", "/admin/displays", "/admin/users", "/m"]
)
def test_pages_send_strangers_to_the_login(server: RunningServer, path: str) -> None:
    response = httpx.get(server.base_url + path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def _monthly(calendar: Calendar, **prize: Any) -> dict[str, Any]:
    return {
        "id": unique("prizes"),
        "name": "十二月销冠赛",
        "starts_at": calendar.starts,
        "ends_at": calendar.ends(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
        "prizes": [{"rank": 1, "prize": "¥5,000 奖金"}, {"rank": [2, 3], "prize": "¥2,000 bonus"}, prize],
    }


@pytest.mark.parametrize(
    ("prize", "field"),
    [
        ({"rank": 4, "prize": "-¥1000"}, "prizes[2].prize"),
        ({"rank": 4, "prize": "奖金 ¥-1,000"}, "prizes[2].prize"),
        ({"rank": 4, "prize": "bonus: −$50"}, "prizes[2].prize"),
        ({"threshold": 300, "prize": "coffee", "value": "-30"}, "prizes[2].value"),
    ],
)
def test_a_prize_of_a_negative_amount_of_money_is_refused_naming_the_prize(
    admin: httpx.Client, calendar: Calendar, prize: dict[str, Any], field: str
) -> None:
    definition = _monthly(calendar, **prize)
    for path in ("/api/v1/contests", "/api/v1/contests/preview"):
        response = admin.post(path, json=definition)
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == [field], (path, errors)
        assert "negative" in errors[0]["message"]
    assert admin.post("/api/v1/contests", json=definition).status_code == 422
    assert admin.get(f"/api/v1/contests/{definition['id']}").status_code == 404


@pytest.mark.parametrize("text", ["Top-3 dinner", "2-3 名：团队聚餐", "¥2,000 bonus", "iPhone 15-Pro"])
def test_prizes_with_ranges_and_hyphens_are_not_mistaken_for_negative_money(
    admin: httpx.Client, calendar: Calendar, text: str
) -> None:
    definition = _monthly(calendar, rank=4, prize=text, value="2000")
    response = admin.post("/api/v1/contests", json=definition)
    assert response.status_code == 201, response.text
    assert response.json()["prizes"][2]["prize"] == text


def test_the_console_has_words_for_every_error_a_wizard_can_meet(admin: httpx.Client, calendar: Calendar) -> None:
    """Each field error the contest API answers matches a pattern of the console's catalogue, so none reaches a
    Chinese page in developer English."""
    import re

    from server.i18n.field_messages import MESSAGES

    good = _monthly(calendar, threshold=300, prize="coffee")
    broken: list[dict[str, Any]] = [
        {**good, "name": "", "id": "", "ends_at": calendar.starts, "rules": []},
        {**good, "starts_at": "tomorrow", "rules": [{"on": "deal.won"}], "prizes": [{"rank": [3, 2], "prize": "x"}]},
        {**good, "prizes": [{"threshold": 0, "prize": "x"}, {"rank": 1, "threshold": 5, "prize": "y"}, {"rank": 1}]},
        {
            **good,
            "scoring": "percent_of_target",
            "target": 0,
            "kind": "race",
            "rules": [{"on": "deal.won", "points": -1}],
        },
        {**good, "divisions": {"a": ["r1"], "b": ["r1"]}, "rules": [{"on": "deal.won", "points_per": "-5"}]},
        {
            **good,
            "timezone": "Mars/Base",
            "currency": "yuan",
            "team_score": "best",
            "prizes": [{"rank": 1, "prize": "-¥1"}],
        },
    ]
    seen = []
    for definition in broken:
        response = admin.post("/api/v1/contests/preview", json=definition)
        seen += response.json()["errors"]
    duplicate = admin.post("/api/v1/contests", json={**good, "id": make_org(admin, teams=1, reps_per_team=1).contest})
    assert duplicate.status_code == 409
    seen += duplicate.json()["errors"]
    assert len(seen) >= 15
    unmatched = [e for e in seen if not any(re.search(pattern, e["message"]) for pattern, _ in MESSAGES)]
    assert unmatched == []
