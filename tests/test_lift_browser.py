"""The lift report in a real Chromium, in Chinese and in English, reached from the contest's page: a running
contest shows an interim report to today (the org's local day) with its chart and the table of its numbers,
every figure under the label of what it is, and a flag is decided with a note and shows what it did."""

from __future__ import annotations

import random
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.org import make_org, unique
from tests.support.page_checks import BROKEN_IMAGES, LOW_CONTRAST, UNLABELLED
from tests.support.server import RunningServer

# A server of its own: the lift report reads only the events logged here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


WORDS = {
    "zh-CN": {
        "interim": "中期报告",
        "estimate": "每人提升估计（双重差分）",
        "average": "每人平均变化",
        "improved": "有提升的销售",
        "note": "老客户的新部门，不算刷单",
        "dismissed": "已忽略：得分不变。",
        "reversed": "已撤销 1 个事件",
    },
    "en": {
        "interim": "Interim report",
        "estimate": "Lift per rep (difference-in-differences estimate)",
        "average": "Average change per rep",
        "improved": "Reps who improved",
        "note": "a new department of an old customer",
        "dismissed": "Dismissed: scores unchanged.",
        "reversed": "Reversed: 1 event(s) taken back",
    },
}


def running_contest(server: RunningServer, calendar: Calendar) -> dict[str, Any]:
    """A contest that started a week ago (local midnight) and runs another week, with more calls inside it than
    in the week before, and one customer counted as new twice inside it (a flag)."""
    with server.admin() as admin, server.ingest() as ingest:
        org = make_org(
            admin,
            teams=3,
            reps_per_team=4,
            starts_at=calendar.moment(7, hour=0).isoformat(),
            ends_at=calendar.ends(7),
            rules=[{"on": "call.logged", "points": 1}, {"on": "deal.won", "points_per": 1000}],
        )
        outside = make_org(admin, teams=1, reps_per_team=6)  # reps not in the contest: the comparison group
        inside = org.reps
        rng = random.Random(7)
        events = []
        for index, rep in enumerate(org.reps + outside.reps):
            lift = 3 + index % 3 if rep in inside else 0  # 3 to 5 more calls a day for each participant
            for days_ago, extra in ((12, 0), (10, 0), (9, 0), (5, lift), (3, lift), (2, lift)):
                for _ in range(3 + index % 3 + extra):
                    at = calendar.at(days_ago, hour=rng.randint(9, 17), minute=rng.randint(0, 59))
                    events.append({"id": unique("call"), "type": "call.logged", "rep": rep, "occurred_at": at})
        customer = unique("老客户")
        first, twice = org.reps[0], org.reps[1]
        for rep, days_ago in ((first, 4), (twice, 2)):
            events.append(
                {
                    "id": unique("deal"),
                    "type": "deal.won",
                    "rep": rep,
                    "amount": "20000",
                    "customer": customer,
                    "new_customer": True,
                    "occurred_at": calendar.at(days_ago),
                }
            )
        for offset in range(0, len(events), 500):
            answer = ingest.post("/api/v1/events", json=events[offset : offset + 500]).json()
            assert not answer["rejected"], answer["rejected"][:2]
    extra = [3 * (3 + index % 3) for index in range(len(inside))]
    return {"contest": org.contest, "lift": sum(extra) / len(extra)}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_lift_report_opens_from_the_contest_and_a_flag_is_decided(
    browser: Browser, server: RunningServer, calendar: Calendar, locale: str
) -> None:
    words = WORDS[locale]
    made = running_contest(server, calendar)
    context, page, errors, foreign = signed_in(browser, server, locale)
    page.goto(f"{server.base_url}/admin/contests/{made['contest']}")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    block = page.locator("#effect-and-flags")
    expect(block.locator("#flags-link")).to_be_visible()
    block.locator("#lift-link").click()
    expect(page).to_have_url(f"{server.base_url}/admin/contests/{made['contest']}/lift")
    expect(page.locator("html")).to_have_attribute("lang", locale)

    # interim, to today in the org's time zone (not UTC's date)
    expect(page.locator("#lift-interim")).to_contain_text(words["interim"])
    expect(page.locator("#lift-interim")).to_contain_text(calendar.today.isoformat())
    expect(page.locator("#lift-period")).to_have_text(f"{calendar.day(7).isoformat()} – {calendar.today.isoformat()}")

    csv_link = page.locator("header nav a[href*='lift.csv']")
    download = page.request.get(f"{server.base_url}{csv_link.get_attribute('href')}")
    assert download.status == 200 and "calls,participants" in download.text()  # the interim report as CSV

    calls = page.locator('section[data-kpi="calls"]')
    expect(calls.locator('[data-figure="average"] dt')).to_have_text(words["average"])
    expect(calls.locator('[data-figure="improved"] dt')).to_have_text(words["improved"])
    estimate = calls.locator('[data-figure="estimate"]')
    expect(estimate.locator("dt")).to_have_text(words["estimate"])
    expect(estimate.locator("dd.note")).to_contain_text("95")
    # every participant made 9 to 15 more calls in the contest so far than in the same span before it
    expect(calls.locator('[data-figure="improved"] dd.num')).to_have_text("100 %")
    chart = calls.locator(".lift-chart")
    expect(chart).to_have_attribute("data-drawn", "1")
    expect(chart.locator("canvas")).to_be_visible()
    # the legend names each line in the page's language; the interval's second series has no entry of its own
    legend = chart.locator(".u-legend .u-series:visible .u-label").all_inner_texts()
    assert len(legend) == 4 and "Value" not in legend and all(legend), legend
    box = chart.locator("canvas").bounding_box()
    assert box and box["width"] > 250 and box["height"] > 150
    calls.locator("details.chart-table summary").click()
    table = calls.locator("table.lift-table")
    expect(table).to_be_visible()
    cells = table.locator("tbody tr").first.locator("td")
    baseline_mean = float(cells.nth(0).inner_text().replace(",", ""))
    contest_mean = float(cells.nth(1).inner_text().replace(",", ""))
    assert contest_mean - baseline_mean == pytest.approx(made["lift"], abs=0.01)
    # readable and operable: contrast AA, every field named, no broken image, focus visible
    assert page.evaluate(LOW_CONTRAST) == []
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(BROKEN_IMAGES) == []
    page.locator("header nav a").nth(1).focus()
    page.keyboard.press("Shift+Tab")  # reached with the keyboard
    focused = page.evaluate(
        "() => [document.activeElement.href, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused == [f"{server.base_url}/admin/contests/{made['contest']}", "solid"]
    screenshot(page, f"lift-interim-{locale}.png")
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, f"lift-interim-top-{locale}.png")

    # the flag: decide with a note (Chinese: reverse after the confirmation; English: dismiss) and see the outcome
    flag = page.locator("article.flag", has=page.locator("code", has_text="duplicate_new_customer"))
    expect(flag).to_have_count(1)
    flag.locator("input[name=note]").fill(words["note"])
    if locale == "zh-CN":
        page.once("dialog", lambda dialog: dialog.accept())
        flag.locator("button[value=reverse]").click()
    else:
        flag.locator("button[value=dismiss]").click()
    decided = page.locator("article.flag.decided .outcome").first
    expect(decided).to_contain_text(words["reversed"] if locale == "zh-CN" else words["dismissed"])
    expect(page.locator("article.flag.decided .decision-note").first).to_contain_text(words["note"])
    screenshot(page, f"lift-flag-decided-{locale}.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()
