"""The console's badges, audit log and rules change pages in a real Chromium, in Chinese and English, through
the pages only: an admin defines a badge and sees the preview name the right reps before saving, finds the
change in the audit log in words, and changes a running contest's rules with a reason after seeing who moves;
the board and the versions list follow. (The organisation and its deals are set up over the API.)"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, scores, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# A server of its own: the boards and the audit log hold only what is made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


WORDS = {
    "zh-CN": {
        "amount_needed": "请输入获得这枚徽章所需的金额（正数）。",
        "would_hold": "目前有",
        "badge_put": "新建、修改或停用了徽章",
        "reason_needed": "请说明修改规则的原因：竞赛已开始，参赛销售会收到通知。",
        "moved": "名销售的名次或得分会变化",
        "call_clause": "电话",
        "rule_refused": "请检查这条规则：分数为 0 或以上的整数，每分金额为正数，每日上限至少为 1。",
        "rescore_running": "这个竞赛正在重新计分：请等它完成后再确认。",
        "admins_only": "只有管理员可以定义徽章。",
    },
    "en": {
        "amount_needed": "Enter the amount this badge needs, a positive number.",
        "would_hold": "reps would hold it now",
        "badge_put": "Defined, changed or retired a badge",
        "reason_needed": "Say why the rules change: the contest has started and its reps are told.",
        "moved": "reps move",
        "call_clause": "Call",
        "rule_refused": "Check this rule: whole points from 0, a positive amount per point, a daily cap of 1 or more.",
        "rescore_running": "A rescore of this contest is running: wait for it to finish, then confirm again.",
        "admins_only": "Only an administrator may define badges.",
    },
}


def refusals_only(errors: list[str], *statuses: int) -> None:
    """No console error but Chromium's own line for each refusal the test provoked on purpose."""
    refused = [f"Failed to load resource: the server responded with a status of {status}" for status in statuses]
    assert sorted(e.split(" (")[0] for e in errors) == sorted(refused), errors


