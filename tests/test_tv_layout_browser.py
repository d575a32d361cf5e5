"""Every slide of the office TV fits its screen at 720p, 1080p and 4K, in Chinese and English: nothing runs into
the header, the slide dots or the ticker, nothing leaves the viewport. A contest that has not started says when it
starts, with its rules and prizes, and nobody gets a medal for 0 points."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import screenshot, settle, watch_page
from tests.support.calendar import SHANGHAI
from tests.support.org import deal, make_org, unique
from tests.support.page_checks import TV_OVERFLOWS, TV_SIZES, tv_overflows
from tests.support.server import RunningServer

pytestmark = pytest.mark.browser

KINDS = ["board", "teams", "tug", "thermometer", "wins", "badges", "stars", "goal"]
# Every card's meaning made three times the longest built-in one ("Comeback" takes two lines): the wall's two rows
# still fit the slide (a later update of the wall puts the real meanings back, which fit as well).
LONG_MEANINGS = """() => document.querySelectorAll("#badge-wall .badge-meaning").forEach((meaning) => {
  meaning.textContent = "From the bottom half of the board into the top three 从榜单后半段冲进前三名 ".repeat(3);
})"""


def crowded_org(admin: Any, now: datetime) -> tuple[Any, dict[str, Any]]:
    """Eight teams of two with long names, a deal each (eight wins, eight badges), a goal, every kind of slide."""
    org = make_org(admin, teams=8, reps_per_team=2, goal=5000)
    for index, team in enumerate(org.teams):
        admin.put(f"/api/v1/teams/{team}", json={"name": f"华东区第{index + 1}战队 Enterprise Sales East"})
    for index, rep in enumerate(org.reps[:4]):
        admin.put(f"/api/v1/reps/{rep}", json={"name": f"欧阳娜娜 Alexandra Montgomery-{index}"})
    board = f"contest:{org.contest}"
    playlist = [
        {"board": board, "kind": "board"},
        {"board": f"{board}:teams", "kind": "teams"},
        {"board": f"{board}:teams", "kind": "tug"},
        {"board": board, "kind": "thermometer"},
        {"board": board, "kind": "wins"},
        {"kind": "badges"},
        {"kind": "stars"},
        {"kind": "goal", "goal": company_goal(admin, org.teams, now)},
    ]
    display = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": playlist}).json()
    return org, display


def company_goal(admin: Any, teams: list[str], now: datetime) -> str:
    """A quarter's company goal split by hand between the eight teams: the goal slide's legend names them all."""
    local = now.astimezone(SHANGHAI)
    goal_id = unique("goal")
    period = f"{local.year}-Q{(local.month - 1) // 3 + 1}"
    goal = {"metric": "revenue", "period": period, "level": "company", "target": 8_000_000, "name": "季度目标"}
    assert admin.put(f"/api/v1/goals/{goal_id}", json=goal).status_code == 201
    parts = dict.fromkeys(teams, 1_000_000)
    assert admin.post(f"/api/v1/goals/{goal_id}/breakdown", json={"split": "hand", "parts": parts}).status_code == 200
    return goal_id


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_no_slide_overflows_at_720p_1080p_or_4k(
    browser: Browser, server: RunningServer, now: datetime, locale: str
) -> None:
    with server.admin() as admin:
        org, display = crowded_org(admin, now)
    with server.ingest() as ingest:
        for index, rep in enumerate(org.reps):
            moment = (now - timedelta(minutes=index)).isoformat()
            ingest.post("/api/v1/events", json=deal(rep, 1_234_000 + index * 1000, occurred_at=moment))
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{display['token']}")
    expect(page.locator("#board .row")).to_have_count(10)
    expect(page.locator("#celebration")).to_be_hidden()
    overflowing: list[str] = []
    for width, height in TV_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for index, kind in enumerate(KINDS):
            page.evaluate(f"arenaTv.show({index})")
            expect(page.locator(f'.slide[data-kind="{kind}"]')).to_be_visible()
            full = {"board": "#board .row", "wins": "#wins .win", "badges": "#badge-wall .badge-card",
                    "stars": "#stars .row", "teams": "#team-bars .team-bar"}  # fmt: skip
            if kind == "goal":
                expect(page.locator("#goal-teams li")).to_have_count(8)
            if kind in full:
                expect(page.locator(full[kind])).to_have_count(8 if kind in ("wins", "badges", "teams") else 10)
            settle(page)
            boxes = tv_overflows(page, ".stage .slide:not([hidden])")
            overflowing += [f"{width}×{height} {kind}: {box}" for box in boxes]
            if kind in ("wins", "badges", "board") or width == 1920:
                screenshot(page, f"tv-fit-{locale}-{height}p-{kind}.png")
            if kind == "badges":  # whichever badges land meanwhile: every meaning as long as they come
                page.evaluate(LONG_MEANINGS)
                boxes = tv_overflows(page, ".stage .slide:not([hidden])")
                overflowing += [f"{width}×{height} badges with long meanings: {box}" for box in boxes]
    assert not overflowing, overflowing
    assert not errors, errors
    assert not foreign, foreign
    context.close()


def show_upcoming(page: Page) -> None:
    expect(page.locator("#upcoming")).to_be_visible()
    expect(page.locator('.slide[data-kind="board"]')).to_be_hidden()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_contest_that_has_not_started_says_when_with_rules_and_prizes(
    browser: Browser, server: RunningServer, now: datetime, locale: str
) -> None:
    prizes = [{"rank": 1, "prize": "¥5,000 奖金"}, {"rank": [2, 3], "prize": "¥2,000 奖金"}]
    with server.admin() as admin:
        org = make_org(
            admin,
            teams=2,
            reps_per_team=5,
            starts_at=(now + timedelta(days=2, hours=3)).isoformat(),
            ends_at=(now + timedelta(days=30)).isoformat(),
            prizes=prizes,
        )
        display = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": [f"contest:{org.contest}"]}).json()
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale=locale)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{display['token']}")
    show_upcoming(page)
    starts = "距开始 2天 " if locale == "zh-CN" else "Starts in 2d "
    expect(page.locator("#upcoming-countdown")).to_contain_text(starts)
    expect(page.locator("#upcoming-rules")).to_contain_text("1,000")  # 每成交 ¥1,000 得 1 分
    expect(page.locator("#upcoming-prizes li")).to_have_count(2)
    first, second = ("第 1 名：¥5,000 奖金", "第 2–3 名：¥2,000 奖金") if locale == "zh-CN" else (
        "Place 1: ¥5,000 奖金", "Places 2–3: ¥2,000 奖金")  # fmt: skip
    expect(page.locator("#upcoming-prizes li").first).to_have_text(first)
    expect(page.locator("#upcoming-prizes li").last).to_have_text(second)
    expect(page.locator(".row-rank")).to_have_count(0)  # no ranks, no medals
    for width, height in TV_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        assert page.evaluate(TV_OVERFLOWS, "#upcoming") == [], f"{width}×{height}"
    screenshot(page, f"tv-upcoming-{locale}.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()


def test_a_live_contest_where_everyone_has_0_shows_no_medals(browser: Browser, server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=3)
        display = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": [f"contest:{org.contest}"]}).json()
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server.base_url}/tv/{display['token']}")
    rows = page.locator("#board .row")
    expect(rows).to_have_count(6)
    assert page.locator("#board .row-rank").all_inner_texts() == ["–"] * 6
    assert page.locator('#board .row[data-rank="1"]').count() == 0, "no gold for nobody"
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[3], 5000))
    expect(rows.first).to_have_attribute("data-rank", "1")
    expect(rows.first.locator(".row-rank")).to_have_text("1")
    expect(page.locator('#board .row[data-rank="2"]')).to_have_count(0)  # 0 points: a place, no silver
    expect(rows.nth(1).locator(".row-rank")).to_have_text("2")
    screenshot(page, "tv-zero-points.png")
    context.close()
