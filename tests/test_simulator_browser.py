"""The wizard's simulator in a real Chromium, in Chinese and in English: a draft whose rules match nothing that
was logged says why and what to do instead of a table of zeros, and two drafts are compared side by side with a
histogram of the reps' scores (and its table) and the prizes' cost."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import open_wizard, screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, unique
from tests.support.page_checks import LOW_CONTRAST, MISALIGNED, UNLABELLED
from tests.support.server import RunningServer

# A server of its own: a simulation replays only the events logged here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


WORDS = {
    "zh-CN": {"no_match": "没有规则对应已记录的事件", "call": "电话", "cost": "奖品成本", "champion": "冠军"},
    "en": {
        "no_match": "No rule matches the events logged",
        "call": "Call",
        "cost": "Prize cost",
        "champion": "Champion",
    },
}
SLOW = 60_000  # a replay reads the whole shared log of the run


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_simulator_explains_an_empty_result_and_compares_two_drafts(
    browser: Browser, server: RunningServer, calendar: Calendar, locale: str
) -> None:
    words = WORDS[locale]
    with server.admin() as admin, server.ingest() as ingest:
        org = make_org(admin)
        last_month = calendar.last_month(10).isoformat()
        events = [deal(rep, 10_000 * (index + 1), occurred_at=last_month) for index, rep in enumerate(org.reps)]
        events.append({"id": unique("call"), "type": "call.logged", "rep": org.reps[0], "occurred_at": last_month})
        assert not ingest.post("/api/v1/events", json=events).json()["rejected"]
    context, page, errors, foreign = signed_in(browser, server, locale, height=1000)
    open_wizard(page, server)
    expect(page.locator("#rules .rule-row").first).to_be_visible()

    # draft A: the template as it is
    page.click("#simulate")
    expect(page.locator("#simulation-rows tbody tr").first).to_be_visible(timeout=SLOW)
    expect(page.locator("#simulation-hint")).to_be_hidden()
    page.click("#keep-draft")

    # a draft that scores only CSAT surveys, which nobody logged: the page says why nothing scored
    for button in page.locator("#rules .rule-row [data-remove]").all()[::-1]:
        button.click()
    page.click("#add-rule")
    page.locator('#rules .rule-row select[data-f="on"]').select_option("csat.recorded")
    page.locator('#rules .rule-row input[data-f="points"]').fill("5")
    page.click("#simulate")
    hint = page.locator("#simulation-hint")
    expect(hint).to_be_visible(timeout=SLOW)
    expect(hint.locator("#simulation-hint-title")).to_have_text(words["no_match"])
    expect(hint.locator("#simulation-hint-text")).to_contain_text(words["call"])
    expect(page.locator("#simulation-rows")).to_be_hidden()  # no table of zeros
    screenshot(page.locator("#simulation").page, f"simulator-empty-{locale}.png")

    # compared with draft A: a histogram of both drafts' scores and what the prizes cost
    page.click("#compare")
    panel = page.locator("#simulation-compare")
    expect(panel).to_be_visible(timeout=SLOW)
    expect(page.locator("#simulation-chart")).to_have_attribute("data-drawn", "1")
    canvas = page.locator("#simulation-chart canvas")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150
    page.locator("#simulation-compare details summary").click()
    histogram = page.locator("#simulation-histogram tbody tr")
    expect(histogram).to_have_count(8)
    under_a = sum(int(histogram.nth(i).locator("td").nth(0).inner_text().replace(",", "")) for i in range(8))
    under_b = sum(int(histogram.nth(i).locator("td").nth(1).inner_text().replace(",", "")) for i in range(8))
    assert under_a == under_b >= len(org.reps)  # every participant counted once under each draft
    costs = page.locator("#simulation-costs tbody tr")
    expect(costs).to_have_count(3)
    expect(costs.nth(0).locator("th")).to_have_text(words["cost"])
    expect(costs.nth(0).locator("td").nth(0)).to_contain_text("¥")
    expect(costs.nth(2).locator("th")).to_have_text(words["champion"])
    assert page.evaluate(MISALIGNED) == []
    assert page.evaluate(LOW_CONTRAST) == []
    assert page.evaluate(UNLABELLED) == []
    page.locator("#simulation").scroll_into_view_if_needed()
    screenshot(page, f"simulator-compare-{locale}.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()