def calls(rep: str, count: int, calendar: Calendar) -> list[dict[str, Any]]:
    return [
        {"id": unique("call"), "type": "call.logged", "rep": rep, "occurred_at": calendar.at(1, 9, n)}
        for n in range(count)
    ]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_badge_is_previewed_saved_and_found_in_the_audit_log_in_words(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    words = WORDS[locale]
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
    big, small = org.reps
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=[deal(big, 9_300_000), deal(small, 90_000)]).json()["accepted"] == 2
    _, page, errors, foreign = signed_in(browser, server, locale, height=720)

    page.locator("nav.side a[href='/admin/badges']").click()
    expect(page.locator("#badge-list tr[data-badge='big-deal'] svg use")).to_have_attribute("href", "#badge-big_deal")
    page.click("#badge-new")
    form = page.locator("#badge-form")
    badge = unique("huge")
    form.locator("input[name=id]").fill(badge)
    form.locator("select[name=kind]").select_option("big_deal")
    form.locator("select[name=period]").select_option("ever")
    form.locator("input[name=name_zh]").fill("九百万大单")
    form.locator("input[name=name_en]").fill("Nine Million")
    expect(form.locator("input[name=days]")).to_be_hidden()  # a streak's field has no place on a big deal

    page.click("#badge-preview")  # no amount yet: the refusal is shown next to the amount, in words
    expect(form.locator(".field-error[data-for=amount]")).to_have_text(words["amount_needed"])
    expect(form.locator("input[name=amount]")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#badge-errors").inner_text().strip() == ""
    forbidden = "(r) => FieldErrors.refusal(r, {page: 'badges'})"
    assert page.evaluate(forbidden, {"status": 403, "data": {"error": "forbidden"}}) == words["admins_only"]

    form.locator("input[name=amount]").fill("9000000")
    page.click("#badge-preview")
    listed = page.locator("#badge-preview-list")
    expect(listed.locator(f"li[data-rep='{big}']")).to_have_text("销售 0-0", timeout=15_000)
    expect(listed.locator(f"li[data-rep='{small}']")).to_have_count(0)
    expect(page.locator("#badge-preview-result .preview-count")).to_contain_text(words["would_hold"])
    expect(form.locator(".field-error")).to_have_count(0)
    screenshot(page, f"console-badge-preview-{locale}.png")

    page.click("#badge-save")
    row = page.locator(f"#badge-list tr[data-badge='{badge}']")
    expect(row).to_be_visible(timeout=10_000)
    expect(row.locator(".meaning")).to_contain_text("9,000,000")
    expect(row.locator("svg use")).to_have_attribute("href", "#badge-big_deal")

    # Changing it: the preview follows the new number before anything is saved.
    row.locator(".badge-edit").click()
    expect(form.locator("input[name=id]")).to_have_value(badge)
    expect(form.locator("input[name=amount]")).to_have_value("9000000")
    form.locator("input[name=amount]").fill("9500000")
    page.click("#badge-preview")
    expect(page.locator("#badge-preview-result .preview-count")).to_be_visible()
    expect(listed.locator(f"li[data-rep='{big}']")).to_have_count(0)
    page.click("#badge-cancel")
    expect(form).to_be_hidden()

    page.locator("nav.side a[href='/admin/audit']").click()
    page.locator("#audit-filters select[name=action]").select_option("badge.put")
    page.locator("#audit-filters input[name=target]").fill(badge)
    page.locator("#audit-filters button[type=submit]").click()
    entries = page.locator("#audit-entries tbody tr[data-action]")
    expect(entries).to_have_count(1)
    expect(entries.first.locator(".action-name")).to_have_text(words["badge_put"])
    page.locator("#audit-filters input[name=actor]").fill("nobody-at-all")
    page.locator("#audit-filters button[type=submit]").click()
    expect(entries).to_have_count(0)
    page.locator("#audit-filters input[name=actor]").fill("")
    page.locator("#audit-filters select[name=action]").select_option("")
    page.locator("#audit-filters input[name=target]").fill("")
    page.locator("#audit-filters button[type=submit]").click()
    expect(entries.nth(2)).to_be_visible()  # the whole log again: the reps, the teams, the badge (a new page load)
    names = page.locator("#audit-entries .action-name").all_inner_texts()
    assert names and not any("." in name and " " not in name for name in names), names  # words, not codes
    screenshot(page, f"console-audit-{locale}.png")

    # Retire it, confirming first; it stays listed as retired.
    page.locator("nav.side a[href='/admin/badges']").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#badge-list tr[data-badge='{badge}'] .badge-retire").click()
    expect(page.locator(f"#badge-list tr[data-badge='{badge}'].retired")).to_be_visible(timeout=10_000)
    refusals_only(errors, 422)
    assert foreign == []


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_running_contest_changes_rules_after_a_preview_of_who_moves(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    words = WORDS[locale]
    calendar = Calendar.from_clock()
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=3)
        seller, caller, _idle = org.reps
        with server.ingest() as ingest:
            events = [deal(seller, 10_000), *calls(caller, 4, calendar)]
            assert ingest.post("/api/v1/events", json=events).json()["accepted"] == 5
        eventually(lambda: scores(admin, org.contest).get(seller) == 10, what="the deal on the board")
    _, page, errors, foreign = signed_in(browser, server, locale, height=720)
    page.goto(f"{server.base_url}/admin/contests/{org.contest}")
    standings = page.locator(".grid2 .card").first.locator("tbody tr")
    expect(standings.first).to_contain_text("销售 0-0")

    section = page.locator("#rule-change")
    section.locator("#rule-add").click()
    new_rule = section.locator(".rule-row").nth(1)
    new_rule.locator("select[name=on]").select_option("call.logged")
    new_rule.locator("input[name=points]").fill("-5")  # refused by the API: said next to that rule, in words
    section.locator("#rule-preview").click()
    expect(new_rule.locator(".field-error")).to_have_text(words["rule_refused"])  # once, for the whole rule
    expect(new_rule.locator(".field-error")).to_have_attribute("data-for", re.compile(r"^rules\[1\]"))
    expect(section.locator(".rule-row").first.locator(".field-error")).to_have_count(0)
    expect(section.locator(".field-error")).to_have_count(1)
    assert page.locator("#rule-errors").inner_text().strip() == ""
    screenshot(page, f"console-rule-refused-{locale}.png")
    # A refusal naming no field (a rescore already running) is said in the page's words.
    running = "(r) => FieldErrors.refusal(r, {page: 'rule-change'})"
    refused = {"status": 409, "data": {"error": "a rescore is running"}}
    assert page.evaluate(running, refused) == words["rescore_running"]
    new_rule.locator("input[name=points]").fill("5")
    expect(section.locator("#rule-confirm")).to_be_disabled()
    section.locator("#rule-preview").click()
    moved = section.locator(f"#rule-moves tr[data-rep='{caller}']")
    expect(moved.locator(".rank-before")).to_have_text("2", timeout=20_000)
    expect(moved.locator(".rank-after")).to_have_text("1")
    expect(moved.locator(".points-before")).to_have_text("0")
    expect(moved.locator(".points-after")).to_have_text("20")
    expect(moved).to_have_class("up")
    expect(section.locator(f"#rule-moves tr[data-rep='{seller}'] .rank-after")).to_have_text("2")
    expect(section.locator(".moves-summary")).to_contain_text(words["moved"])
    section.locator("#rule-moves").scroll_into_view_if_needed()
    screenshot(page, f"console-rule-preview-{locale}.png")

    section.locator("#rule-confirm").click()  # without a reason: refused, next to the reason
    expect(section.locator(".field-error[data-for=change_reason]")).to_have_text(words["reason_needed"])
    section.locator("textarea[name=change_reason]").fill("电话也计分" if locale == "zh-CN" else "Calls count too")
    section.locator("#rule-confirm").click()
    expect(section.locator("#rule-rescore")).to_be_visible()
    version = page.locator("#versions tr[data-version='2']")
    expect(version).to_be_visible(timeout=30_000)  # the page reloads once the rescore is done
    expect(version.locator(".reason")).to_have_text("电话也计分" if locale == "zh-CN" else "Calls count too")
    expect(version.locator(".diff li.added")).to_contain_text(words["call_clause"])
    expect(standings.first).to_contain_text("销售 0-1")
    expect(standings.first.locator("td.num").last).to_have_text("20")
    actions = page.locator(".card.audit tr[data-action] td:nth-child(3)").all_inner_texts()
    assert actions and all("." not in action for action in actions), actions

    # Any two versions compared in words: v1's deals-only rules against v2's.
    compare = page.locator("#versions form.compare")
    compare.locator("select[name=compare_from]").select_option("1")
    compare.locator("select[name=compare_to]").select_option("2")
    compare.locator("button[type=submit]").click()
    expect(page.locator("#version-compare li.added")).to_contain_text(words["call_clause"])
    expect(page.locator("#version-compare li.removed")).to_have_count(0)
    page.locator("#versions").scroll_into_view_if_needed()
    screenshot(page, f"console-rule-changed-{locale}.png")
    refusals_only(errors, 422, 409)
    assert foreign == []
