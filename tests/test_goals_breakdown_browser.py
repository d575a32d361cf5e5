"""Splitting a goal by hand in the console, in a real Chromium (Chinese): one field per team with a running sum
against the goal, parts that do not add up refused next to the sum, then the parts made and named after the goal
and their owner; opening the split again shows the targets they have; a team's part splits to its reps alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.support.browser import screenshot, signed_in
from tests.support.calendar import SHANGHAI
from tests.support.org import make_org, unique
from tests.support.server import RunningServer

# A server of its own: a company goal splits to every team of the workspace.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


def split_by_hand(row: Locator, targets: dict[str, int]) -> Locator:
    """Choose "By hand" in a goal's break-down and fill each part's field (found by its owner's name, in the
    order given, which is the page's: by name); returns the fields."""
    form = row.locator("form.breakdown")
    form.locator("select[name=split]").select_option("hand")
    fields = form.locator(".hand-part")
    expect(fields).to_have_count(len(targets))
    for index, (name, target) in enumerate(targets.items()):
        expect(fields.nth(index)).to_contain_text(name)
        fields.nth(index).locator("input").fill(str(target))
    return fields


def test_a_goal_is_split_by_hand_with_a_field_per_part(browser: Browser, server: RunningServer) -> None:
    today = datetime.now(UTC).astimezone(SHANGHAI).date()
    period = f"{today.year}-{today.month:02d}"  # the page's default period
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=2)
        goal = unique("goal")
        body = {"metric": "revenue", "period": period, "level": "company", "target": 1_000_000, "name": "月度业绩"}
        assert admin.put(f"/api/v1/goals/{goal}", json=body).status_code == 201

    console = signed_in(browser, server, "zh-CN", width=1440)
    page, errors, foreign = console.page, console.errors, console.foreign
    page.goto(f"{server.base_url}/admin/goals")
    row = page.locator(f'#goals tr[data-goal="{goal}"]')
    form = row.locator("form.breakdown")
    expect(form).to_be_hidden()  # folded away until asked for
    row.locator(".breakdown-box summary").click()
    expect(form.locator(".hand-parts")).to_be_hidden()
    fields = split_by_hand(row, {"战队 0": 600_000, "战队 1": 300_000})
    expect(form.locator(".parts-sum")).to_have_text("合计 900,000 / 目标 1,000,000 · 还差 100,000")
    form.locator("button").click()
    expect(form.locator(".field-error")).to_have_text("各部分合计 900,000，不等于总目标 1,000,000：还差 100,000")
    expect(page.locator(f'#goals tr[data-goal="{goal}.{org.teams[0]}"]')).to_have_count(0)

    fields.nth(1).locator("input").fill("400000")
    expect(form.locator(".parts-sum")).to_have_text("合计 1,000,000 / 目标 1,000,000")
    form.locator("button").click()
    part = page.locator(f'#goals tr[data-goal="{goal}.{org.teams[0]}"]')
    expect(part.locator(".goal-title")).to_have_text("↳ 月度业绩 · 战队 0")  # not the part's id
    expect(part.locator(".target")).to_have_text("600,000")
    expect(page.locator(f'#goals tr[data-goal="{goal}.{org.teams[1]}"] .target')).to_have_text("400,000")

    row.locator(".breakdown-box summary").click()
    form.locator("select[name=split]").select_option("hand")
    expect(fields.nth(0).locator("input")).to_have_value("600000")  # the parts it has now
    expect(fields.nth(1).locator("input")).to_have_value("400000")
    screenshot(page, "console-goal-split-by-hand-zh-CN.png")

    part.locator(".breakdown-box summary").click()
    split_by_hand(part, {"销售 0-0": 350_000, "销售 0-1": 250_000})
    part.locator("form.breakdown button").click()
    rep_part = page.locator(f'#goals tr[data-goal="{goal}.{org.teams[0]}.{org.reps[0]}"]')
    expect(rep_part.locator(".goal-title")).to_have_text("↳ 月度业绩 · 战队 0 · 销售 0-0")
    expect(rep_part.locator(".target")).to_have_text("350,000")
    expect(rep_part.locator(".breakdown-box")).to_have_count(0)  # a rep's goal has no parts
    refused = [e for e in errors if "422" in e]  # the parts that did not add up
    assert len(refused) == 1 and len(errors) == 1 and not foreign, errors
    page.context.close()
