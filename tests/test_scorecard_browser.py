"""The scorecard in a real Chromium: a manager (console in Chinese) sets the team's weights and targets — first
ones that do not add up, refused next to the form — then reads the team's cards in a sortable table, a rep with
too few deals shown as "not enough data"; the rep (phone in English) sees their own card."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.org import make_org, unique
from tests.support.server import RunningServer

pytestmark = pytest.mark.browser


def _events(rep: str, won: int, lost: int, amount: int, calendar: Calendar) -> list[dict[str, Any]]:
    def at(n: int) -> str:
        return calendar.earlier_today(minutes_ago=n % 50).isoformat()

    deals = [{"type": "deal.won", "amount": str(amount)} for _ in range(won)]
    losses = [{"type": "deal.lost"} for _ in range(lost)]
    return [{"id": unique("sc"), "rep": rep, "occurred_at": at(n), **e} for n, e in enumerate(deals + losses)]


def test_a_manager_sets_and_reads_the_scorecards_and_a_rep_sees_theirs(
    browser: Browser, server: RunningServer, calendar: Calendar
) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=3)
        star, beginner, closer = org.reps
        manager, rep_user = unique("mgr"), unique("rep")
        body = {"role": "manager", "password": "scorecard-pw-1", "teams": [org.teams[0]]}
        assert admin.put(f"/api/v1/users/{manager}", json=body).status_code == 201
        body = {"role": "rep", "password": "scorecard-pw-1", "rep": star}
        assert admin.put(f"/api/v1/users/{rep_user}", json=body).status_code == 201
    events = (
        _events(star, 6, 14, 1000, calendar)
        + _events(beginner, 2, 0, 5000, calendar)
        + _events(closer, 5, 5, 2000, calendar)
    )
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=events).json()["accepted"] == len(events)

    on_phone = signed_in(
        browser,
        server,
        "en",
        username=rep_user,
        password="scorecard-pw-1",
        width=375,
        height=812,
        landing="/m",
        mobile=True,
    )
    phone, phone_errors, phone_foreign = on_phone.page, on_phone.errors, on_phone.foreign
    card = phone.locator("#scorecard")
    expect(card).to_be_visible()
    # no scorecard yet: the phone says so in a plain sentence, not in the total's headline figures
    total = card.locator("#scorecard-total")
    expect(total).to_have_text("Your manager has not set a scorecard yet: your ratios so far.")
    expect(total).to_have_class("pending")
    assert total.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") <= 16

    console = signed_in(browser, server, "zh-CN", username=manager, password="scorecard-pw-1", width=1440)
    page, errors, foreign = console.page, console.errors, console.foreign
    page.goto(f"{server.base_url}/admin/scorecards")
    expect(page.locator("h1")).to_have_text("绩效考核")
    expect(page.locator("#no-definition")).to_be_visible()
    form = page.locator("#scorecard-definition")
    form.locator('tr[data-kpi="conversion"] .weight').fill("60")
    form.locator('tr[data-kpi="conversion"] .target').fill("30")
    form.locator('tr[data-kpi="aov"] .weight').fill("50")
    form.locator('tr[data-kpi="aov"] .target').fill("2000")
    expect(page.locator("#weight-sum")).to_contain_text("110")
    form.locator("button[type=submit]").click()
    expect(form.locator("#scorecard-errors")).to_contain_text("100")  # the weights' sum is refused, with why
    form.locator('tr[data-kpi="conversion"] .weight').fill("50")
    form.locator("button[type=submit]").click()

    table = page.locator("#scorecards")
    expect(table.locator("thead th[data-kpi]")).to_have_count(2)
    # the closer: 50 % conversion and ¥2,000 per deal, full marks; the star: 30 % (full) and half the aov
    expect(table.locator("tbody tr").first).to_have_attribute("data-rep", closer)
    expect(table.locator(f'tr[data-rep="{closer}"] td.total')).to_have_text("100.0")
    expect(table.locator(f'tr[data-rep="{star}"] td.total')).to_have_text("75.0")
    beginner_row = table.locator(f'tr[data-rep="{beginner}"]')
    expect(beginner_row.locator('td[data-kpi="conversion"]')).to_contain_text("数据不足")
    expect(beginner_row.locator("td.total")).to_have_text("—")
    table.locator('thead th[data-kpi="conversion"] button').click()  # best conversion first
    expect(table.locator("tbody tr").first).to_have_attribute("data-rep", closer)
    table.locator('thead th[data-kpi="conversion"] button').click()  # now worst first: no data sorts lowest
    expect(table.locator("tbody tr").first).to_have_attribute("data-rep", beginner)
    screenshot(page, "console-scorecards-zh-CN.png")

    phone.reload()  # the scorecard the manager just set
    expect(total).to_have_text("75 of 100")
    expect(total).not_to_have_class("pending")
    assert total.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 24
    expect(card.locator('li[data-kpi="conversion"]')).to_contain_text("30%")
    expect(card.locator("li")).to_have_count(2)
    card.scroll_into_view_if_needed()
    screenshot(phone, "phone-scorecard-en.png")
    refused = [e for e in errors if "422" in e]  # the weights that did not add up
    assert len(refused) == 1 and len(errors) == 1 and not foreign, errors
    assert not phone_errors and not phone_foreign, phone_errors
    page.context.close()
    phone.context.close()
