"""The console's layout in a real Chromium, in Chinese and in English, measured rather than looked at: a new TV
display defaults to the main live contest with preview and open links; the contest page's champion has no
broken image; the sidebar's background reaches the bottom of a long page; table headers line up with their
columns; focus is visible; ``lang`` follows the language."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import screenshot, signed_in
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, unique
from tests.support.page_checks import (
    BROKEN_IMAGES,
    CLIPPED_SELECTS,
    LOW_CONTRAST,
    MISALIGNED,
    UNLABELLED,
    empty_tables,
)
from tests.support.server import RunningServer

# A server of its own: the pages hold only the teams and reps made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


def ended_with_a_champion(server: RunningServer, calendar: Calendar) -> dict[str, Any]:
    with server.admin() as admin, server.ingest() as ingest:
        org = make_org(admin, prizes=[{"rank": 1, "prize": "¥5,000 奖金"}, {"rank": [2, 3], "prize": "¥1,000"}])
        events = [deal(rep, 10_000 * (index + 1), occurred_at=calendar.at(2)) for index, rep in enumerate(org.reps)]
        assert ingest.post("/api/v1/events", json=events).json()["accepted"] == len(events)
        assert admin.post(f"/api/v1/contests/{org.contest}/end").status_code in (200, 202)
        head_to_head = {
            "id": unique("h2h"),
            "name": "双人对决",
            "kind": "head_to_head",
            "sides": org.reps[:2],
            "starts_at": calendar.from_now(minutes=-5),
            "ends_at": calendar.ends(3),
            "rules": [{"on": "deal.won", "points_per": 1000}],
        }
        made = admin.post("/api/v1/contests", json=head_to_head)
        assert made.status_code == 201, made.text
    return {"ended": org.contest, "h2h": head_to_head["id"], "reps": org.reps}


def focus_ring(page: Page, selector: str) -> str:
    page.locator(selector).first.focus()
    return page.locator(selector).first.evaluate(
        "(el) => { const s = getComputedStyle(el); return s.outlineStyle + ' ' + s.outlineWidth; }"
    )


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_console_layout_and_displays(browser: Browser, server: RunningServer, calendar: Calendar, locale: str) -> None:
    made = ended_with_a_champion(server, calendar)
    with server.admin() as admin:
        main = unique("main")  # everyone, and longer than the suite's other contests: the main live contest
        everyone = {
            "id": main,
            "name": "全员月度赛",
            "starts_at": calendar.starts,
            "ends_at": calendar.ends(120),
            "rules": [{"on": "deal.won", "points_per": 1000}],
        }
        assert admin.post("/api/v1/contests", json=everyone).status_code == 201
    context, page, errors, foreign = signed_in(browser, server, locale, width=1280, height=720)

    # the contest page: a champion with its medal, no broken image, headers over their columns
    page.goto(f"{server.base_url}/admin/contests/{made['ended']}")
    expect(page.locator(".champion")).to_be_visible()
    expect(page.locator(".champion svg")).to_be_visible()
    assert page.evaluate(BROKEN_IMAGES) == []
    assert page.evaluate(MISALIGNED) == []
    assert page.evaluate(LOW_CONTRAST) == []
    assert page.evaluate(UNLABELLED) == []
    page.evaluate("""() => { const p = document.createElement("p"); p.id = "pale"; p.textContent = "pale";
                            p.style.color = "#bbbbbb"; document.querySelector("main").appendChild(p); }""")
    assert [found for found in page.evaluate(LOW_CONTRAST) if '"pale"' in found]  # the check sees pale text
    page.evaluate("() => document.getElementById('pale').remove()")
    screenshot(page, f"console-champion-{locale}.png")

    # every console page: table headers over their columns, an empty table saying so, drop-downs wide enough
    for path in (
        "/admin",
        "/admin/contests",
        "/admin/people",
        "/admin/users",
        "/admin/keys",
        "/admin/disputes",
        "/admin/goals",
        "/admin/badges",
        "/admin/rewards",
        "/admin/audit",
        "/admin/scorecards",
        "/admin/rates",
        "/admin/channels",
        "/admin/connectors",
    ):
        page.goto(f"{server.base_url}{path}")
        assert page.evaluate(MISALIGNED) == [], path
        assert page.evaluate(CLIPPED_SELECTS) == [], path
        assert empty_tables(page) == [], path
    page.goto(f"{server.base_url}/admin/contests/{made['ended']}")

    # the sidebar's background reaches the bottom of a long page, at the top and scrolled to the end
    page.set_viewport_size({"width": 1280, "height": 600})
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    geometry = page.evaluate(
        """() => { const side = document.querySelector("nav.side").getBoundingClientRect();
                  return {page: document.documentElement.scrollHeight, view: innerHeight, top: side.top,
                          bottom: side.bottom,
                          color: getComputedStyle(document.querySelector("nav.side")).backgroundColor,
                          at: getComputedStyle(document.elementFromPoint(5, innerHeight - 3)).backgroundColor,
                          column: getComputedStyle(document.body).backgroundImage.includes("rgb(11, 16, 32) 232px")
                              ? "rgb(11, 16, 32)" : getComputedStyle(document.body).backgroundImage}; }"""
    )
    assert geometry["page"] > 2 * geometry["view"], geometry  # a long page
    assert geometry["top"] <= 0 and geometry["bottom"] >= geometry["view"] - 1, geometry  # sub-pixel scrolling
    assert geometry["column"] == "rgb(11, 16, 32)", geometry  # and the column under it is painted to the end
    assert geometry["at"] == geometry["color"] == "rgb(11, 16, 32)", geometry
    screenshot(page, f"console-sidebar-bottom-{locale}.png")
    # a window shorter than the sidebar's own content: it scrolls inside, its background still to the bottom
    page.set_viewport_size({"width": 1280, "height": 360})
    short = page.evaluate(
        """() => { const side = document.querySelector("nav.side");
                  side.scrollTop = side.scrollHeight;
                  const who = side.querySelector(".who").getBoundingClientRect();
                  return {view: innerHeight, bottom: side.getBoundingClientRect().bottom, who: who.bottom,
                          at: getComputedStyle(document.elementFromPoint(5, innerHeight - 3)).backgroundColor}; }"""
    )
    assert short["bottom"] >= short["view"] and short["who"] <= short["view"] + 1, short
    assert short["at"] == "rgb(11, 16, 32)", short
    page.set_viewport_size({"width": 1280, "height": 720})

    # visible focus on links and buttons of the console
    assert focus_ring(page, "nav.side a") != "none 0px"
    assert focus_ring(page, "#actions button") != "none 0px"

    # a new display: every slide's contest is the main live contest (not the head-to-head), with a preview link
    page.goto(f"{server.base_url}/admin/displays")
    form = page.locator("#new-display")
    selects = form.locator('select[data-f="contest"]:enabled')
    expect(selects.first).to_be_visible()
    for select in selects.all():
        assert select.input_value() == main
    preview = form.locator(".slide-row a[data-preview]").first
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("href", f"/admin/contests/{main}")
    assert page.evaluate(MISALIGNED) == []
    assert page.evaluate(LOW_CONTRAST) == []
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(CLIPPED_SELECTS) == []  # each slide's kind reads whole ("销售明星榜（经验值）")
    form.locator("input[name=name]").fill("销售大厅" if locale == "zh-CN" else "Sales floor")
    form.locator("button.primary").click()
    expect(page.locator("#display-url")).to_contain_text("/tv/tv_")
    opened = page.locator("#display-open")
    expect(opened).to_be_visible()
    assert opened.get_attribute("href") == page.locator("#display-url").inner_text()
    screenshot(page, f"console-displays-{locale}.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()
