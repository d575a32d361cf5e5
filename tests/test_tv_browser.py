"""The office TV in a real headless Chromium: a posted deal moves the rep up, live, without a reload."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ARTIFACTS, RunningServer, deal, make_org

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (scripts/test does it as root)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


def watch_page(page: Page, server: RunningServer) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    own = (server.base_url, server.ws_url.removesuffix("/ws"), "data:")
    page.on("request", lambda r: None if r.url.startswith(own) else foreign.append(r.url))
    return errors, foreign


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
    with server.ingest() as ingest:
        started = time.monotonic()
        assert ingest.post("/api/v1/events", json=deal(climber, 990_000)).json()["accepted"] == 1
    expect(rows.first).to_have_attribute("data-id", climber, timeout=5000)
    elapsed = time.monotonic() - started
    expect(rows.first.locator(".row-rank")).to_have_text("1")
    expect(rows.first.locator(".row-score")).to_have_text("990")
    expect(page.locator("#celebration")).to_be_visible()
    expect(rows.first.locator(".row-team")).to_have_text("战队 1")
    page.wait_for_timeout(800)  # let the rank animation settle for the screenshot
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tv-{locale}.png"))
    assert elapsed < 1.0, f"the new rank took {elapsed:.2f}s to show"
    assert page.evaluate("document.documentElement.lang") == locale
    assert not errors, errors
    assert not foreign, foreign
    context.close()
