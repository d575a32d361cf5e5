"""Goals in a real Chromium, in Chinese and English: the console's goals page, a rep's phone and the TV's goal
slide all pace a quarter's company goal by working days, across a holiday and a make-up Saturday the test lays
out around today (the organisation's own calendar), and agree with each other and with a count made here."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import signed_in, watch_page
from tests.support.calendar import SHANGHAI
from tests.support.org import make_org, unique
from tests.support.sales_quarter import DAYS_LEFT, STATUS
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# A server of its own: a company goal counts every team and every deal of the workspace.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]

PASSWORD = "goals-password-1"


def _quarter(today: date) -> tuple[str, date, date]:
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = date(first.year + 1, 1, 1) if first.month == 10 else date(first.year, first.month + 3, 1)
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}", first, end


@pytest.fixture(scope="module")
def world(server: RunningServer) -> dict[str, Any]:
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    period, start, end = _quarter(today)
    # today and tomorrow off; the Saturday before today worked (or the next one, early in a quarter)
    holidays = {today, today + timedelta(days=1)}
    saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
    make_up = saturday if saturday >= start else saturday + timedelta(days=14)
    calendar = {
        "country": "OTHER",
        "holidays": sorted(d.isoformat() for d in holidays),
        "workdays": [make_up.isoformat()],
    }

    def working(day: date) -> bool:
        return day == make_up or (day not in holidays and day.weekday() < 5)

    days = [start + timedelta(days=n) for n in range((end - start).days)]
    total, elapsed = sum(map(working, days)), sum(working(d) for d in days if d <= today)
    with server.admin() as admin:
        assert admin.put("/api/v1/org/calendar", json=calendar).status_code == 200
        org = make_org(admin, teams=2, reps_per_team=2)
        company = unique("goal")
        goal = {"metric": "revenue", "period": period, "level": "company", "target": 400_000, "name": "季度业绩目标"}
        assert admin.put(f"/api/v1/goals/{company}", json=goal).status_code == 201
        assert admin.post(f"/api/v1/goals/{company}/breakdown", json={"split": "even"}).status_code == 200
        team_goal = f"{company}.{org.teams[0]}"
        assert admin.post(f"/api/v1/goals/{team_goal}/breakdown", json={"split": "even"}).status_code == 200
        manager, rep_user = f"mgr-{uuid.uuid4().hex[:6]}", f"rep-{uuid.uuid4().hex[:6]}"
        admin.put(f"/api/v1/users/{manager}", json={"role": "admin", "password": PASSWORD})
        admin.put(f"/api/v1/users/{rep_user}", json={"role": "rep", "password": PASSWORD, "rep": org.reps[0]})
        slide = {"kind": "goal", "goal": company, "seconds": 60}
        display = admin.post("/api/v1/displays", json={"name": "目标", "playlist": [slide]})
        assert display.status_code == 201, display.text
    with server.ingest() as ingest:
        deals = [(org.reps[0], 30_000), (org.reps[2], 10_000)]
        sent = [
            {"id": unique("evt"), "type": "deal.won", "rep": r, "amount": str(a), "occurred_at": now.isoformat()}
            for r, a in deals
        ]
        assert ingest.post("/api/v1/events", json=sent).json()["accepted"] == 2
    expected = 400_000 * elapsed / total
    return {
        "company": company,
        "rep_goal": f"{team_goal}.{org.reps[0]}",
        "org": org,
        "manager": manager,
        "rep_user": rep_user,
        "token": display.json()["token"],
        "total": total,
        "elapsed": elapsed,
        "expected": expected,
        "status": "on_track" if expected <= 40_000 else "behind",
        "rep_status": "on_track" if 100_000 * elapsed / total <= 30_000 else "behind",
    }


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_console_phone_and_tv_pace_a_goal_by_working_days(
    browser: Browser, server: RunningServer, world: dict[str, Any], locale: str
) -> None:
    # the console: the company goal and its parts, paced by working days
    context, page, errors, foreign = signed_in(browser, server, locale, username=world["manager"], password=PASSWORD)
    page.goto(f"{server.base_url}/admin/goals?period={_quarter(datetime.now(UTC).astimezone(SHANGHAI).date())[0]}")
    row = page.locator(f'#goals tr[data-goal="{world["company"]}"]')
    # * : no public calendar (the organisation's own days and weekends only), as this test's calendar asks
    expect(row.locator(".days")).to_have_text(f"{world['elapsed']} / {world['total']} *")
    expect(row.locator(".actual")).to_have_text("40,000")
    expect(row.locator(".expected")).to_have_text(f"{world['expected']:,.0f}")
    expect(row.locator(".status")).to_have_text(STATUS[locale][world["status"]])
    expect(page.locator("#goals tbody tr")).to_have_count(5)  # company, two teams, team 0's two reps
    context.close()

    # the phone: the rep's own goal with its pace and the working days left
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale)
    phone = context.new_page()
    phone_errors, phone_foreign = watch_page(phone, server)
    phone.goto(f"{server.base_url}/login")
    phone.fill("input[name=username]", world["rep_user"])
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]")
    phone.goto(f"{server.base_url}/m")
    mine = phone.locator(f'.my-goal[data-goal="{world["rep_goal"]}"]')
    expect(mine.locator(".status")).to_have_text(STATUS[locale][world["rep_status"]])
    expect(mine.locator(".percent")).to_have_text("30.0%")
    expect(mine.locator(".days-left")).to_have_text(DAYS_LEFT[locale].format(n=world["total"] - world["elapsed"]))
    context.close()

    # the TV: the company thermometer, filled by each team's contribution
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale)
    tv = context.new_page()
    tv_errors, tv_foreign = watch_page(tv, server)
    tv.goto(f"{server.base_url}/tv/{world['token']}?lang={locale}")
    expect(tv.locator("#goal-percent")).to_have_text("10.0%")
    expect(tv.locator("#goal-status")).to_contain_text(STATUS[locale][world["status"]])
    expect(tv.locator("#goal-status")).to_contain_text(DAYS_LEFT[locale].format(n=world["total"] - world["elapsed"]))
    expect(tv.locator("#goal-teams li")).to_have_count(2)
    parts = tv.locator("#goal-tube .goal-part")
    expect(parts).to_have_count(2)
    heights = [parts.nth(i).evaluate("el => parseFloat(el.style.height)") for i in range(2)]
    assert sorted(round(h, 1) for h in heights) == [2.5, 7.5]  # 10,000 and 30,000 of 400,000
    context.close()
    assert not errors + phone_errors + tv_errors and not foreign + phone_foreign + tv_foreign


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_admin_sets_the_calendars_country_and_own_days_in_the_console(
    browser: Browser, server: RunningServer, world: dict[str, Any], locale: str
) -> None:
    today = datetime.now(UTC).astimezone(SHANGHAI).date()
    off = [today + timedelta(days=40), today + timedelta(days=41)]
    with server.admin() as admin:
        before = admin.get("/api/v1/org/calendar").json()
    context, page, errors, foreign = signed_in(browser, server, locale, username=world["manager"], password=PASSWORD)
    try:
        page.goto(f"{server.base_url}/admin/goals")
        form = page.locator("#calendar-form")
        expect(form.locator("select[name=country]")).to_have_value(before["country"])
        assert "<" not in page.title() and "{" not in page.title()  # the page's title is words only
        expect(form.locator('option[value="SG"]')).to_have_count(1)
        form.locator("select[name=country]").select_option("SG")
        form.locator("textarea[name=holidays]").fill(f"{off[1].isoformat()}\n{off[0].isoformat()}")
        form.locator("textarea[name=workdays]").fill("")
        form.locator("button").click()
        with server.admin() as admin:
            eventually(lambda: admin.get("/api/v1/org/calendar").json()["country"] == "SG", what="the calendar saved")
            saved = admin.get("/api/v1/org/calendar").json()
        assert saved == {"country": "SG", "holidays": [d.isoformat() for d in off], "workdays": []}
        # the page reloads itself after saving and shows the calendar as saved (the days sorted)
        expect(form.locator("select[name=country]")).to_have_value("SG")
        expect(form.locator("textarea[name=holidays]")).to_have_value(f"{off[0].isoformat()}\n{off[1].isoformat()}")
        form.locator("textarea[name=holidays]").fill("not-a-day")
        form.locator("button").click()
        expect(form.locator(".form-errors")).not_to_be_empty()  # refused, in words, and nothing saved
        with server.admin() as admin:
            assert admin.get("/api/v1/org/calendar").json() == saved
        refused = "Failed to load resource: the server responded with a status of 422"
        assert [e.split(" (")[0] for e in errors] == [refused] and not foreign
    finally:
        context.close()
        with server.admin() as admin:
            assert admin.put("/api/v1/org/calendar", json=before).status_code == 200
