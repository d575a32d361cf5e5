"""Celebrations on the office TV leave the board in view: ordinary deals go to the footer banner, the full card
is kept for moments that deserve it and spaced out, and quiet hours silence it. Measured in Chromium."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, watch_page
from tests.support.org import deal, make_org
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# A server of its own: the banner shows only the badges of the contests made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


SAMPLE_MS = 250
DEALS = 30  # one a second: half a minute of a very busy sales floor
# Every SAMPLE_MS: is the full-screen card up? Is the banner up? (kept in the page, read at the end)
START_SAMPLING = """(ms) => {
  window.samples = [];
  window.sampler = setInterval(() => window.samples.push({
    card: !document.getElementById("celebration").hidden,
    banner: !document.getElementById("banner").hidden,
    rows: document.querySelectorAll("#board .row").length,
  }), ms);
}"""
STOP_SAMPLING = "() => { clearInterval(window.sampler); return window.samples; }"


def test_at_a_deal_a_second_the_board_stays_visible_most_of_the_time(
    browser: Browser, server: RunningServer, now: datetime
) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=3)
        display = admin.post(
            "/api/v1/displays",
            json={"name": "大厅", "playlist": [f"contest:{org.contest}"], "big_deal": 200_000},
        ).json()
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{display['token']}")
    expect(page.locator("#board .row")).to_have_count(6)
    page.evaluate(START_SAMPLING, SAMPLE_MS)
    began = time.monotonic()
    with server.ingest() as ingest:
        for n in range(DEALS):
            # each deal takes the lead from the last (a new leader every second) and every fifth is a big deal
            amount = 300_000 if n % 5 == 4 else 20_000 * (n + 1)
            rep = org.reps[n % len(org.reps)]
            assert ingest.post("/api/v1/events", json=deal(rep, amount)).json()["accepted"] == 1
            time.sleep(max(0.0, began + n + 1 - time.monotonic()))  # the pace of the load, not a wait
    samples = page.evaluate(STOP_SAMPLING)
    covered = sum(1 for s in samples if s["card"])
    visible = 1 - covered / len(samples)
    print(f"board visible in {len(samples) - covered} of {len(samples)} samples ({visible:.0%})")
    assert len(samples) >= DEALS * 1000 / SAMPLE_MS * 0.9, "the sampler ran the whole time"
    assert covered > 0, "new leaders and big deals still get the full card"
    assert any(s["banner"] for s in samples), "ordinary deals are announced in the banner"
    assert visible >= 0.8, f"the board was visible only {visible:.0%} of the time"
    expect(page.locator("#banner")).to_be_visible(timeout=10_000)
    screenshot(page, "tv-banner-zh-CN.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()


def test_an_ordinary_deal_shows_a_banner_and_the_board_stays_uncovered(browser: Browser, server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=3)
        display = admin.post("/api/v1/displays", json={"name": "tv", "playlist": [f"contest:{org.contest}"]}).json()
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[0], 90_000))
        ingest.post("/api/v1/events", json=deal(org.reps[1], 10_000))  # their first-deal badges come now
    with server.admin() as admin:  # awarded by the badge worker a moment later: let them land before the TV opens

        def holders() -> set[str]:
            return {item["rep"] for item in admin.get("/api/v1/wall/badges").json()["badges"]}

        eventually(lambda: holders() >= set(org.reps[:2]), what="both reps' first-deal badges")
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en")
    page = context.new_page()
    page.goto(f"{server.base_url}/tv/{display['token']}")
    expect(page.locator("#board .row")).to_have_count(3)
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[1], 12_000))  # no lead change, no big deal, no badge
    expect(page.locator("#banner")).to_be_visible(timeout=5000)
    expect(page.locator("#banner-kicker")).to_have_text("New deal!")
    expect(page.locator("#banner-detail")).to_contain_text("¥12,000")
    expect(page.locator("#celebration")).to_be_hidden()
    screenshot(page, "tv-banner-720p-en.png")
    banner = page.locator("#banner").bounding_box()
    rows = page.locator("#board .row").last.bounding_box()
    assert banner and rows and banner["y"] >= rows["y"] + rows["height"], "the banner sits below the board"
    expect(page.locator("#banner")).to_be_hidden(timeout=10_000)
    expect(page.locator("#ticker")).to_be_visible()
    context.close()


def test_quiet_hours_bring_no_full_card(browser: Browser, server: RunningServer, now: datetime) -> None:
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))  # the organisation's zone (ARENA_TIMEZONE's default)
    quiet = f"{local - timedelta(hours=1):%H:%M}-{local + timedelta(hours=1):%H:%M}"
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
        display = admin.post(
            "/api/v1/displays",
            json={"name": "tv", "playlist": [f"contest:{org.contest}"], "quiet_hours": quiet, "sound": True},
        ).json()
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[0], 10_000))
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    errors, _ = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{display['token']}")
    expect(page.locator("#board .row")).to_have_count(2)
    assert page.evaluate("arenaTv.quiet()") is True
    page.evaluate(START_SAMPLING, 100)
    with server.ingest() as ingest:  # a new leader with a big deal: a full card at any other time
        ingest.post("/api/v1/events", json=deal(org.reps[1], 900_000))
    expect(page.locator("#board .row").first).to_have_attribute("data-id", org.reps[1])
    expect(page.locator("#banner")).to_be_visible(timeout=5000)
    expect(page.locator("#banner-name")).to_contain_text("销售 0-1")
    expect(page.locator("#banner")).to_be_hidden(timeout=10_000)
    samples = page.evaluate(STOP_SAMPLING)
    assert samples and not any(s["card"] for s in samples), "no full card during quiet hours"
    assert not errors, errors
    context.close()
