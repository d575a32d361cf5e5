"""Charts on the console's contest and rep pages, in a real Chromium, in Chinese and English: the contest page
draws the top reps' and the teams' cumulative points with the lead changes marked and listed; a rep's page
(reached from the standings) shows their pace against their own target and a chart that moves when a deal
arrives through the ingest API; every chart's table holds the numbers the series API serves."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org
from tests.support.server import RunningServer

# A server of its own: the charts hold only the contests made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


WORDS = {
    "zh-CN": {"took": "升至第一", "race": "竞赛走势", "behind": "落后"},
    "en": {"took": "took the lead", "race": "The race over time", "behind": "Behind"},
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_contest_page_charts_the_race_and_the_rep_page_the_pace(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    calendar = Calendar.from_clock()
    words = WORDS[locale]
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=2, scoring="percent_of_target", targets={}, default_target=900)
        username = f"mgr-{uuid.uuid4().hex[:6]}"
        admin.put(
            f"/api/v1/users/{username}",
            json={"role": "manager", "password": "console-password-1", "teams": org.teams},
        )
    first, second = org.reps[0], org.reps[2]
    with server.ingest() as ingest:
        sent = [
            deal(first, 30_000, occurred_at=calendar.at(3)),
            deal(second, 50_000, occurred_at=calendar.at(2)),
            deal(first, 40_000, occurred_at=calendar.at(1)),
        ]
        assert ingest.post("/api/v1/events", json=sent).json()["accepted"] == 3

    context, page, errors, foreign = signed_in(
        browser, server, locale, username=username, password="console-password-1"
    )
    expect(page).to_have_url(f"{server.base_url}/admin")
    page.goto(f"{server.base_url}/admin/contests/{org.contest}")
    expect(page.locator("#contest-charts-title")).to_have_text(words["race"])
    expect(page.locator("#chart-reps canvas").first).to_be_visible()
    expect(page.locator("#chart-reps")).to_have_attribute("data-last", "70,50,0,0")
    expect(page.locator("#chart-teams")).to_have_attribute("data-last", "70,50")
    leads = page.locator("#lead-changes li")
    expect(leads).to_have_count(3)
    expect(leads.nth(0)).to_contain_text("销售 0-0")
    expect(leads.nth(1)).to_contain_text("销售 1-0")
    expect(leads.nth(2)).to_contain_text(words["took"])
    with server.admin() as admin:
        series = admin.get(f"/api/v1/contests/{org.contest}/series", params={"by": "rep", "top": 5}).json()
    page.locator("#chart-reps .chart-data summary").click()
    rows = page.locator("#chart-reps .chart-data tbody tr")
    expect(rows).to_have_count(len(series["days"]))
    shown = rows.evaluate_all("rows => rows.map(r => [...r.querySelectorAll('td')].map(c => c.textContent))")
    expected = [[line["cumulative"][i] for line in series["series"]] for i in range(len(series["days"]))]
    assert [[int(v.replace(",", "")) for v in row] for row in shown] == expected
    screenshot(page, f"console-contest-charts-{locale}.png")

    page.locator(f'a[href="/admin/reps/{second}"]').first.click()
    expect(page).to_have_url(f"{server.base_url}/admin/reps/{second}")
    card = page.locator(f'.rep-contest[data-contest="{org.contest}"]')
    expect(card.locator(".target")).to_contain_text("900")
    expect(card.locator(".pace-word")).to_have_text(words["behind"])
    chart = f"#rep-chart-{org.contest}"
    expect(page.locator(chart)).to_have_attribute("data-last", "50")
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=[deal(second, 25_000)]).json()["accepted"] == 1
    expect(page.locator(chart)).to_have_attribute("data-last", "75", timeout=20_000)
    page.locator(f"{chart} .chart-data summary").click()
    last = page.locator(f"{chart} .chart-data tbody tr").last.locator("td")
    expect(last.nth(0)).to_have_text("75")
    with server.admin() as admin:
        own = admin.get(f"/api/v1/contests/{org.contest}/series", params={"rep": second}).json()
    assert own["target"] == 900 and own["series"][0]["cumulative"][-1] == 75
    expect(last.nth(1)).to_have_text(f"{own['pace'][-1]:,}")
    screenshot(page, f"console-rep-{locale}.png")
    assert not errors and not foreign, (errors, foreign)
    context.close()


def test_a_rep_page_is_only_for_the_reps_managers(browser: Browser, server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=1)
        username = f"mgr-{uuid.uuid4().hex[:6]}"
        admin.put(
            f"/api/v1/users/{username}",
            json={"role": "manager", "password": "console-password-1", "teams": [org.teams[0]]},
        )
    context, page, errors, _foreign = signed_in(browser, server, "en", username=username, password="console-password-1")
    expect(page).to_have_url(f"{server.base_url}/admin")
    response = page.goto(f"{server.base_url}/admin/reps/{org.reps[1]}")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("not in your teams")
    assert page.goto(f"{server.base_url}/admin/reps/{org.reps[0]}").status == 200  # type: ignore[union-attr]
    assert not [e for e in errors if "404" not in e], errors
    context.close()


def test_a_short_contests_chart_names_each_day_once(browser: Browser, server: RunningServer) -> None:
    """Six days on a wide chart (a rep's page): uPlot would tick every twelve hours and write each date twice; the
    axis ticks on each day's own midnight instead."""
    calendar = Calendar.from_clock()
    with server.admin() as admin:
        starts = calendar.moment(days_ago=5, hour=0).isoformat()
        org = make_org(admin, teams=1, reps_per_team=2, starts_at=starts)
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=[deal(org.reps[0], 30_000)]).json()["accepted"] == 1
    context, page, errors, foreign = signed_in(browser, server, "zh-CN", width=1440)
    page.goto(f"{server.base_url}/admin/reps/{org.reps[0]}")  # a chart the page's whole width
    chart = page.locator(f"#rep-chart-{org.contest}")
    expect(chart).to_have_attribute("data-last", "30")
    ticks = (chart.get_attribute("data-ticks") or "").split("|")
    with server.admin() as admin:
        days = admin.get(f"/api/v1/contests/{org.contest}/series").json()["days"]
    assert len(days) == 6 and len(ticks) == len(set(ticks)) == 6, ticks  # a day a tick, each named once
    assert not errors and not foreign, (errors, foreign)
    context.close()
