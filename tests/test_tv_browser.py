"""The office TV in a real headless Chromium: live moves, celebrations, every kind of slide, and recovery after
the server goes away and comes back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from server.embedded_redis import EmbeddedRedis
from tests.support.browser import screenshot, watch_page
from tests.support.org import deal, make_org
from tests.support.server import RunningServer, launch_server

# A server of its own: live moves are timed on a server busy with this module only.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


def now() -> str:
    return datetime.now(UTC).isoformat()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_tv_board_moves_live_when_a_deal_is_posted(browser: Browser, server: RunningServer, locale: str) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=3)
        display = admin.post(
            "/api/v1/displays", json={"name": "大厅电视", "playlist": [f"contest:{org.contest}"]}
        ).json()
    with server.ingest() as ingest:
        for points, rep in enumerate(org.reps[:5], start=1):
            ingest.post("/api/v1/events", json=deal(rep, points * 10_000))
    climber = org.reps[5]  # no points yet: last place
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{display['token']}")
    rows = page.locator("#board .row")
    expect(rows).to_have_count(6)
    expect(rows.first).not_to_have_attribute("data-id", climber)
    expect(page.locator(f'#board .row[data-id="{climber}"] .row-rank')).to_have_text("6")
    expect(page.locator("#board-title")).to_have_text("十二月销冠赛")
    expect(page.locator("#slide-label")).to_have_text("排行榜" if locale == "zh-CN" else "Leaderboard")
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=deal(climber, 990_000)).json()["accepted"] == 1
    # live within seconds (the deal-to-screen latency itself is measured by scripts/bench_fanout.py)
    expect(rows.first).to_have_attribute("data-id", climber, timeout=5000)
    expect(rows.first.locator(".row-rank")).to_have_text("1")
    expect(rows.first.locator(".row-number")).to_have_text("990")
    expect(rows.first.locator(".team-label")).to_have_text("战队 1")
    expect(page.locator("#celebration")).to_be_visible(timeout=3000)
    expect(page.locator("#celebration-name")).to_contain_text("销售 1-2")
    expect(page.locator("#celebration-detail")).to_contain_text("¥990,000")
    screenshot(page, f"tv-{locale}.png")  # once the rank animation has finished (screenshot settles)
    assert page.evaluate("document.documentElement.lang") == locale
    assert not errors, errors
    assert not foreign, foreign
    context.close()


def test_every_kind_of_slide_renders(browser: Browser, server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=3, goal=2000)
        admin.put(f"/api/v1/teams/{org.teams[0]}", json={"name": "华东战队", "color": "#e53935"})
        admin.put(f"/api/v1/teams/{org.teams[1]}", json={"name": "华北战队", "color": "#1e88e5"})
        admin.put(f"/api/v1/reps/{org.reps[0]}", json={"name": "Alice Chen", "team": org.teams[0], "opted_out": True})
        playlist = [
            f"contest:{org.contest}",
            {"board": f"contest:{org.contest}:teams", "kind": "teams"},
            {"board": f"contest:{org.contest}:teams", "kind": "tug"},
            {"board": f"contest:{org.contest}", "kind": "thermometer"},
            {"board": f"contest:{org.contest}", "kind": "wins"},
            {"kind": "badges"},
            {"kind": "stars"},
        ]
        display = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": playlist}).json()
    with server.ingest() as ingest:
        for index, rep in enumerate(org.reps):
            ingest.post("/api/v1/events", json=deal(rep, (index + 1) * 60_000, occurred_at=now()))
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{display['token']}")
    expect(page.locator("#board .row")).to_have_count(6)
    expect(page.locator(f'#board .row[data-id="{org.reps[0]}"] .row-name')).to_have_text("A.C.")
    checks = {
        1: ("#team-bars .team-bar", "华北战队"),
        2: ("#tug-lead", "领先"),
        3: ("#thermo-percent", "%"),
        4: ("#wins .win", "¥"),
        5: ("#badge-wall", "首单"),
        6: ("#stars .row", "经验"),
    }
    for index, (selector, text) in checks.items():
        page.evaluate(f"arenaTv.show({index})")
        expect(page.locator(selector).first).to_be_visible()
        expect(page.locator(selector).first).to_contain_text(text)
        screenshot(page, f"tv-slide-{index}.png")
    page.evaluate("arenaTv.show(3)")
    expect(page.locator("#thermo-percent")).to_have_text("63%")  # 60 + 120 + ... + 360 = 1,260 of 2,000
    assert not errors, errors
    assert not foreign, foreign
    context.close()
    big = browser.new_context(viewport={"width": 3840, "height": 2160}, locale="en")
    page = big.new_page()
    page.goto(f"{server.base_url}/tv/{display['token']}")
    expect(page.locator("#board .row")).to_have_count(6)
    row_height = page.locator("#board .row").first.bounding_box()["height"]  # type: ignore[index]
    assert row_height > 120, "rows scale with the screen: readable from 5 m on a 4K TV"
    screenshot(page, "tv-4k-en.png")
    big.close()


def test_the_tv_reconnects_by_itself_after_the_server_restarts(
    browser: Browser, redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    own = launch_server(redis_server.url, tmp_path)
    try:
        with own.admin() as admin:
            org = make_org(admin, teams=1, reps_per_team=3)
            display = admin.post("/api/v1/displays", json={"name": "tv", "playlist": [f"contest:{org.contest}"]}).json()
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en")
        page = context.new_page()
        errors, foreign = watch_page(page, own)
        page.goto(f"{own.base_url}/tv/{display['token']}")
        expect(page.locator("#board .row")).to_have_count(3)
        expect(page.locator("#connection")).to_be_hidden()
        own.stop()
        expect(page.locator("#connection")).to_be_visible(timeout=10_000)
        screenshot(page, "tv-reconnecting.png")
        with own.ingest() as ingest:  # nobody is listening: the deal lands while the TV is offline
            own.start()
            ingest.post("/api/v1/events", json=deal(org.reps[2], 500_000))
        expect(page.locator("#connection")).to_be_hidden(timeout=30_000)
        expect(page.locator("#board .row").first).to_have_attribute("data-id", org.reps[2], timeout=10_000)
        expect(page.locator("#board .row").first.locator(".row-number")).to_have_text("500")
        errors = [e for e in errors if "WebSocket" not in e and "ERR_CONNECTION_REFUSED" not in e]
        assert not errors, errors
        assert not foreign, foreign
        context.close()
    finally:
        own.stop()
