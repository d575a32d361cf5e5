"""Provisional points on the faces, in a real Chromium, in Chinese and English: the TV shows the unconfirmed part
of a score as a lighter end of its bar with "含待确认 N 分" / "incl. N pending", the phone under the rep's score;
both drop the note the moment the payment confirms the deal."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, watch_page
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer

pytestmark = pytest.mark.browser
CONFIRM = {"on": "deal.paid", "within_days": 30}
NOTE = {"zh-CN": "含待确认 {x} 分", "en": "incl. {x} pending"}


def pay(server: RunningServer, rep: str, ref: str) -> None:
    with server.ingest() as ingest:
        payment = {"id": unique("pay"), "type": "deal.paid", "rep": rep, "ref": ref}
        assert ingest.post("/api/v1/events", json=payment).json()["accepted"] == 1


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_tv_marks_points_waiting_for_payment(browser: Browser, server: RunningServer, locale: str) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=2, confirm=CONFIRM)
        display = admin.post(
            "/api/v1/displays", json={"name": "大厅电视", "playlist": [f"contest:{org.contest}"]}
        ).json()
    leader, other = org.reps[0], org.reps[1]
    unpaid, paid = deal(leader, 60_000), deal(leader, 40_000)
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=[unpaid, paid, deal(other, 30_000)])
    pay(server, other, "no-such-deal")  # a payment for a deal this contest never scored changes nothing
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale)
    page = context.new_page()
    errors, _ = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{display['token']}")
    top = page.locator(f'#board .row[data-id="{leader}"]')
    expect(top.locator(".row-number")).to_have_text("100")
    expect(top.locator(".row-pending")).to_have_text(NOTE[locale].format(x="100"))
    expect(top.locator(".row-bar-pending")).to_be_visible()
    pay(server, leader, paid["id"])
    expect(top.locator(".row-pending")).to_have_text(NOTE[locale].format(x="60"), timeout=5000)
    screenshot(page, f"tv-provisional-{locale}.png")
    pay(server, leader, unpaid["id"])
    expect(top.locator(".row-pending")).to_be_hidden(timeout=5000)
    expect(top.locator(".row-bar-pending")).to_be_hidden()
    expect(top.locator(".row-number")).to_have_text("100")
    assert not errors, errors
    context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_phone_tells_a_rep_how_much_is_still_pending(browser: Browser, server: RunningServer, locale: str) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2, confirm=CONFIRM)
        me = org.reps[0]
        username, password = f"rep-{uuid.uuid4().hex[:6]}", "phone-password-1"
        admin.put(f"/api/v1/users/{username}", json={"role": "rep", "password": password, "rep": me})
    won = deal(me, 25_000)
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=won)
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale=locale, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors, _ = watch_page(page, server)
    page.goto(f"{server.base_url}/m")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    card = page.locator(f'article.contest[data-contest="{org.contest}"]')
    expect(card.locator(".c-score")).to_have_text("25")
    expect(card.locator(".c-pending")).to_have_text(NOTE[locale].format(x="25"), timeout=5000)
    rules = {"zh-CN": "30 天内未确认则扣除", "en": "unconfirmed after 30 days, they drop out"}
    expect(card.locator(".c-rules")).to_contain_text(rules[locale])
    screenshot(page, f"phone-provisional-{locale}.png")
    pay(server, me, won["id"])
    expect(card.locator(".c-pending")).to_be_hidden(timeout=5000)
    expect(card.locator(".c-score")).to_have_text("25")
    assert not errors, errors
    context.close()
