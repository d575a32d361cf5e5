"""Results people trust, as the faces show them in a real Chromium (zh-CN and en): the console lists a contest's
rule versions and its late events, applies and dismisses them with a reason, and shows the correction of the
closed results; the phone tells a rep that the rules changed, what changed and why, and which version is in force."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Dialog, expect

from tests.support.browser import screenshot, signed_in, watch_page
from tests.support.closing import closed_contest, fast, iso, rescored
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer

pytestmark = pytest.mark.browser
__all__ = ["fast"]  # the module's server, with a one-second scheduler
WORDS = {
    "zh-CN": {
        "apply": "应用",
        "dismiss": "驳回",
        "dismissed": "已驳回",
        "applied": "已应用",
        "why": "原因：",
        "new": "新的计分规则",
    },
    "en": {
        "apply": "Apply",
        "dismiss": "Dismiss",
        "dismissed": "dismissed",
        "applied": "applied",
        "why": "Why: ",
        "new": "New scoring",
    },
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_console_decides_late_events_and_shows_corrections_and_versions(
    browser: Browser, fast: RunningServer, locale: str
) -> None:
    words = WORDS[locale]
    with fast.admin() as admin, fast.ingest() as ingest:
        org, a, b = closed_contest(admin, ingest)
        refund = {"id": unique("refund"), "type": "deal.reversed", "rep": a, "ref": f"{org.contest}-a"}
        backdated = deal(b, "10000", occurred_at=iso(-timedelta(hours=3)))
        assert len(ingest.post("/api/v1/events", json=[refund, backdated]).json()["late"]) == 2
    context, page, errors, foreign = signed_in(browser, fast, locale, width=1440, height=1600)
    page.goto(f"{fast.base_url}/admin/contests/{org.contest}")
    late = page.locator("#late-events")
    expect(late.locator("tr[data-late]")).to_have_count(2)
    reasons = iter(["客户退款已核实" if locale == "zh-CN" else "refund confirmed", "duplicate entry"])

    def answer(dialog: Dialog) -> None:
        dialog.accept(next(reasons))

    page.on("dialog", answer)
    late.locator(f'tr[data-late="{refund["id"]}"] button.primary').click()
    expect(late.locator(f'tr[data-late="{refund["id"]}"]')).to_contain_text(words["applied"])
    with fast.admin() as admin:
        rescored(admin, org.contest, 2)
    page.reload()
    corrections = page.locator("#corrections")
    expect(corrections).to_contain_text("客户退款已核实" if locale == "zh-CN" else "refund confirmed")
    expect(corrections).to_contain_text("¥5,000")
    late.locator(f'tr[data-late="{backdated["id"]}"] button', has_text=words["dismiss"]).click()
    expect(late.locator(f'tr[data-late="{backdated["id"]}"]')).to_contain_text(words["dismissed"])
    expect(late.locator(f'tr[data-late="{backdated["id"]}"]')).to_contain_text("duplicate entry")
    expect(page.locator("#versions tbody tr")).to_have_count(1)
    screenshot(page, f"console-corrections-{locale}.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_phone_tells_a_rep_what_changed_in_the_rules_and_why(
    browser: Browser, fast: RunningServer, locale: str
) -> None:
    words = WORDS[locale]
    with fast.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
        username, password = f"rep-{uuid.uuid4().hex[:6]}", "phone-password-1"
        admin.put(f"/api/v1/users/{username}", json={"role": "rep", "password": password, "rep": org.reps[0]})
        reason = "二季度价格调整" if locale == "zh-CN" else "new price list"
        changed = {**org.definition, "rules": [{"on": "deal.won", "points_per": 500}], "change_reason": reason}
        assert admin.put(f"/api/v1/contests/{org.contest}", json=changed).status_code == 202
        rescored(admin, org.contest, 2)
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale=locale, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors, foreign = watch_page(page, fast)
    page.goto(f"{fast.base_url}/login?next=/m")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{fast.base_url}/m")
    news = page.locator("#news")
    expect(news).to_be_visible()
    expect(news).to_contain_text(words["why"] + reason)
    expect(news).to_contain_text(words["new"])
    expect(news).to_contain_text("¥500")
    card = page.locator(f'article.contest[data-contest="{org.contest}"]')
    expect(card.locator(".c-version")).to_contain_text("v2")
    expect(card.locator(".c-rules")).to_contain_text("¥500")
    screenshot(page, f"phone-rule-change-{locale}.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()
