"""A TV runs for weeks: a couple of thousand events in a minute and a half (days of a sales floor, compressed)
while the playlist rotates, and the page must neither grow its DOM nor its JS heap."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import screenshot, watch_page
from tests.support.org import make_org
from tests.support.pacing import paced
from tests.support.server import RunningServer

pytestmark = pytest.mark.browser

WARM_SECONDS = 25
RUN_SECONDS = 60  # two turns of the playlist after the warm-up's one
EVENTS_PER_BATCH = 25
BATCH_EVERY = 0.9  # seconds: about 28 events a second (a busy floor's month-end), some 2,300 in the run


def measure(page: Page) -> tuple[int, int]:
    """(DOM elements, used JS heap) after a full garbage collection."""
    page.evaluate("window.gc && (window.gc(), window.gc())")  # synchronous: the heap is measured after it
    nodes = page.evaluate("document.getElementsByTagName('*').length")
    heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
    return nodes, heap


def quiet(page: Page, server: RunningServer, contest: str) -> None:
    """Wait until the TV holds every change the server made to its boards and the last celebration card closed."""
    with server.admin() as admin:
        seqs = {
            f"contest:{contest}": admin.get(f"/api/v1/contests/{contest}/leaderboard").json()["seq"],
            f"contest:{contest}:teams": admin.get(f"/api/v1/contests/{contest}/teams").json()["seq"],
        }
    page.wait_for_function(
        "(seqs) => Object.keys(seqs).every((b) => arenaTv.boards[b] && arenaTv.boards[b].seq >= seqs[b])",
        arg=seqs,
        timeout=30_000,
    )
    expect(page.locator("#celebration")).to_be_hidden(timeout=30_000)


def test_a_tv_under_hours_of_traffic_keeps_the_same_size(browser: Browser, server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=4, reps_per_team=6, goal=10**7)
        playlist = [
            {"board": f"contest:{org.contest}", "kind": "board", "seconds": 5},
            {"board": f"contest:{org.contest}:teams", "kind": "teams", "seconds": 5},
            {"board": f"contest:{org.contest}", "kind": "wins", "seconds": 5},
            {"board": f"contest:{org.contest}", "kind": "thermometer", "seconds": 5},
            {"board": f"contest:{org.contest}:teams", "kind": "tug", "seconds": 5},
            {"kind": "stars", "seconds": 5},
        ]
        display = admin.post("/api/v1/displays", json={"name": "soak", "playlist": playlist}).json()
    rng = random.Random(11)
    counter = 0

    def batch() -> list[dict[str, object]]:
        nonlocal counter
        events = []
        for _ in range(EVENTS_PER_BATCH):
            counter += 1
            kind = rng.random()
            rep = rng.choice(org.reps)
            stamp = datetime.now(UTC).isoformat()
            if kind < 0.5:
                events.append({"id": f"soak-{counter}", "type": "call.logged", "rep": rep, "occurred_at": stamp})
            else:
                amount = str(int(rng.lognormvariate(10, 1)))
                events.append(
                    {"id": f"soak-{counter}", "type": "deal.won", "rep": rep, "amount": amount, "occurred_at": stamp}
                )
        return events

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{display['token']}")
    expect(page.locator("#board .row")).to_have_count(10)
    with server.ingest() as ingest:
        # Warm up: every slide shown once and every list filled, so the baseline holds all reusable elements.
        for _ in paced(every=BATCH_EVERY, seconds=WARM_SECONDS):
            ingest.post("/api/v1/events", json=batch())
        quiet(page, server, org.contest)
        # the last slide of the playlist (stars) has been shown and filled too
        page.wait_for_function("() => document.querySelectorAll('#stars .row').length === 10", timeout=40_000)
        start_nodes, start_heap = measure(page)
        for _ in paced(every=BATCH_EVERY, seconds=RUN_SECONDS):
            assert ingest.post("/api/v1/events", json=batch()).status_code == 200
    quiet(page, server, org.contest)
    end_nodes, end_heap = measure(page)
    screenshot(page, "tv-after-soak.png")
    assert counter >= 2000, counter
    assert start_heap > 0, "performance.memory is not available (chromium flags)"
    assert end_nodes <= start_nodes + 10, f"DOM grew from {start_nodes} to {end_nodes} elements"
    growth = end_heap - start_heap
    assert growth < max(2_000_000, start_heap * 0.25), f"JS heap grew from {start_heap} to {end_heap} bytes"
    assert page.evaluate("arenaTv.pending()") < 50
    assert not errors, errors
    assert not foreign, foreign
    context.close()
