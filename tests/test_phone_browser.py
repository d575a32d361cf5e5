"""The reps' phone at 375×812 in a real Chromium: sign in, see my rank, watch it change live after a deal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, watch_page
from tests.support.org import deal, make_org
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# A server of its own: a rep here is in the contests made here only.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_rep_signs_in_and_sees_the_rank_change_live(browser: Browser, server: RunningServer, locale: str) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=2, default_target=500)
        me = org.reps[3]
        username, password = f"rep-{uuid.uuid4().hex[:6]}", "phone-password-1"
        admin.put(f"/api/v1/users/{username}", json={"role": "rep", "password": password, "rep": me})
    with server.ingest() as ingest:
        for index, rep in enumerate(org.reps[:3]):
            ingest.post("/api/v1/events", json=deal(rep, (index + 1) * 10_000))
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale=locale, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/m")
    expect(page).to_have_url(f"{server.base_url}/login?next=/m")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    screenshot(page, f"phone-login-{locale}.png")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.base_url}/m")
    card = page.locator(f'article.contest[data-contest="{org.contest}"]')
    expect(card.locator(".c-rank")).to_have_text("#4")
    expect(page.locator("#live")).to_have_text("实时" if locale == "zh-CN" else "Live")
    expect(card.locator(".c-rules")).to_contain_text("¥1,000")
    with server.ingest() as ingest:
        stamp = datetime.now(UTC).isoformat()
        ingest.post("/api/v1/events", json=deal(me, 25_000, occurred_at=stamp))
    expect(card.locator(".c-rank")).to_have_text("#2", timeout=5000)
    expect(card.locator(".c-score")).to_have_text("25")
    expect(card.locator(".c-gap")).to_contain_text("5")  # 30 points for #1
    expect(card.locator(".c-pace")).to_contain_text("500", timeout=5000)
    card.locator(".c-ledger-toggle").click()
    expect(card.locator(".c-ledger li")).to_have_count(1)
    expect(card.locator(".c-ledger li .pts")).to_have_text("+25")
    screenshot(page, f"phone-{locale}.png")  # after the rank's pop animation (screenshot settles)
    manifest = page.evaluate("fetch('/m/manifest.webmanifest').then(r => r.json())")
    assert manifest["start_url"] == "/m" and manifest["display"] == "standalone"
    eventually(  # registered at the end of the page's start-up, without waiting for it
        lambda: page.evaluate("navigator.serviceWorker.getRegistration('/m').then(r => !!r)"),
        what="the service worker registered for /m",
    )
    assert not errors, errors
    assert not foreign, foreign
    context.close()


def test_challenges_are_sent_and_accepted_from_the_phone(browser: Browser, server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
        users = []
        for rep in org.reps:
            username = f"rep-{uuid.uuid4().hex[:6]}"
            admin.put(f"/api/v1/users/{username}", json={"role": "rep", "password": "phone-password-1", "rep": rep})
            users.append(username)
    pages = []
    for username in users:
        context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN", is_mobile=True)
        page = context.new_page()
        page.goto(f"{server.base_url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "phone-password-1")
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{server.base_url}/m")
        pages.append(page)
    challenger, opponent = pages
    challenger.select_option("#challenge-form select[name=opponent]", org.reps[1])
    challenger.click("#challenge-form button")
    expect(challenger.locator("#challenge-list .challenge").first).to_contain_text("等待")
    opponent.reload()
    opponent.locator("#challenge-list button[data-action=accept]").first.click()
    expect(opponent.locator("article.contest")).to_have_count(2, timeout=5000)
    screenshot(opponent, "phone-challenge-zh-CN.png")
    for page in pages:
        page.context.close()
