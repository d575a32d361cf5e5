"""The people page in a real Chromium: an administrator searches a big team's reps, pages through them with the
search kept, and moves one rep to another team from its row; the page comes back on the same search."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in
from tests.support.org import import_reps, unique
from tests.support.server import RunningServer

REPS = 120


def test_an_admin_searches_pages_through_and_moves_a_rep(browser: Browser, server: RunningServer) -> None:
    team, other = unique("south"), unique("north")
    with server.admin() as admin:
        for team_id, name in ((team, "华南大区"), (other, "华北大区")):
            assert admin.put(f"/api/v1/teams/{team_id}", json={"name": name}).status_code == 201
        import_reps(admin, [(f"{team}-{n:03d}", f"Wang Fang {n}" if n % 2 else f"李娜{n}", team) for n in range(REPS)])
    _, page, errors, foreign = signed_in(browser, server, "en", width=1440)
    page.goto(f"{server.base_url}/admin/people")
    search = page.locator("#rep-search")
    search.locator("input[name=q]").fill(team.upper())  # any case finds it
    search.locator("button[type=submit]").click()
    expect(page.locator("#rep-count")).to_have_text(re.compile(r"^\s*1–50 of 120\b"))
    expect(page.locator("#reps tbody tr")).to_have_count(50)
    expect(page.locator("#team-list tbody tr")).to_have_count(1)  # the team whose id the search holds
    page.locator("nav.pager a[rel=next]").click()
    expect(page).to_have_url(re.compile(rf"q={team.upper()}.*page=2"))
    expect(page.locator("#rep-count")).to_have_text(re.compile(r"^\s*51–100 of 120\b"))
    expect(page.locator("#reps tbody tr").first).to_have_attribute("data-rep", f"{team}-050")
    search.locator("input[name=q]").fill("wang fang 7")  # 7, 71, 73…: a name, not an id
    search.locator("input[name=team]").fill(team)
    search.locator("button[type=submit]").click()
    expect(page.locator("#rep-count")).to_have_text(re.compile(r"^\s*1–6 of 6\b"))
    moved = page.locator(f'tr[data-rep="{team}-071"]')
    moved.locator("input[name=team]").fill(other)
    moved.locator("form.rep-form button").click()
    expect(page.locator("#reps tbody tr")).to_have_count(5)  # back on the same search: the rep left the team
    screenshot(page, "console-people-search.png")
    page.goto(f"{server.base_url}/admin/people?q={team}-071")
    expect(page.locator(f'tr[data-rep="{team}-071"] .team-name')).to_have_text("华北大区")
    assert not errors and not foreign, (errors, foreign)
    page.context.close()
