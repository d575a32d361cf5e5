"""The managers' console in a real Chromium: a manager launches a monthly contest from a template, imports reps
from CSV, creates a TV display; the TV with that display's token shows the new contest."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import open_wizard, screenshot, signed_in, watch_page
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer

pytestmark = pytest.mark.browser


def test_a_manager_launches_a_contest_imports_reps_and_sets_up_a_tv(browser: Browser, server: RunningServer) -> None:
    team = unique("east")
    username, password = f"liu-{uuid.uuid4().hex[:6]}", "manager-password-1"
    with server.admin() as admin:
        assert admin.put(f"/api/v1/teams/{team}", json={"name": "华东战队", "color": "#e53935"}).status_code == 201
        admin.put(f"/api/v1/users/{username}", json={"role": "manager", "password": password, "teams": [team]})
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/admin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.base_url}/admin")

    # Reps from CSV: preview first (one bad row), then import the good ones.
    page.click("text=战队与销售")
    rep_ids = [unique("rep") for _ in range(3)]
    csv_text = (
        "id,name,team\n" + "".join(f"{rid},销售{n},{team}\n" for n, rid in enumerate(rep_ids)) + "x y,坏行,nope\n"
    )
    page.fill("#import-text", csv_text)
    page.click("#import-preview")
    expect(page.locator("#import-rows tbody tr")).to_have_count(4)
    expect(page.locator("#import-rows tbody tr.row-error")).to_have_count(1)
    expect(page.locator("#import-summary")).to_contain_text("3")
    screenshot(page, "console-import.png")
    page.click("#import-run")
    expect(page.locator("#import-summary")).to_contain_text("已导入 3")
    expect(page.locator(f'tr[data-rep="{rep_ids[0]}"]')).to_be_visible(timeout=5000)

    # A monthly contest from the template, rules previewed in both languages.
    open_wizard(page, server)
    expect(page.locator("#preview-zh")).to_contain_text("每成交 ¥1,000 得 1 分")
    expect(page.locator("#preview-en")).to_contain_text("1 point per ¥1,000 won")
    contest_id = unique("monthly")
    page.fill("input[name=id]", contest_id)
    page.fill("input[name=name]", "十二月销冠赛")
    expect(page.locator("#wizard-errors")).to_be_empty()
    screenshot(page, "console-wizard.png")
    page.click("#launch")
    expect(page).to_have_url(f"{server.base_url}/admin/contests/{contest_id}")
    expect(page.locator("h1")).to_have_text("十二月销冠赛")
    expect(page.locator("#contest-status")).to_have_text("进行中")
    screenshot(page, "console-contest.png")

    # A display for the new contest; its URL is shown once.
    page.goto(f"{server.base_url}/admin/displays")
    form = page.locator("#new-display")
    form.locator("input[name=name]").fill("销售大厅电视")
    for select in form.locator('select[data-f="contest"]:enabled').all():
        select.select_option(contest_id)
    form.locator("button.primary").click()
    url = page.locator("#display-url")
    expect(url).to_contain_text("/tv/tv_")
    screenshot(page, "console-displays.png")
    tv_url = url.inner_text()
    assert not errors, errors
    assert not foreign, foreign

    tv = context.new_page()
    tv.set_viewport_size({"width": 1920, "height": 1080})
    tv_errors, tv_foreign = watch_page(tv, server)
    tv.goto(tv_url)
    expect(tv.locator("#board-title")).to_have_text("十二月销冠赛")
    expect(tv.locator("#board .row")).to_have_count(3)
    assert not tv_errors, tv_errors
    assert not tv_foreign, tv_foreign
    context.close()


def test_an_admin_makes_users_keys_and_sign_in_links(browser: Browser, server: RunningServer) -> None:
    context, page, errors, foreign = signed_in(browser, server, width=1440)
    page.goto(f"{server.base_url}/admin/keys")
    page.fill("input[name=name]", "HubSpot webhook")
    page.select_option("select[name=scope]", "ingest")
    page.click("text=Create key")
    expect(page.locator("#new-key")).to_contain_text("ak_")
    expect(page.locator("#keys tbody")).to_contain_text("HubSpot webhook")
    screenshot(page, "console-keys.png")
    page.goto(f"{server.base_url}/admin/users")
    name = f"mgr-{uuid.uuid4().hex[:6]}"
    page.fill("input[name=username]", name)
    page.fill("form input[name=name]", "Liu")
    page.fill("input[name=password]", "manager-password-1")
    page.click("text=Save user")
    expect(page.locator(f'tr[data-user="{name}"]')).to_be_visible(timeout=5000)
    page.locator(f'tr[data-user="{name}"] button', has_text="Sign-in link").click()
    expect(page.locator("#signin-url")).to_contain_text("/signin/sl_")
    screenshot(page, "console-users.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()


def test_an_admin_backfills_historical_deals_from_csv(
    browser: Browser, server: RunningServer, calendar: Calendar
) -> None:
    with server.admin() as admin:
        org = make_org(admin)
    prefix = unique("old")
    csv_text = (
        "id,rep,amount,occurred_at\n"
        f"{prefix}-1,{org.reps[0]},88000,{calendar.date_text(3)}\n"
        f"{prefix}-2,{org.reps[1]},not-money,{calendar.date_text(3)}\n"
    )
    context, page, errors, foreign = signed_in(browser, server, width=1440)
    page.goto(f"{server.base_url}/admin/contests")
    page.fill("#backfill-text", csv_text)
    page.click("#backfill-preview")
    expect(page.locator("#backfill-summary")).to_have_text("1 rows ready, 1 with errors")
    expect(page.locator("#backfill-errors")).to_contain_text("Line 3, column amount: must be an amount")
    page.click("#backfill-run")
    expect(page.locator("#backfill-summary")).to_contain_text("1 deals imported")
    with server.admin() as admin:
        rows = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]
    assert next(r for r in rows if r["id"] == org.reps[0])["score"] == 88
    screenshot(page, "console-backfill.png")
    assert not errors and not foreign
    context.close()


def test_the_wizard_simulates_a_draft_on_last_month_and_compares_two(
    browser: Browser, server: RunningServer, calendar: Calendar
) -> None:
    with server.admin() as admin:
        org = make_org(admin)
    last_month = calendar.last_month(10).isoformat()
    with server.ingest() as ingest:
        ingest.post(
            "/api/v1/events",
            json=[
                deal(org.reps[0], "300000", occurred_at=last_month),
                deal(org.reps[1], "50000", occurred_at=last_month),
            ],
        )
    context, page, errors, foreign = signed_in(browser, server, width=1440, height=1000)
    open_wizard(page, server)
    page.click("#simulate")
    # A replay reads every event logged since the period began (backfills are dated, not received, in it): on
    # the suite's shared log that is the whole run's events, so it may take longer than a click's usual 5 s.
    expect(page.locator("#simulation-summary")).to_contain_text("events · Gini", timeout=60_000)
    expect(page.locator("#simulation-rows tbody tr").first).to_be_visible()  # the predicted standings
    page.click("#keep-draft")
    page.click("#compare")
    expect(page.locator("#simulation-summary")).to_contain_text("Draft A: champion", timeout=60_000)
    screenshot(page, "console-simulation.png")
    assert not errors and not foreign
    context.close()
