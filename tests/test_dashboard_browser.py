"""The console's home is a live dashboard, in a real Chromium, in Chinese and English: a manager signs in and
sees their live contest with its leader, pace and days left, a chart of the points so far against the pace
line, the team comparison and the open items; deals sent through the ingest API move the chart, the standing
and the deal list without a reload; the tables behind the charts hold the same numbers as the series API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from server.i18n.catalogs import format_datetime
from tests.support.browser import screenshot, signed_in
from tests.support.calendar import SHANGHAI, Calendar
from tests.support.org import deal, make_org
from tests.support.server import RunningServer

# A server of its own: the dashboard lists only the contests and badges made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


HEADINGS = {"zh-CN": "仪表盘", "en": "Dashboard"}
PACE_WORDS = {"zh-CN": ("进度正常", "落后"), "en": ("On track", "Behind")}


def table_column(page: Page, host: str, column: int) -> list[str]:
    """The texts of one column of a chart's table fallback."""
    return page.locator(f"{host} .chart-data tbody tr").evaluate_all(
        f"rows => rows.map(r => r.children[{column}].textContent)"
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_dashboard_shows_the_live_contest_and_moves_with_new_deals(
    browser: Browser, server: RunningServer, locale: str
) -> None:
    calendar = Calendar.from_clock()
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=2, goal=100_000)
        username = f"mgr-{uuid.uuid4().hex[:6]}"
        admin.put(
            f"/api/v1/users/{username}",
            json={"role": "manager", "password": "console-password-1", "teams": org.teams},
        )
    with server.ingest() as ingest:
        first = [deal(org.reps[0], 30_000, occurred_at=calendar.at(3)), deal(org.reps[2], 12_000)]
        assert ingest.post("/api/v1/events", json=first).json()["accepted"] == 2

    context, page, errors, foreign = signed_in(
        browser, server, locale, username=username, password="console-password-1"
    )
    expect(page).to_have_url(f"{server.base_url}/admin")
    expect(page.locator("h1")).to_have_text(HEADINGS[locale])
    expect(page.locator("html")).to_have_attribute("lang", locale)
    card = page.locator(f'.dash-contest[data-contest="{org.contest}"]')
    expect(card).to_be_visible()
    expect(card.locator(".leader .name")).to_have_text("销售 0-0")
    expect(card.locator(".pace-word")).to_have_text(PACE_WORDS[locale][1])  # 42 of 100,000 points: behind
    expect(card.locator(".days-left")).not_to_have_text("0")
    line = f"#line-{org.contest}"
    expect(page.locator(f"{line} canvas").first).to_be_visible()
    expect(page.locator(line)).to_have_attribute("data-total", "42")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    expect(page.locator("#open-disputes .count")).to_have_text("0")
    expect(page.locator("#open-flags .count")).to_have_text("0", timeout=20_000)  # counted after the page loads
    # the canvas draws Chinese labels with the page's font, not a fallback box
    font = page.locator(f"{line} .chart-plot").evaluate("e => getComputedStyle(e).fontFamily")
    assert "Arena CJK" in font or "Noto Sans CJK" in font
    screenshot(page, f"console-dashboard-{locale}.png")

    # the table fallback holds the numbers the series API serves
    with server.admin() as admin:
        series = admin.get(f"/api/v1/contests/{org.contest}/series", params={"by": "team", "top": 8}).json()
    page.locator(f"{line} .chart-data summary").click()
    totals = table_column(page, line, 1)
    assert [int(t.replace(",", "")) for t in totals] == series["total"]["cumulative"]
    paces = table_column(page, line, 2)
    assert [int(p.replace(",", "")) for p in paces] == series["pace"]
    assert len(totals) == len(series["days"]) == len(series["x"])

    # new deals, sent through the real ingest API, move the chart, the standing and the deals list
    with server.ingest() as ingest:
        more = [deal(org.reps[1], 50_000, occurred_at=calendar.at(1, hour=15)), deal(org.reps[3], 9_000)]
        assert ingest.post("/api/v1/events", json=more).json()["accepted"] == 2
    expect(page.locator(line)).to_have_attribute("data-total", "101", timeout=20_000)
    expect(page.locator(f"{line} .chart-data tbody tr").last.locator("td").first).to_have_text("101")
    team_row = card.locator(f'.dash-teams tr[data-team="{org.teams[0]}"]')
    expect(team_row.locator(".score")).to_have_text("80")
    expect(card.locator(".leader .name")).to_have_text("销售 0-1")
    announced = page.locator("#deals li.fresh")  # added by the page as the deals are announced
    expect(announced).to_have_count(2)
    expect(announced.filter(has_text="销售 0-1")).to_contain_text("+50")
    # their first deals earn the workspace's first-deal badge, announced on the same websocket
    fresh = page.locator("#badges li.fresh", has_text="销售 0-1")
    expect(fresh).to_have_count(1, timeout=20_000)
    # with the time it came, written as the server writes the badges listed when the page opened
    shown, now = fresh.locator(".muted").inner_text(), datetime.now(UTC)
    moments = (now - timedelta(minutes=1), now)  # the minute may have turned since it came
    assert shown in {format_datetime(at, SHANGHAI.key, locale) for at in moments}, shown
    bars = f"#bars-{org.contest}"
    page.locator(f"{bars} .chart-data summary").click()
    expect(page.locator(f"{bars} .chart-data tbody tr").first.locator("td")).to_have_text("80")
    screenshot(page, f"console-dashboard-live-{locale}.png")

    # keyboard focus is visible
    page.locator("h1").click()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth] }"
    )
    assert focused[0] != "none" and float(focused[1].removesuffix("px")) >= 2, focused

    # a tablet: everything fits the width, the charts narrow with it
    measure = f"() => document.querySelector('{line} canvas').getBoundingClientRect().width"
    wide = page.evaluate(measure)
    page.set_viewport_size({"width": 820, "height": 1180})  # one column: the chart takes the card's width
    page.wait_for_function(f"w => Math.abs(({measure})() - w) > 50 && ({measure})() < window.innerWidth - 30", arg=wide)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(page, f"console-dashboard-tablet-{locale}.png")
    assert not errors and not foreign, (errors, foreign)
    context.close()
