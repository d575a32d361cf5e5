"""The console's home page over real HTTP: a manager sees their own live contests only, an admin also the
CRM users waiting to be matched and the failed chat deliveries, and the counts follow what happens."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import httpx

from game.contests import parse_contest
from server.integrations.generic import sign
from server.web.dashboard import days_left
from tests.support.accounts import signed_in
from tests.support.integrations import create_connector
from tests.support.org import deal, make_org
from tests.support.server import RunningServer
from tests.support.waiting import eventually

SECRET = "dashboard-signing-secret-0123456789"


def count(html: str, item: str) -> int:
    found = re.search(rf'id="open-{item}".*?<strong class="count">([^<]*)</strong>', html, re.S)
    assert found, f"no {item} item"
    return int(found.group(1))


def test_a_manager_sees_their_contests_and_an_admin_the_crm_users_to_match(
    server: RunningServer, admin: httpx.Client
) -> None:
    mine, theirs = make_org(admin, teams=1), make_org(admin, teams=1)
    manager = signed_in(server, admin, "manager", teams=mine.teams)
    home = manager.client.get("/admin")
    assert home.status_code == 200
    assert f'data-contest="{mine.contest}"' in home.text and f'data-contest="{theirs.contest}"' not in home.text
    assert count(home.text, "disputes") == 0
    assert 'id="open-unmatched"' not in home.text and 'id="open-deliveries"' not in home.text
    assert signed_in(server, admin, "rep", rep=mine.reps[0]).client.get("/admin").headers["location"] == "/m"
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=[deal(mine.reps[0], 30_000)]).json()["accepted"] == 1

    def badges_listed() -> str:
        page = manager.client.get("/admin", headers={"Accept-Language": "en"}).text
        return page[page.index('id="badges"') :]

    listed = eventually(lambda: "销售 0-0" in badges_listed() and badges_listed(), what="the first-deal badge")
    assert "First Deal" in listed

    boss = signed_in(server, admin, "admin")
    before = count(boss.client.get("/admin").text, "unmatched")
    assert count(boss.client.get("/admin").text, "deliveries") >= 0
    connector = create_connector(admin, "generic", {"secret": SECRET})
    body = json.dumps([deal("crm-new-hire", "20000")]).encode()
    now = str(int(time.time()))
    headers = {"X-Arena-Timestamp": now, "X-Arena-Signature": sign(SECRET, now, body)}
    answer = httpx.post(f"{server.base_url}/hooks/generic/{connector}", content=body, headers=headers, timeout=20)
    assert answer.status_code == 200 and answer.json()["held"] == 1, answer.text
    assert count(boss.client.get("/admin").text, "unmatched") == before + 1


def test_days_left_count_the_day_in_progress() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    contest = parse_contest(
        {
            "id": "c",
            "name": "c",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=10)).isoformat(),
            "rules": [{"on": "deal.won", "points": 1}],
        },
        default_timezone="Asia/Shanghai",
        default_currency="CNY",
    )
    assert days_left(contest, start) == 10
    assert days_left(contest, start + timedelta(days=9, hours=23)) == 1
    assert days_left(contest, start + timedelta(days=11)) == 0
