"""Rewards in a real Chromium, in Chinese and English: a rep sees their reward points and the catalogue on the
phone and redeems a reward (the points are held); the manager approves it in the console's rewards page and marks
it delivered; the rep's phone shows the outcome and the balance."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in
from tests.support.org import make_org, unique
from tests.support.page_checks import LOW_CONTRAST, MISALIGNED, UNLABELLED
from tests.support.server import RunningServer

pytestmark = pytest.mark.browser

WORDS = {
    "zh-CN": {"balance": "500 奖励积分", "after": "200 奖励积分", "held": "300 积分冻结中", "waiting": "等待经理审批",
              "delivered": "已发放", "name": "与 CEO 共进午餐"},
    "en": {"balance": "500 reward points", "after": "200 reward points", "held": "300 held for requests",
           "waiting": "Waiting for your manager", "delivered": "Delivered", "name": "Lunch with the CEO"},
}  # fmt: skip


PASSWORD = "reward-password-1"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_rep_redeems_on_the_phone_and_the_manager_approves_in_the_console(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    words = WORDS[locale]
    reward = unique("lunch")
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
        me = org.reps[0]
        rep_user, manager_user = f"rep-{uuid.uuid4().hex[:6]}", f"mgr-{uuid.uuid4().hex[:6]}"
        admin.put(f"/api/v1/users/{rep_user}", json={"role": "rep", "password": PASSWORD, "rep": me})
        admin.put(
            f"/api/v1/users/{manager_user}",
            json={"role": "manager", "password": PASSWORD, "teams": [org.teams[0]]},
        )
        body = {"name": words["name"], "cost": 300, "kind": "non_material", "stock": 5}
        assert admin.put(f"/api/v1/rewards/catalogue/{reward}", json=body).status_code == 201
        grant = {"rep": me, "points": 500, "ref": unique("browser"), "note": "季度之星"}
        assert admin.post("/api/v1/rewards/grants", json=grant).status_code == 200

    on_phone = signed_in(
        browser, server, locale, username=rep_user, password=PASSWORD, width=375, height=812, landing="/m", mobile=True
    )
    phone = on_phone.page
    expect(phone.locator("#reward-balance")).to_have_text(words["balance"])
    item = phone.locator(f'#reward-list .reward[data-reward="{reward}"]')
    expect(item).to_contain_text(words["name"])
    phone.once("dialog", lambda dialog: dialog.accept())
    item.locator("button.redeem").click()
    expect(phone.locator("#reward-balance")).to_have_text(words["after"])
    expect(phone.locator("#reward-held")).to_have_text(words["held"])
    waiting = phone.locator('#redemption-list .redemption[data-status="requested"]')
    expect(waiting).to_contain_text(words["waiting"])
    expect(item.locator("button.redeem")).to_be_disabled()  # 200 left: it says how many points are missing
    assert phone.evaluate(LOW_CONTRAST) == []
    screenshot(phone, f"phone-rewards-{locale}.png")

    on_console = signed_in(browser, server, locale, username=manager_user, password=PASSWORD, landing="/admin/rewards")
    console = on_console.page
    for check in (MISALIGNED, LOW_CONTRAST, UNLABELLED):
        assert console.evaluate(check) == [], check
    card = console.locator('.redemption[data-status="requested"]', has_text=words["name"])
    card.locator("select[name=status]").select_option("approved")
    card.locator("input[name=note]").fill("下周三中午" if locale == "zh-CN" else "Wednesday noon")
    screenshot(console, f"console-rewards-{locale}.png")
    card.locator("button.primary").click()
    approved = console.locator('.redemption[data-status="approved"]', has_text=words["name"])
    approved.locator("button[data-api]").click()
    expect(console.locator('tr.redemption[data-status="delivered"]', has_text=words["name"])).to_have_count(1)

    phone.reload()
    delivered = phone.locator('#redemption-list .redemption[data-status="delivered"]')
    expect(delivered).to_contain_text(words["delivered"])
    expect(phone.locator("#reward-balance")).to_have_text(words["after"])
    expect(phone.locator("#reward-held")).to_be_hidden()
    for signed in (on_phone, on_console):
        assert not signed.errors, signed.errors
        assert not signed.foreign, signed.foreign
        signed.context.close()
