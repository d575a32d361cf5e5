"""A contest that takes in a manager's team and another one, in a real Chromium (console in Chinese): the manager
of one team sees it — on the dashboard, in the contests list marked "view only", and on its page with its
standings, prizes, rules and charts — but none of its controls, late events or audit log, which are the admin's;
only their own reps' names open a rep page. A manager of neither team still finds nothing there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer

# A server of its own: the dashboard shows at most a few live contests, soonest to end first.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]

PASSWORD = "view-only-pw-1"


def test_a_manager_sees_a_contest_of_several_teams_read_only(browser: Browser, server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=1)
        elsewhere = make_org(admin, teams=1, reps_per_team=1)
        manager, outsider = unique("mgr"), unique("mgr")
        for username, teams in ((manager, [org.teams[0]]), (outsider, elsewhere.teams)):
            body = {"role": "manager", "password": PASSWORD, "teams": teams}
            assert admin.put(f"/api/v1/users/{username}", json=body).status_code == 201
    mine, theirs = org.reps
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=[deal(theirs, 50_000), deal(mine, 20_000)]).json()["accepted"] == 2

    console = signed_in(browser, server, "zh-CN", username=manager, password=PASSWORD, width=1440)
    page, errors, foreign = console.page, console.errors, console.foreign
    card = page.locator(f'.dash-contest[data-contest="{org.contest}"]')
    expect(card).to_be_visible()
    leader = card.locator(".leader .name")
    expect(leader).to_have_text("销售 1-0")
    assert leader.evaluate("e => e.tagName") == "SPAN"  # another team's rep: no page of theirs to open
    expect(page.locator("#open-flags .count")).to_have_text("0", timeout=20_000)  # an admin's flags: not asked

    page.goto(f"{server.base_url}/admin/contests")
    row = page.locator("tbody tr", has=page.locator(f'a[href="/admin/contests/{org.contest}"]'))
    expect(row.locator(".tag.view-only")).to_have_text("仅查看")

    page.goto(f"{server.base_url}/admin/contests/{org.contest}")
    expect(page.locator("#view-only")).to_be_visible()
    for controls in ("#actions", "#rescore", "#rule-change", "#late-events", ".audit", "#effect-and-flags"):
        expect(page.locator(controls)).to_have_count(0)
    standings = page.locator(".card", has=page.locator("h2", has_text="当前排名")).locator("tbody")
    expect(standings.locator("tr")).to_have_count(2)
    expect(standings.locator("tr").first).to_contain_text("销售 1-0")
    expect(standings.locator("tr").first.locator("a")).to_have_count(0)
    expect(standings.locator(f'a[href="/admin/reps/{mine}"]')).to_have_text("销售 0-0")
    expect(page.locator("#team-standings tbody tr")).to_have_count(2)
    exported = page.request.get(f"{server.base_url}/api/v1/contests/{org.contest}/results.csv")
    assert exported.ok and "销售 1-0" in exported.text()  # its results export too
    expect(page.locator("#versions")).to_be_visible()  # the rules' history stays in the open
    expect(page.locator("#chart-teams canvas").first).to_be_visible()  # its charts load (no 403)
    screenshot(page, "console-contest-view-only-zh-CN.png")
    assert not errors and not foreign, errors

    stranger = signed_in(browser, server, "zh-CN", username=outsider, password=PASSWORD)
    answer = stranger.page.goto(f"{server.base_url}/admin/contests/{org.contest}")
    assert answer is not None and answer.status == 404
    stranger.page.goto(f"{server.base_url}/admin/contests")
    expect(stranger.page.locator(f'a[href="/admin/contests/{org.contest}"]')).to_have_count(0)
    page.context.close()
    stranger.context.close()
