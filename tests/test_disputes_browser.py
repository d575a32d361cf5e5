"""Disputes in a real Chromium, in Chinese and English: a rep says a ledger line is wrong and a deal is missing
from the phone; the manager sees the count on the console's home page, accepts one with an adjustment in the
queue; the rep's phone shows the outcome, the new score and the adjustment's ledger line with the note."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, watch_page
from tests.support.org import deal, make_org
from tests.support.server import RunningServer

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"wrong": "这一行有误", "missing": "少算了一单", "disputed": "已申诉", "accepted": "已接受"},
    "en": {
        "wrong": "This line is wrong",
        "missing": "A deal is missing",
        "disputed": "Disputed",
        "accepted": "Accepted",
    },
}


def sign_in(browser: Browser, server: RunningServer, username: str, password: str, locale: str, phone: bool):  # type: ignore[no-untyped-def]
    size = {"width": 375, "height": 812} if phone else {"width": 1440, "height": 900}
    context = browser.new_context(viewport=size, locale=locale, is_mobile=phone)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return page, errors, foreign


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_rep_disputes_from_the_phone_and_the_manager_answers_from_the_console(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    words = WORDS[locale]
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
        me = org.reps[0]
        rep_user, manager_user = f"rep-{uuid.uuid4().hex[:6]}", f"mgr-{uuid.uuid4().hex[:6]}"
        admin.put(f"/api/v1/users/{rep_user}", json={"role": "rep", "password": "phone-password-1", "rep": me})
        admin.put(
            f"/api/v1/users/{manager_user}",
            json={"role": "manager", "password": "console-password-1", "teams": [org.teams[0]]},
        )
    won = deal(me, 10_000)
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=won).json()["accepted"] == 1

    phone, phone_errors, phone_foreign = sign_in(browser, server, rep_user, "phone-password-1", locale, phone=True)
    expect(phone).to_have_url(f"{server.base_url}/m")
    card = phone.locator(f'article.contest[data-contest="{org.contest}"]')
    expect(card.locator(".c-score")).to_have_text("10")
    card.locator(".c-ledger-toggle").click()
    line = card.locator(f'.c-ledger li[data-event="{won["id"]}"]')
    line.locator(".line-wrong").click()
    dialog = phone.locator("#dispute-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#dispute-title")).to_have_text(words["wrong"])
    dialog.locator("textarea[name=message]").fill(
        "合同金额是 25,000 元" if locale == "zh-CN" else "The contract was 25,000"
    )
    screenshot(phone, f"phone-dispute-{locale}.png")
    dialog.locator("#dispute-send").click()
    expect(dialog).to_be_hidden()
    expect(line.locator(".disputed")).to_contain_text(words["disputed"])
    card.locator(".c-missing").click()
    expect(dialog.locator("#dispute-title")).to_have_text(words["missing"])
    dialog.locator("textarea[name=message]").fill("A 公司 3 月 2 日的单" if locale == "zh-CN" else "ACME, 2 March")
    dialog.locator("#dispute-send").click()
    expect(phone.locator('#dispute-list .dispute[data-status="open"]')).to_have_count(2)

    console, console_errors, console_foreign = sign_in(
        browser, server, manager_user, "console-password-1", locale, phone=False
    )
    expect(console).to_have_url(f"{server.base_url}/admin")
    expect(console.locator("#open-disputes .count")).to_have_text("2")
    console.click("#open-disputes")
    expect(console).to_have_url(f"{server.base_url}/admin/disputes")
    wrong = console.locator('.dispute-card[data-status="open"]', has=console.locator(f"code:text-is('{won['id']}')"))
    wrong.locator("select[name=decision]").select_option("accepted")
    wrong.locator("input[name=adjustment]").fill("15")
    note = "CRM 少记了 15,000 元" if locale == "zh-CN" else "The CRM missed 15,000"
    wrong.locator("input[name=note]").fill(note)
    screenshot(console, f"console-disputes-{locale}.png")
    wrong.locator("button.primary").click()
    expect(console.locator('.dispute-card[data-status="accepted"]')).to_have_count(1)
    expect(console.locator('.dispute-card[data-status="accepted"] .outcome')).to_contain_text("+15")
    console.goto(f"{server.base_url}/admin")
    expect(console.locator("#open-disputes .count")).to_have_text("1")

    phone.reload()  # the phone also asks every 30 seconds and whenever it comes back to the front
    expect(phone.locator(".toast").first).to_contain_text(note)
    accepted = phone.locator('#dispute-list .dispute[data-status="accepted"]')
    expect(accepted).to_contain_text(words["accepted"])
    expect(accepted).to_contain_text("+15")
    expect(accepted.locator(".outcome")).to_have_text(note)
    card = phone.locator(f'article.contest[data-contest="{org.contest}"]')
    expect(card.locator(".c-score")).to_have_text("25")
    card.locator(".c-ledger-toggle").click()
    adjusted = card.locator('.c-ledger li[data-type="points.adjusted"]')
    expect(adjusted.locator(".pts")).to_have_text("+15")
    expect(adjusted.locator(".l-rule")).to_contain_text(note)  # the statement line says why, in the rep's words
    expect(card.locator(f'.c-ledger li[data-event="{won["id"]}"] .line-wrong')).to_be_visible()  # may dispute again
    screenshot(phone, f"phone-dispute-answered-{locale}.png")
    for errors, foreign in ((phone_errors, phone_foreign), (console_errors, console_foreign)):
        assert not errors, errors
        assert not foreign, foreign
    phone.context.close()
    console.context.close()
