"""Percent-of-target contests in the console, in a real Chromium, in Chinese and English: boards keep tenths of
a percent, and the contest page, the dashboard and the rep page show them as percentages with one decimal under
a "% of target" header, never as raw integers under "Points", and so does the TV; a deal sent through the ingest
API moves them."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in, watch_page
from tests.support.org import deal, make_org
from tests.support.server import RunningServer

# A server of its own: the dashboard lists only the contests made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


HEADERS = {"zh-CN": "目标完成率 %", "en": "% of target"}
POINTS = {"zh-CN": "积分", "en": "Points"}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_percent_of_target_scores_read_as_percentages(browser: Browser, server: RunningServer, locale: str) -> None:
    with server.admin() as admin:
        # every rep's target is 100 points; a point per 1,000 won
        org = make_org(
            admin,
            teams=2,
            reps_per_team=2,
            scoring="percent_of_target",
            default_target=100,
            prizes=[{"rank": 1, "prize": "iPhone"}, {"rank": [2, 3], "prize": "¥2,000", "min_score": 300}],
        )
        username = f"mgr-{uuid.uuid4().hex[:6]}"
        admin.put(
            f"/api/v1/users/{username}",
            json={"role": "manager", "password": "console-password-1", "teams": org.teams},
        )
    with server.ingest() as ingest:
        deals = [deal(org.reps[0], 50_000), deal(org.reps[2], 20_000)]
        assert ingest.post("/api/v1/events", json=deals).json()["accepted"] == 2
    with server.admin() as admin:  # the board itself keeps tenths of a percent
        board = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]
        assert [row["score"] for row in board[:2]] == [500, 200]
        exported = admin.get(f"/api/v1/contests/{org.contest}/results.csv").text.lstrip("\ufeff").splitlines()
        assert exported[0].split(",")[4:6] == ["score", "percent_of_target"]
        assert exported[1].split(",")[4:6] == ["500", "50.0"]

    context, page, errors, foreign = signed_in(
        browser, server, locale, username=username, password="console-password-1"
    )
    # the dashboard: the leader at 50.0 %, teams at a quarter and a tenth of their summed targets (200 points)
    card = page.locator(f'.dash-contest[data-contest="{org.contest}"]')
    expect(card.locator(".leader .score")).to_have_text("50.0%")
    expect(card.locator(".dash-teams thead th").last).to_have_text(HEADERS[locale])
    expect(card.locator(f'.dash-teams tr[data-team="{org.teams[0]}"] .score')).to_have_text("25.0%")
    expect(card.locator(f'.dash-teams tr[data-team="{org.teams[1]}"] .score')).to_have_text("10.0%")
    screenshot(page, f"console-percent-dashboard-{locale}.png")

    # a new deal moves the live rows, still as percentages
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=[deal(org.reps[1], 45_000)]).json()["accepted"] == 1
    expect(card.locator(f'.dash-teams tr[data-team="{org.teams[0]}"] .score')).to_have_text("47.5%", timeout=20_000)
    expect(card.locator(".leader .score")).to_have_text("50.0%")

    # the contest page: standings and team standings under "% of target"
    page.goto(f"{server.base_url}/admin/contests/{org.contest}")
    standings = page.locator("table", has=page.locator("a[href^='/admin/reps/']")).first
    expect(standings.locator("thead th").last).to_have_text(HEADERS[locale])
    expect(standings.locator("tbody tr").first.locator("td").last).to_have_text("50.0%")
    expect(standings.locator("tbody tr").nth(1).locator("td").last).to_have_text("45.0%")
    teams = page.locator("#team-standings")
    expect(teams.locator("thead th").last).to_have_text(HEADERS[locale])
    expect(teams.locator("tbody tr").first.locator("td").last).to_have_text("47.5%")
    assert POINTS[locale] not in teams.locator("thead").inner_text()
    # the prize's minimum is in tenths too (300): the third place, at 20.0 %, stays empty below 30.0 %
    expect(page.locator("#prizes .unawarded .prize-note")).to_contain_text("30.0%")
    screenshot(page, f"console-percent-contest-{locale}.png")

    # the TV: the board's rows as percentages too, moved by a deal on the websocket
    with server.admin() as admin:
        display = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": [f"contest:{org.contest}"]}).json()
    page.goto(f"{server.base_url}/tv/{display['token']}")
    expect(page.locator("#board .row").first.locator(".row-number")).to_have_text("50.0%")
    expect(page.locator("#board .row").nth(1).locator(".row-number")).to_have_text("45.0%")
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=[deal(org.reps[3], 27_000)]).json()["accepted"] == 1
    expect(page.locator("#board .row").nth(2).locator(".row-number")).to_have_text("27.0%", timeout=20_000)
    screenshot(page, f"tv-percent-{locale}.png")

    # the rep page: points stay points, the share of the target reads as a percentage with one decimal
    page.goto(f"{server.base_url}/admin/reps/{org.reps[0]}")
    section = page.locator(f'.rep-contest[data-contest="{org.contest}"]')
    expect(section.locator(".pace-numbers")).to_contain_text("50.0%")
    expect(section.locator(".points")).to_have_text("50")
    screenshot(page, f"console-percent-rep-{locale}.png")
    assert not errors and not foreign, (errors, foreign)
    context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_reps_phone_reads_percent_of_target_as_percentages(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=2, scoring="percent_of_target", default_target=100)
        me = org.reps[3]
        username, password = f"rep-{uuid.uuid4().hex[:6]}", "phone-password-1"
        admin.put(f"/api/v1/users/{username}", json={"role": "rep", "password": password, "rep": me})
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=[deal(org.reps[0], 50_000), deal(me, 20_000)]).json()["accepted"] == 2
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale=locale, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/m")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    card = page.locator(f'article.contest[data-contest="{org.contest}"]')
    expect(card.locator(".c-score")).to_have_text("20.0%")
    expect(card.locator(".c-gap")).to_contain_text("30.0%")  # to the leader at 50.0 %
    # a deal on the websocket: 20 + 25 of 100 points
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=[deal(me, 25_000)]).json()["accepted"] == 1
    expect(card.locator(".c-score")).to_have_text("45.0%", timeout=20_000)
    expect(card.locator(".c-gap")).to_contain_text("5.0%")
    assert "pts" not in card.locator(".c-gap").inner_text() and "分" not in card.locator(".c-gap").inner_text()
    screenshot(page, f"phone-percent-{locale}.png")
    assert not errors and not foreign, (errors, foreign)
    context.close()
