"""The console says what a manager must know about a fair result, in Chinese and English: a tie at a prize
settled by who reached the score first, prizes nobody on 0 points wins, and a contest with a past start being
scored over its window (announced by the wizard, followed on the contest's page)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import open_wizard, signed_in
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org
from tests.support.server import RunningServer

pytestmark = pytest.mark.browser

TEXTS = {
    "en": ("reached it first", "Not awarded", "The start is in the past", "are scored"),
    "zh-CN": ("先达到者得", "未颁发", "开始时间已过", "已全部计入"),
}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_prize_notes_and_a_past_window_on_the_console(
    browser: Browser, server: RunningServer, calendar: Calendar, locale: str
) -> None:
    tie, empty, past, scored = TEXTS[locale]
    with server.admin() as admin, server.ingest() as ingest:
        org = make_org(
            admin,
            teams=1,
            reps_per_team=3,
            prizes=[{"rank": 1, "prize": "¥5,000"}, {"rank": 3, "prize": "¥500"}],
        )
        ingest.post(
            "/api/v1/events",
            json=[
                deal(org.reps[0], "50000", occurred_at=calendar.at(3)),  # first to 50 points
                deal(org.reps[1], "50000", occurred_at=calendar.at(2)),
            ],
        )
    context, page, errors, foreign = signed_in(browser, server, locale, width=1440)
    page.goto(f"{server.base_url}/admin/contests/{org.contest}")
    expect(page.locator("#window-scoring [data-state=done]")).to_contain_text(scored)
    expect(page.locator("#prizes tr").first).to_contain_text(tie)  # the rank-1 prize: a tie on 50 points
    expect(page.locator("#prizes tr.unawarded")).to_contain_text(empty)  # rank 3 is on 0 points
    open_wizard(page, server)
    page.fill("input[name=starts_at]", calendar.moment(5).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=ends_at]", calendar.moment(1).strftime("%Y-%m-%dT%H:%M"))
    expect(page.locator("#past-start")).to_contain_text(past)
    assert not errors and not foreign
    context.close()
