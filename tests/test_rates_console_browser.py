"""The console's exchange rates and margin rules in a real Chromium (zh-CN): a deal in dollars waits for its
month's rate, a manager sets the rate on the rates page and the deal scores; the wizard's rule offers margin as
the basis and per-product multipliers, and the rules in words say so."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import open_wizard, screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, scores
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# Rates are organisation-wide and setting one rescores the contests of its month: a server of its own.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]

MARGIN_RULE = {"on": "deal.won", "points_per": 100, "basis": "margin"}


def test_a_rate_set_on_the_console_scores_the_waiting_deal_and_the_wizard_offers_margin(
    browser: Browser, server: RunningServer
) -> None:
    month = Calendar.from_clock().moment(1).strftime("%Y-%m")
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1, rules=[MARGIN_RULE])
    [rep] = org.reps
    with server.ingest() as ingest:
        answer = ingest.post("/api/v1/events", json=deal(rep, "1000", currency="USD", margin="50%")).json()
    assert answer["accepted"] == 1 and answer["warnings"]
    _, page, errors, foreign = signed_in(browser, server, "zh-CN")

    page.locator("nav.side a[href='/admin/rates']").click()
    expect(page.locator("h1")).to_have_text("汇率")
    expect(page.locator("#waiting tbody tr")).to_have_text(f"{month}USD1")
    page.fill("#rate-form input[name=month]", month)
    page.fill("#rate-form input[name=currency]", "usd")
    page.fill("#rate-form input[name=rate]", "7.1234")
    page.click("#rate-form button")
    expect(page.locator("#rate-status")).to_have_text("汇率已保存：当月竞赛正在重算。")
    expect(page.locator("#rates tbody tr").first).to_have_text(f"{month}USD7.1234")
    expect(page.locator("#waiting tbody tr")).to_have_text("没有等待汇率的成交。")  # the list says it is empty
    with server.admin() as admin:
        eventually(lambda: scores(admin, org.contest) == {rep: 35}, timeout=30)  # 1,000 × 7.1234 × 50 % / 100
    screenshot(page, "console-rates.png")

    open_wizard(page, server)
    row = page.locator("#rules .rule-row").first
    row.locator("[data-f=points_per]").fill("100")
    row.locator("[data-f=basis]").select_option("margin")
    row.locator("[data-f=products]").fill("A100=1.5")
    expect(page.locator("#preview-zh")).to_contain_text("毛利每 ¥100 得 1 分")
    expect(page.locator("#preview-zh")).to_contain_text("产品 A100 ×1.5")
    assert errors == [] and foreign == []
