"""Long work in the console shows that it runs: while the server works on a reps import or a simulation, the
button that started it waits and a progress bar with words stands beside it; both end with the answer.
Each request is held in the browser until the test has seen the bar, so a fast machine cannot hide it."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.support.browser import open_wizard, screenshot, signed_in
from tests.support.server import RunningServer

# A server of its own: a simulation reads only the events made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


def hold(page: Page, pattern: str) -> list[Route]:
    """Requests to ``pattern`` wait in the browser until the test lets them go."""
    held: list[Route] = []

    def keep(route: Route) -> None:
        held.append(route)

    page.route(pattern, keep)
    return held


@pytest.mark.parametrize(("locale", "words"), [("zh-CN", "处理中"), ("en", "Working")])
def test_an_import_and_a_simulation_show_progress_until_they_answer(
    browser: Browser, server: RunningServer, locale: str, words: str
) -> None:
    _, page, errors, foreign = signed_in(browser, server, locale)
    page.goto(f"{server.base_url}/admin/people")
    held = hold(page, "**/api/v1/reps/import?dry_run=1")
    page.fill("#import-text", "id,name,team\nprogress-1,进度测试,\n")
    page.click("#import-preview")
    progress = page.locator("#import .working")
    expect(progress).to_be_visible()
    expect(progress.locator("progress")).to_have_count(1)
    expect(progress).to_contain_text(words)
    expect(page.locator("#import-preview")).to_be_disabled()
    screenshot(page, f"console-progress-import-{locale}.png")
    page.wait_for_function("() => true")  # lets the route handler record the held request
    assert len(held) == 1
    held[0].continue_()
    expect(progress).to_have_count(0)
    expect(page.locator("#import-preview")).to_be_enabled()
    expect(page.locator("#import-rows tbody tr")).to_have_count(1)

    open_wizard(page, server)
    held = hold(page, "**/api/v1/contests/simulate")
    page.click("#simulate")
    running = page.locator(".working")
    expect(running).to_be_visible()
    expect(page.locator("#simulate")).to_be_disabled()
    page.wait_for_function("() => true")
    assert len(held) == 1
    held[0].continue_()
    expect(running).to_have_count(0, timeout=60_000)
    expect(page.locator("#simulate")).to_be_enabled()
    expect(page.locator("#simulation-summary")).not_to_be_empty()
    assert not errors and not foreign, (errors, foreign)
    page.context.close()


def test_a_large_import_fills_its_bar_as_the_server_stores_the_reps(browser: Browser, server: RunningServer) -> None:
    _, page, errors, foreign = signed_in(browser, server, "en")
    page.goto(f"{server.base_url}/admin/people")
    count = 30_000  # a few seconds of storing even on a quiet machine: the bar is read while it fills
    run = uuid.uuid4().hex[:6]
    rows = "id,name,team\n" + "\n".join(f"bar-{run}-{n},Rep {n}," for n in range(count)) + "\n"
    # Pasted in one go (typing the rows would take the test's time, not the import's).
    page.locator("#import-text").evaluate(
        "(box, rows) => { box.value = rows; box.dispatchEvent(new Event('input')); }", rows
    )
    page.click("#import-preview")
    expect(page.locator("#import-run")).to_be_enabled(timeout=30_000)
    page.click("#import-run")
    bar = page.locator("#import .working progress")
    expect(bar).to_have_attribute("max", str(count))  # the server said how many it stores, before it answered
    expect(page.locator("#import .working")).to_contain_text(f"/ {count:,}")
    expect(page.locator("#import-summary")).to_contain_text(f"{count:,}".replace(",", ""), timeout=60_000)
    assert not errors and not foreign, (errors, foreign)
    page.context.close()
