"""A rep's goals on the phone follow deals live, in a real Chromium, in Chinese and English: the phone shows its
goal of the month, a won deal is posted through the HTTP API, and the goal's figures and pace move over the
websocket (the ``goals`` board) without the page being loaded again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in
from tests.support.calendar import SHANGHAI
from tests.support.org import deal, make_org, post_events, unique
from tests.support.sales_quarter import STATUS
from tests.support.server import RunningServer

# A server of its own: its log is the deals of this test only.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]

PASSWORD = "goals-live-password-1"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_phones_goal_moves_when_a_deal_arrives(browser: Browser, server: RunningServer, locale: str) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    period = f"{today.year}-{today.month:02d}"
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
        me = org.reps[0]
        username = f"rep-{uuid.uuid4().hex[:6]}"
        admin.put(f"/api/v1/users/{username}", json={"role": "rep", "password": PASSWORD, "rep": me})
        goal = unique("goal")
        body = {"metric": "revenue", "period": period, "level": "rep", "owner": me, "target": 40_000}
        assert admin.put(f"/api/v1/goals/{goal}", json=body).status_code == 201
    post_events(server, [deal(me, 10_000, occurred_at=now.isoformat())])

    phone = signed_in(browser, server, locale, username=username, password=PASSWORD, width=390, height=844,
                      landing="/m", mobile=True)  # fmt: skip
    page = phone.page
    mine = page.locator(f'.my-goal[data-goal="{goal}"]')
    expect(mine.locator(".percent")).to_have_text("25.0%")
    expect(mine.locator(".actual")).to_have_text("10,000")
    expect(page.locator("#live")).to_have_text("实时" if locale == "zh-CN" else "Live")
    page.evaluate("window.__notReloaded = true")

    # another rep's deal is not mine: my figures stay; then my own deal reaches the target
    post_events(server, [deal(org.reps[1], 5_000, occurred_at=now.isoformat())])
    big = unique("evt")
    post_events(server, [deal(me, 30_000, event_id=big, occurred_at=datetime.now(UTC).isoformat())])
    expect(mine.locator(".actual")).to_have_text("40,000", timeout=10_000)
    expect(mine.locator(".percent")).to_have_text("100.0%")
    expect(mine.locator(".status")).to_have_text(STATUS[locale]["reached"])
    expect(mine).to_have_attribute("data-status", "reached")
    assert mine.locator(".progress span").evaluate("el => el.style.width") == "100%"
    assert page.evaluate("window.__notReloaded === true"), "the page was loaded again"

    # a reversal takes it back, live too
    post_events(server, [{"id": unique("evt"), "type": "deal.reversed", "rep": me, "ref": big}])
    expect(mine.locator(".actual")).to_have_text("10,000", timeout=10_000)
    expect(mine.locator(".status")).not_to_have_text(STATUS[locale]["reached"])
    screenshot(page, f"phone-goals-live-{locale}.png")
    assert page.evaluate("window.__notReloaded === true")
    assert phone.errors == [] and phone.foreign == []
    phone.context.close()
