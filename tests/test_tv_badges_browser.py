"""The TV's badge wall in Chromium: each badge kind has its own drawn icon, its name and what earns it, and
each card says who earned it and when — at 720p, 1080p and 4K, in both languages, without spilling over."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, watch_page
from tests.support.org import deal, make_org
from tests.support.page_checks import TV_SIZES
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# A server of its own: on the shared one, other tests' late badge awards would push these off the wall.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]

EARNED = {  # badge id → (kind, the words of its meaning in each language)
    "first-deal": ("first_deal", "赢下第一单", "first won deal"),
    "big-deal": ("big_deal", "单笔成交 ¥100,000 及以上", "One deal of ¥100,000 or more"),
    "hat-trick": ("hat_trick", "同一天成交 3 单", "3 deals won on one day"),
    "million-month": ("threshold", "一个月内成交额达 ¥1,000,000", "¥1,000,000 won in a month"),
}


@pytest.fixture(scope="module")
def wall(server: RunningServer) -> dict[str, str]:
    """Two reps who each earn four badges of four kinds with three deals of ¥400,000 on one day: 欧阳建国 first,
    then 上官婉儿, whose four are then the newest on the wall of eight."""
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
        admin.put(f"/api/v1/reps/{org.reps[0]}", json={"name": "上官婉儿"})
        admin.put(f"/api/v1/reps/{org.reps[1]}", json={"name": "欧阳建国"})
        display = admin.post("/api/v1/displays", json={"name": "徽章墙", "playlist": [{"kind": "badges"}]}).json()

        def earned(rep: str) -> dict[str, str]:
            items = admin.get("/api/v1/wall/badges").json()["badges"]
            held = {b["badge"]: b["awarded_at"] for b in items if b["rep"] == rep}
            return held if set(held) >= set(EARNED) else {}

        with server.ingest() as ingest:
            for rep in reversed(org.reps):
                for _ in range(3):
                    assert ingest.post("/api/v1/events", json=deal(rep, 400_000)).json()["accepted"] == 1
                awarded = eventually(lambda rep=rep: earned(rep), what="four badges on the wall")
    return {"token": display["token"], "rep": org.reps[0], **awarded}


def when(awarded_at: str, locale: str) -> str | re.Pattern[str]:
    """The award's moment as the wall writes it, in the organisation's zone (Asia/Shanghai)."""
    local = datetime.fromisoformat(awarded_at).astimezone(ZoneInfo("Asia/Shanghai"))
    if locale == "zh-CN":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return re.compile(rf"{local:%b} {local.day}\D+{local:%H:%M}")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_each_badge_kind_has_its_own_icon_meaning_and_who_and_when(
    browser: Browser, server: RunningServer, wall: dict[str, str], locale: str
) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale, timezone_id="UTC")
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{wall['token']}?lang={locale}")
    pictures: dict[str, bytes] = {}
    for badge, (kind, zh, en) in EARNED.items():  # she may hold more (a record, a comeback): these four at least
        card = page.locator(f'#badge-wall .badge-card[data-kind="{kind}"]').filter(has_text="上官婉儿")
        expect(card).to_have_count(1)
        expect(card.locator(".badge-meaning")).to_contain_text(zh if locale == "zh-CN" else en)
        expect(card.locator(".badge-name")).to_have_text("上官婉儿")
        expect(card.locator(".badge-when")).to_have_text(when(wall[badge], locale))
        icon = card.locator("svg")
        assert icon.locator("use").get_attribute("href") == f"#badge-{kind}"
        assert page.evaluate("(id) => document.getElementById(id) instanceof SVGSymbolElement", f"badge-{kind}")
        assert (icon.bounding_box() or {"width": 0})["width"] > 40
        pictures[kind] = icon.screenshot()
    assert len(set(pictures.values())) == len(EARNED), "every kind is drawn differently"
    screenshot(page, f"tv-badges-{locale}.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()


@pytest.mark.parametrize("size", TV_SIZES, ids=[f"{w}x{h}" for w, h in TV_SIZES])
def test_the_badge_wall_fits_the_screen_at_every_size(
    browser: Browser, server: RunningServer, wall: dict[str, str], size: tuple[int, int]
) -> None:
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server.base_url}/tv/{wall['token']}")
    expect(page.locator("#badge-wall .badge-card")).to_have_count(8)
    page.wait_for_function("document.fonts.status === 'loaded'")
    footer = page.locator(".tv-footer").bounding_box()
    assert footer is not None
    for card in page.locator("#badge-wall .badge-card").all():
        box = card.bounding_box()
        assert box is not None and box["y"] + box["height"] <= footer["y"], f"a card runs into the footer at {size}"
        overflow = card.evaluate("(el) => [...el.children].some((c) => c.scrollWidth > c.clientWidth + 1)")
        assert not overflow, f"text cut inside a card at {size}"
    screenshot(page, f"tv-badges-{width}x{height}.png")
    context.close()
