"""The sales-management journey's quarter in a real Chromium, in Chinese and English: the console's goals page, the
star rep's phone and the TV's goal slide pace the company's revenue goal (broken down to teams and reps, beside a
margin goal broken down the same way and one contest on percent of it with margin-based points, deals with
margins) by the organisation's working days across a holiday and a 调休 Saturday laid out around the test's
``now``, and agree with the count made here."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import signed_in, watch_page
from tests.support.calendar import SHANGHAI, Calendar
from tests.support.org import make_org, unique
from tests.support.sales_quarter import (
    DAYS_LEFT,
    MARGIN_RULE,
    STATUS,
    WorkDays,
    lay_out_calendar,
    margin_deals,
)
from tests.support.server import RunningServer

# A server of its own: a company goal counts every team and every deal of the workspace.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]

PASSWORD = "journey-password-1"
COMPANY_TARGET, COMPANY_ACTUAL = 400_000, 66_000  # the three deals: 36,000 + 20,000 + 10,000
STAR_TARGET, STAR_ACTUAL = 120_000, 36_000
MARGIN_ACTUAL = 19_000  # 9,000 + 3,000 + 4,000 + 3,000 (the margin as it is: no multiplier)
MARGIN_NAME = {"zh-CN": "毛利额", "en": "Gross margin"}


@pytest.fixture(scope="module")
def quarter(server: RunningServer) -> dict[str, Any]:
    now = datetime.now(UTC)
    with server.admin() as admin:
        days = lay_out_calendar(admin, now.astimezone(SHANGHAI).date())
        org = make_org(admin, teams=2, reps_per_team=2)
        company, margin = unique("goal"), unique("goal")
        named = ((company, "revenue", COMPANY_TARGET, "季度营收目标"), (margin, "margin", 100_000, "季度毛利目标"))
        for goal_id, metric, target, name in named:
            goal = {"metric": metric, "period": days.period, "level": "company", "target": target, "name": name}
            assert admin.put(f"/api/v1/goals/{goal_id}", json=goal).status_code == 201
            parts = dict(zip(org.teams, (target * 3 // 5, target * 2 // 5), strict=True))
            split = admin.post(f"/api/v1/goals/{goal_id}/breakdown", json={"split": "hand", "parts": parts})
            assert split.status_code == 200, split.text
            for team in org.teams:
                evenly = admin.post(f"/api/v1/goals/{goal_id}.{team}/breakdown", json={"split": "even"})
                assert evenly.status_code == 200, evenly.text
        contest = {**org.definition, "id": unique("contest"), "name": "季度毛利达成赛", "rules": [MARGIN_RULE]}
        assert admin.post("/api/v1/contests", json={**contest, "targets_from_goal": margin}).status_code == 201
        rep_user = f"rep-{uuid.uuid4().hex[:6]}"
        user = {"role": "rep", "password": PASSWORD, "rep": org.reps[0]}
        assert admin.put(f"/api/v1/users/{rep_user}", json=user).status_code == 201
        slide = {"kind": "goal", "goal": company, "seconds": 60}
        display = admin.post("/api/v1/displays", json={"name": "季度目标", "playlist": [slide]})
        assert display.status_code == 201, display.text
    with server.ingest() as ingest:
        sent = margin_deals(*org.reps[:3], Calendar(now).earlier_today(10))
        assert ingest.post("/api/v1/events", json=sent).json()["accepted"] == 3
    return {
        "days": days,
        "company": company,
        "margin": margin,
        "rep_goal": f"{company}.{org.teams[0]}.{org.reps[0]}",
        "rep_user": rep_user,
        "token": display.json()["token"],
    }


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_console_phone_and_tv_pace_the_quarter_by_working_days(
    browser: Browser, server: RunningServer, quarter: dict[str, Any], locale: str
) -> None:
    days: WorkDays = quarter["days"]
    left = DAYS_LEFT[locale].format(n=days.left)
    company_status = STATUS[locale][days.status(COMPANY_TARGET, COMPANY_ACTUAL)]

    # the console: the company goal, paced by working days (* : the organisation's own calendar, no public one)
    console = signed_in(browser, server, locale)
    console.page.goto(f"{server.base_url}/admin/goals?period={days.period}")
    row = console.page.locator(f'#goals tr[data-goal="{quarter["company"]}"]')
    expect(row.locator(".days")).to_have_text(f"{days.elapsed} / {days.total} *")
    expect(row.locator(".actual")).to_have_text(f"{COMPANY_ACTUAL:,}")
    expect(row.locator(".expected")).to_have_text(f"{days.expected(COMPANY_TARGET):,.0f}")
    expect(row.locator(".status")).to_have_text(company_status)
    margin_row = console.page.locator(f'#goals tr[data-goal="{quarter["margin"]}"]')
    expect(margin_row.locator("td").nth(2)).to_have_text(MARGIN_NAME[locale])
    expect(margin_row.locator(".actual")).to_have_text(f"{MARGIN_ACTUAL:,}")
    expect(margin_row.locator(".percent")).to_have_text("19.0%")
    option = console.page.locator('#goal-form select[name="metric"] option[value="margin"]')
    expect(option).to_have_text(MARGIN_NAME[locale])
    console.context.close()

    # the phone: the star rep's own goal, its percent, pace and working days left
    phone = signed_in(
        browser, server, locale, username=quarter["rep_user"], password=PASSWORD, landing="/m", width=390, height=844
    )
    mine = phone.page.locator(f'.my-goal[data-goal="{quarter["rep_goal"]}"]')
    expect(mine.locator(".percent")).to_have_text("30.0%")
    expect(mine.locator(".status")).to_have_text(STATUS[locale][days.status(STAR_TARGET, STAR_ACTUAL)])
    expect(mine.locator(".days-left")).to_have_text(left)
    phone.context.close()

    # the TV's goal slide: the company thermometer, each team's contribution, the pace and the days left
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale)
    tv = context.new_page()
    tv_errors, tv_foreign = watch_page(tv, server)
    tv.goto(f"{server.base_url}/tv/{quarter['token']}?lang={locale}")
    expect(tv.locator("#goal-percent")).to_have_text("16.5%")
    expect(tv.locator("#goal-status")).to_contain_text(company_status)
    expect(tv.locator("#goal-status")).to_contain_text(left)
    parts = tv.locator("#goal-tube .goal-part")
    expect(parts).to_have_count(2)
    heights = sorted(round(parts.nth(i).evaluate("el => parseFloat(el.style.height)"), 1) for i in range(2))
    assert heights == [2.5, 14.0]  # 10,000 and 56,000 of 400,000
    context.close()
    assert not console.errors + phone.errors + tv_errors and not console.foreign + phone.foreign + tv_foreign
