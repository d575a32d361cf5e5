"""A new team's console, walked through in a real Chromium, in Chinese and in English, with pages only: the
workspace's new administrator adds the team, its two reps and its manager, connects a CRM through a generic
signed webhook and matches the CRM user whose deal waits, then adds a WeCom channel and sends it a test; the
team's new manager launches this month's contest scored on each rep's target read from a CSV file, watches the
dashboard's chart and standing move as the CRM's deals arrive, and decides the anti-gaming flag those deals
raised from the lift report reached from the contest's page. CRM connectors and chat channels are the
administrator's (the manager's console has no such pages). The only requests the test makes itself are the
CRM's (signed webhook posts) and the one that makes the administrator's account; each page of the walk is kept
as a screenshot."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.support.browser import open_wizard, screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.fake_chat import running_fake_chat
from tests.support.integrations import send_signed
from tests.support.org import unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# A server of its own: a new organisation, as the walk-through means.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


PASSWORD = "walkthrough-password-1"
WORDS = {
    "zh-CN": {
        "connectors": "CRM 连接器",
        "channels": "群通知",
        "counted": "1 笔等待中的订单已计入",
        "all_matched": "推送过订单的 CRM 用户都已对应到销售。",
        "test_sent": "测试消息已送达",
        "matched": "已匹配 2 名销售，0 行未匹配",
        "live": "进行中",
        "dashboard": "仪表盘",
        "note": "同一家客户的两个部门，已核实",
        "reversed": "已撤销 1 个事件",
    },
    "en": {
        "connectors": "CRM connectors",
        "channels": "Chat channels",
        "counted": "1 waiting deal(s) counted",
        "all_matched": "Every CRM user who sent a deal is matched to a rep.",
        "test_sent": "Test message delivered to",
        "matched": "2 reps matched, 0 rows not matched",
        "live": "Live",
        "dashboard": "Dashboard",
        "note": "two departments of one customer, checked",
        "dismissed": "Dismissed: scores unchanged.",
    },
}


def new_administrator(admin: httpx.Client) -> str:
    """The workspace's new administrator, as its installation makes them: the one account the walk starts from."""
    username = unique("boss")
    assert admin.put(f"/api/v1/users/{username}", json={"role": "admin", "password": PASSWORD}).is_success
    return username


def saved(page: Page, form: Locator, fields: dict[str, str], then: Locator) -> None:
    """Fill a console form, save it, and wait for the page to show what was saved (it reloads)."""
    for name, value in fields.items():
        field = form.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button.primary").click()
    expect(then).to_have_count(1, timeout=20_000)


def set_up_team(page: Page, base_url: str) -> dict[str, Any]:
    """The administrator adds a team, its two reps and the team's new manager from the console's pages."""
    team = unique("team")
    reps = [(unique("rep"), f"{person} {uuid.uuid4().hex[:4]}") for person in ("张伟", "李娜")]
    manager = unique("mgr")
    page.goto(f"{base_url}/admin/people")
    added = page.locator(f'input[type=hidden][name=id][value="{team}"]')
    saved(page, page.locator('form.row-flex[data-api^="PUT /api/v1/teams/"]'), {"id": team, "name": "华东"}, added)
    for rep, name in reps:
        form = page.locator('form.row-flex[data-api^="PUT /api/v1/reps/"]')
        added = page.locator(f'input[type=hidden][name=id][value="{rep}"]')
        saved(page, form, {"id": rep, "name": name, "team": team}, added)
    page.goto(f"{base_url}/admin/users")
    fields = {"username": manager, "name": "王经理", "role": "manager", "password": PASSWORD, "teams": team}
    listed = page.locator(f'tr[data-user="{manager}"]')
    saved(page, page.locator('form[data-api^="PUT /api/v1/users/"]'), fields, listed)
    expect(listed.locator("td.scope")).to_have_text("华东")  # the team by its name, not its id
    # every row's actions stay a table cell, so the rows' lines run the table's full width
    displays = page.locator("main table tbody tr td:last-child").evaluate_all(
        "cells => cells.map(c => getComputedStyle(c).display)"
    )
    assert set(displays) == {"table-cell"}, displays
    return {"team": team, "reps": reps, "manager": manager}


def shot(page: Page, step: str, locale: str) -> None:
    screenshot(page, f"walkthrough-{step}-{locale}.png")


