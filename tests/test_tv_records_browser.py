"""A contest's own big-deal threshold and its records on the office TV: a deal at or above the contest's
``big_deal`` earns the full card (as a display's ``big_deal`` does), a deal beating the contest's biggest so far
earns a "record" card naming the best it beat, and ordinary deals stay in the footer banner."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import watch_page
from tests.support.closing import badges_of
from tests.support.org import deal, make_org
from tests.support.server import ARTIFACTS, RunningServer
from tests.support.waiting import eventually

# A server of its own: the cards shown come only from the deals made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


CARD_SETTLED = """() => document.getElementById("celebration-card").getAnimations()
  .every((a) => a.playState !== "running")"""
TEXT = {
    "zh-CN": {"big": "大单喜报！", "record": "新纪录！", "deal": "新成交！", "before": "此前：¥100,000"},
    "en": {"big": "Big deal!", "record": "New record!", "deal": "New deal!", "before": "before: ¥100,000"},
}


def _tv(browser: Browser, server: RunningServer, token: str, locale: str, size: tuple[int, int]) -> tuple[Page, Any]:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale)
    page = context.new_page()
    watched = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{token}")
    return page, watched


def _org_with_a_leader(admin: httpx.Client, server: RunningServer, **contest: Any) -> tuple[Any, dict[str, Any]]:
    """Three reps; the first leads by far with the contest's biggest deal so far, ¥100,000; the others have
    their first deal (and its badge) behind them, so what comes next is only the deal."""
    org = make_org(admin, teams=1, reps_per_team=3, **contest)
    display = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": [f"contest:{org.contest}"]}).json()
    with server.ingest() as ingest:
        for rep, amount in ((org.reps[0], 100_000), (org.reps[0], 90_000), (org.reps[1], 1000), (org.reps[2], 1000)):
            assert ingest.post("/api/v1/events", json=deal(rep, amount)).json()["accepted"] == 1
    # Badges are judged in rounds a moment after their deals: the TV opens once each rep holds theirs.
    eventually(lambda: all(badges_of(admin, rep) for rep in org.reps[:3]), what="the first deals' badges")
    return org, display


@pytest.mark.parametrize(("locale", "size"), [("zh-CN", (1920, 1080)), ("en", (1280, 720))])
def test_a_deal_above_the_contests_threshold_earns_the_full_card_and_a_smaller_one_the_banner(
    browser: Browser, server: RunningServer, admin: httpx.Client, locale: str, size: tuple[int, int]
) -> None:
    definition = admin.get(f"/api/v1/contests/{make_org(admin, big_deal='50000').contest}").json()
    assert str(definition["big_deal"]) == "50000"
    org, display = _org_with_a_leader(admin, server, big_deal="50000")
    page, (errors, foreign) = _tv(browser, server, display["token"], locale, size)
    expect(page.locator("#board .row")).to_have_count(3)
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[1], 20_000))  # under the threshold, no new leader
    expect(page.locator("#banner-kicker")).to_have_text(TEXT[locale]["deal"], timeout=10_000)
    expect(page.locator("#celebration")).to_be_hidden()
    expect(page.locator("#banner")).to_be_hidden(timeout=10_000)
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[2], 55_000))  # over the contest's 50,000, no record
    expect(page.locator("#celebration")).to_be_visible(timeout=10_000)
    expect(page.locator("#celebration-kicker")).to_have_text(TEXT[locale]["big"])
    expect(page.locator("#celebration-detail")).to_contain_text("55,000")
    page.wait_for_function(CARD_SETTLED, polling="raf")
    page.screenshot(path=str(ARTIFACTS / f"tv-contest-big-deal-{locale}.png"))
    assert not errors, errors
    assert not foreign, foreign
    page.context.close()


@pytest.mark.parametrize(("locale", "size"), [("zh-CN", (3840, 2160)), ("en", (1920, 1080))])
def test_a_deal_beating_the_contests_biggest_so_far_earns_a_record_card(
    browser: Browser, server: RunningServer, admin: httpx.Client, locale: str, size: tuple[int, int]
) -> None:
    org, display = _org_with_a_leader(admin, server)
    page, (errors, foreign) = _tv(browser, server, display["token"], locale, size)
    expect(page.locator("#board .row")).to_have_count(3)
    with server.ingest() as ingest:  # bigger than any deal before in this contest, yet no new leader
        ingest.post("/api/v1/events", json=deal(org.reps[1], 120_000))
    expect(page.locator("#celebration")).to_be_visible(timeout=10_000)
    expect(page.locator("#celebration-kicker")).to_have_text(TEXT[locale]["record"])
    expect(page.locator("#celebration-detail")).to_contain_text("120,000")
    expect(page.locator("#celebration-detail")).to_contain_text(TEXT[locale]["before"])
    page.wait_for_function(CARD_SETTLED, polling="raf")
    card = page.locator("#celebration-card").bounding_box()
    assert card and card["width"] <= size[0] and card["height"] <= size[1], card
    page.screenshot(path=str(ARTIFACTS / f"tv-record-{locale}-{size[1]}p.png"))  # the card is up for 4.5 s only
    expect(page.locator("#celebration")).to_be_hidden(timeout=10_000)
    with server.ingest() as ingest:  # below the new best: an ordinary deal again
        ingest.post("/api/v1/events", json=deal(org.reps[2], 110_000))
    expect(page.locator("#banner")).to_be_visible(timeout=10_000)
    expect(page.locator("#banner-kicker")).not_to_have_text(TEXT[locale]["record"])
    assert not errors, errors
    assert not foreign, foreign
    page.context.close()


def test_a_contest_threshold_that_is_not_an_amount_above_0_is_refused(admin: httpx.Client) -> None:
    org = make_org(admin)
    for bad in (0, "-5", "lots"):
        body = {**org.definition, "id": f"{org.contest}-x", "big_deal": bad}
        response = admin.post("/api/v1/contests", json=body)
        assert response.status_code == 422, response.text
        assert "big_deal" in {e["field"] for e in response.json()["errors"]}