def crm_deal(crm_user: str, amount: int, at: str, **extra: Any) -> dict[str, Any]:
    """A won deal as the CRM sends it: its own user id as the rep."""
    return {"id": unique("crm"), "type": "deal.won", "rep": crm_user, "amount": str(amount), "occurred_at": at, **extra}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_new_manager_runs_a_contest_from_the_console_alone(
    browser: Browser, server: RunningServer, locale: str, tmp_path: Path
) -> None:
    words = WORDS[locale]
    calendar = Calendar.from_clock()
    with server.admin() as admin:
        administrator = new_administrator(admin)

    # 0. The administrator adds the team, its reps and its manager.
    context, page, errors, foreign = signed_in(browser, server, locale, username=administrator, password=PASSWORD)
    expect(page).to_have_url(f"{server.base_url}/admin")
    org = set_up_team(page, server.base_url)
    (rep0, name0), (_, name1) = org["reps"]
    shot(page, "0-users", locale)

    # 1. The administrator connects a CRM through the generic webhook: its address and secret are shown once.
    page.get_by_role("link", name=words["connectors"]).click()
    expect(page).to_have_url(f"{server.base_url}/admin/connectors")
    form = page.locator("#new-connector")
    form.locator("input[name=name]").fill(f"CRM {uuid.uuid4().hex[:6]}")
    form.locator("button.primary").click()
    expect(page.locator("#connector-secret")).to_be_visible()
    hook_url = page.locator("#new-url").inner_text()
    secret = page.locator("#new-secret").inner_text()
    assert hook_url.startswith(f"{server.base_url}/hooks/generic/") and len(secret) >= 16
    shot(page, "1-connector", locale)
    page.locator("#secret-done").click()
    card = page.locator(f'section[data-connector="{hook_url.rsplit("/", 1)[1]}"]')

    # 2. A deal from a CRM user nobody knows waits; one click matches the user to a rep and the deal counts.
    crm_user = f"crm-{uuid.uuid4().hex[:6]}"
    first = crm_deal(crm_user, 5_000, calendar.earlier_today(50).isoformat())
    assert send_signed(hook_url, secret, first).json()["held"] == 1
    row = card.locator(f'tr[data-crm-user="{crm_user}"]')
    expect(row).to_be_visible(timeout=20_000)
    row.locator("select").select_option(rep0)
    row.locator("button.primary").click()
    expect(card.locator(".c-map-result")).to_contain_text(words["counted"])
    expect(card.locator(".c-unmapped-none")).to_have_text(words["all_matched"])
    expect(card.locator(".c-unmapped-none")).to_be_visible()
    expect(row).to_have_count(0)
    shot(page, "2-matched", locale)

    # 3. A WeCom channel pointing at a loopback chat receives a test message.
    channel_name, path = f"华东群 {uuid.uuid4().hex[:6]}", f"/wecom/{uuid.uuid4().hex[:8]}"
    with running_fake_chat() as chat:
        page.get_by_role("link", name=words["channels"]).click()
        form = page.locator("#new-channel")
        form.locator("select[name=type]").select_option("wecom")
        for field, value in (("name", channel_name), ("url", chat.url + path)):
            form.locator(f"input[name={field}]").fill(value)
        expect(page).to_have_url(f"{server.base_url}/admin/channels")
        form.locator("button.primary").click()
        channel = page.locator("#channels tbody tr", has_text=channel_name)
        expect(channel).to_be_visible()
        channel.locator(".ch-actions button").first.click()
        expect(page.locator("#channel-result")).to_contain_text(words["test_sent"])
        eventually(lambda: len(chat.at(path)) >= 1, timeout=30, what="the chat to receive the test")
        assert chat.at(path)[0].body["msgtype"] in ("text", "markdown")
        shot(page, "3-channel", locale)
    assert not errors and not foreign, (errors, foreign)
    context.close()

    # 4. The new manager launches this month's contest, scored on each rep's target from a CSV file.
    context, page, errors, foreign = signed_in(browser, server, locale, username=org["manager"], password=PASSWORD)
    expect(page).to_have_url(f"{server.base_url}/admin")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    targets = tmp_path / "targets.csv"
    targets.write_text(f"rep,target\n{rep0},100\n{name1},200\n", "utf-8")
    open_wizard(page, server)
    page.click('#periods [data-period="this_month"]')
    page.fill("input[name=name]", f"本月冲刺 {uuid.uuid4().hex[:6]}")
    contest = page.input_value("input[name=id]")
    page.check(f'.team-box[value="{org["team"]}"]')
    page.select_option("select[name=scoring]", "percent_of_target")
    page.set_input_files("#targets-file", str(targets))
    expect(page.locator("#targets-summary")).to_have_text(words["matched"])
    expect(page.locator("#targets-rows tbody tr.row-ok")).to_have_count(2)
    expect(page.locator("#targets-missing")).to_be_hidden()
    expect(page.locator("#preview-zh")).not_to_be_empty(timeout=20_000)
    shot(page, "4-wizard", locale)
    page.click("#launch")
    expect(page).to_have_url(f"{server.base_url}/admin/contests/{contest}", timeout=30_000)
    expect(page.locator("#contest-status")).to_have_text(words["live"])
    shot(page, "4-contest", locale)

    # 5. The dashboard's chart, its table and the standing move as the CRM's deals arrive, without a reload.
    page.get_by_role("link", name=words["dashboard"]).click()
    expect(page).to_have_url(f"{server.base_url}/admin")
    card = page.locator(f'.dash-contest[data-contest="{contest}"]')
    line = page.locator(f"#line-{contest}")
    expect(line).to_have_attribute("data-total", "5", timeout=20_000)  # the matched deal: 5 points so far
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open", timeout=20_000)
    expect(card.locator(".leader .name")).to_have_text(name0)
    team_score = card.locator(f'.dash-teams tr[data-team="{org["team"]}"] .score')
    expect(team_score).not_to_be_empty()
    standing = team_score.inner_text()
    line.locator(".chart-data summary").click()
    last_total = line.locator(".chart-data tbody tr").last.locator("td").first
    expect(last_total).to_have_text("5")
    shot(page, "5-dashboard", locale)
    customer = unique("老客户")
    new_customer = {"customer": customer, "new_customer": True}
    loaded = page.evaluate("() => performance.getEntriesByType('navigation').length")
    second = crm_deal(crm_user, 20_000, calendar.earlier_today(40).isoformat(), **new_customer)
    assert send_signed(hook_url, secret, second).json()["accepted"] == 1
    # 20 points for the amount and 20 for a new customer (the default monthly rules)
    expect(line).to_have_attribute("data-total", "45", timeout=20_000)
    expect(last_total).to_have_text("45")
    expect(team_score).not_to_have_text(standing)
    standing = team_score.inner_text()
    # the same customer counted as new a second time: the flag the lift report will show
    third = crm_deal(crm_user, 30_000, calendar.earlier_today(30).isoformat(), **new_customer)
    assert send_signed(hook_url, secret, third).json()["accepted"] == 1
    expect(line).to_have_attribute("data-total", "95", timeout=20_000)
    expect(last_total).to_have_text("95")
    expect(team_score).not_to_have_text(standing)
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == loaded
    shot(page, "5-dashboard-live", locale)

    # 6. The dashboard, opened again, counts the flag those deals raised; the lift report, reached from the
    # contest's page, shows it, and it is decided.
    page.get_by_role("link", name=words["dashboard"]).click()
    expect(page.locator("#open-flags .count")).to_have_text("1", timeout=30_000)
    page.locator(f"#title-{contest} a").click()
    expect(page).to_have_url(f"{server.base_url}/admin/contests/{contest}")
    page.locator("#effect-and-flags #lift-link").click()
    expect(page).to_have_url(f"{server.base_url}/admin/contests/{contest}/lift")
    flag = page.locator("article.flag", has=page.locator("code", has_text="duplicate_new_customer"))
    expect(flag).to_have_count(1, timeout=30_000)
    expect(flag).to_contain_text(customer)
    shot(page, "6-lift", locale)
    flag.locator("input[name=note]").fill(words["note"])
    if locale == "zh-CN":
        page.once("dialog", lambda dialog: dialog.accept())
        flag.locator("button[value=reverse]").click()
        outcome = words["reversed"]
    else:
        flag.locator("button[value=dismiss]").click()
        outcome = words["dismissed"]
    expect(page.locator("article.flag.decided .outcome").first).to_contain_text(outcome)
    expect(page.locator("article.flag.decided .decision-note").first).to_contain_text(words["note"])
    shot(page, "6-flag-decided", locale)
    assert not errors and not foreign, (errors, foreign)
    context.close()
