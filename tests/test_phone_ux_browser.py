"""The phone as a rep judges it, in Chromium at 390×844 in both languages: a ledger that reads like a bank
statement, who is just above and below me, badges with icon, meaning and date and the next one within reach,
a head-to-head with both scores, tap targets of 44 px and muted text at 4.5:1, and my own choice of name on TVs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import screenshot, settle, watch_page
from tests.support.org import deal, make_org
from tests.support.server import RunningServer
from tests.support.waiting import eventually

# A server of its own: a rep here is in the contests made here only.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


PHONE = {"width": 390, "height": 844}
PASSWORD = "phone-password-1"

# Every visible tap target's size, and every visible text's contrast against the background it sits on (the
# first opaque background up its ancestors; text over a gradient is left out, as its contrast is no one number).
MEASURE = """() => {
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const targets = [...document.querySelectorAll(
      'a[href], button, select, summary, label.switch, input:not([type=hidden]):not([type=checkbox])')]
    .filter(visible).map((el) => {
      const r = el.getBoundingClientRect();
      return {what: el.outerHTML.slice(0, 80), width: r.width, height: r.height};
    });
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const texts = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !visible(el) || el.closest("[hidden], template, script, style")) { continue; }
    let bg = null, node = el, gradient = false;
    while (node && node.nodeType === 1) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== "none") { gradient = true; break; }
      const c = rgb(style.backgroundColor);
      if (c.length >= 3 && (c.length === 3 || c[3] > 0.9)) { bg = c; break; }
      node = node.parentElement;
    }
    if (gradient || !bg) { continue; }
    const fg = rgb(getComputedStyle(el).color);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    texts.push({what: el.className + ": " + el.textContent.trim().slice(0, 40), ratio: (a + 0.05) / (b + 0.05)});
  }
  return {targets, texts};
}"""


def rep_user(admin: httpx.Client, rep: str) -> str:
    username = f"rep-{uuid.uuid4().hex[:6]}"
    response = admin.put(f"/api/v1/users/{username}", json={"role": "rep", "password": PASSWORD, "rep": rep})
    assert response.status_code == 201, response.text
    return username


def open_phone(browser: Browser, server: RunningServer, username: str, locale: str) -> Page:
    context = browser.new_context(viewport=PHONE, locale=locale, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{server.base_url}/login?next=/m")
    for button in page.locator(".lang-switch button").all():  # the sign-in page's 中文/EN switch too
        box = button.bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, box
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.base_url}/m")
    return page


def measure(page: Page) -> dict[str, Any]:
    settle(page)
    return dict(page.evaluate(MEASURE))


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_phone_reads_like_a_statement_and_names_my_neighbours(
    browser: Browser, server: RunningServer, admin: httpx.Client, locale: str
) -> None:
    zh = locale == "zh-CN"
    org = make_org(admin, teams=1, reps_per_team=3)
    me, ahead, behind = org.reps
    username = rep_user(admin, me)
    mine = deal(me, 25_000, customer="客户 X")
    with server.ingest() as ingest:
        for event in (deal(ahead, 30_000), mine, deal(behind, 21_000)):
            ingest.post("/api/v1/events", json=event)
    eventually(  # the first-deal badge is awarded by a worker, after the deal scored
        lambda: any(b["badge"] == "first-deal" for b in admin.get(f"/api/v1/reps/{me}/profile").json()["badges"]),
        what="the first-deal badge awarded",
    )
    page = open_phone(browser, server, username, locale)
    errors, foreign = watch_page(page, server)
    card = page.locator(f'article.contest[data-contest="{org.contest}"]')
    expect(card.locator(".c-rank")).to_have_text("#2")
    expect(card.locator(".near-above")).to_have_text(
        "↑ 前一名：销售 0-1 · 领先你 5 分" if zh else "↑ Just above: 销售 0-1 · 5 pts ahead"
    )
    expect(card.locator(".near-below")).to_have_text(
        "↓ 后一名：销售 0-2 · 落后你 4 分" if zh else "↓ Just below: 销售 0-2 · 4 pts behind you"
    )

    card.locator(".c-ledger-toggle").click()
    line = card.locator(".c-ledger li")
    expect(line).to_have_count(1)
    expect(line.locator(".l-what")).to_have_text("赢单 ¥25,000 · 客户 X" if zh else "Won deal of ¥25,000 for 客户 X")
    rule = "每成交 ¥1,000 得 1 分：+25 分" if zh else "1 point per ¥1,000 won: +25 pts"
    expect(line.locator(".l-rule")).to_have_text(rule)
    expect(line.locator(".pts")).to_have_text("+25")
    expect(line.locator(".l-when")).to_contain_text(":")  # a local time of day, not an ISO stamp
    assert mine["id"] not in line.locator("summary").inner_text()
    expect(line.locator(".l-detail")).to_be_hidden()
    line.locator("summary").click()
    expect(line.locator(".l-detail")).to_be_visible()
    expect(line.locator(".l-detail")).to_contain_text(mine["id"])
    with server.ingest() as ingest:  # live: the neighbour below closes in; the opened line stays open
        ingest.post("/api/v1/events", json=deal(behind, 2_000))
    expect(card.locator(".near-below")).to_contain_text("2 分" if zh else "2 pts")
    expect(line.locator(".l-detail")).to_be_visible()

    badge = page.locator('#badges .badge-item[data-badge="first-deal"][data-kind="first_deal"]')
    expect(badge.locator("svg.badge-first_deal")).to_have_count(1)
    expect(badge.locator(".badge-meaning")).to_have_text("赢得第一单" if zh else "Your first won deal")
    expect(badge.locator(".badge-when")).to_contain_text("获得于" if zh else "Earned")
    expect(page.locator("#next-badge")).to_be_visible()
    expect(page.locator("#next-badge-needs")).not_to_be_empty()
    expect(page.locator("#next-badge-icon svg")).to_have_count(1)

    found = measure(page)
    small = [t for t in found["targets"] if t["width"] < 44 or t["height"] < 44]
    assert not small, small
    faint = [t for t in found["texts"] if t["ratio"] < 4.5]
    assert not faint, faint
    assert len(found["targets"]) >= 10 and len(found["texts"]) >= 20  # it measured the page, not nothing
    lang = page.locator(".lang-switch button").first.bounding_box()
    assert lang is not None and lang["width"] >= 44 and lang["height"] >= 44
    muted = page.locator(".badge-when").first.evaluate("el => getComputedStyle(el).color")
    assert muted == "rgb(156, 163, 175)"  # #9ca3af: 6.7:1 on the card, where #6b7280 gave 3.56:1

    page.locator("label.switch").click()
    eventually(
        lambda: {r["id"]: r for r in admin.get("/api/v1/reps").json()["reps"]}[me]["opted_out"] is True,
        what="the rep's own choice stored on the rep",
    )
    screenshot(page, f"phone-ux-badges-{locale}.png")
    card.scroll_into_view_if_needed()
    screenshot(page, f"phone-ux-{locale}.png")
    page.reload()
    expect(page.locator("#opt-out")).to_be_checked()
    assert not errors, errors
    assert not foreign, foreign
    page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_head_to_head_shows_both_scores_the_gap_and_the_time_left(
    browser: Browser, server: RunningServer, admin: httpx.Client, locale: str
) -> None:
    zh = locale == "zh-CN"
    org = make_org(admin, teams=1, reps_per_team=2)
    pages = [open_phone(browser, server, rep_user(admin, rep), locale) for rep in org.reps]
    challenger, opponent = pages
    # how long the challenge runs (a bare "For" read "award to" in Chinese, the word a prize's winner takes)
    duration = challenger.locator("#challenge-form label", has=challenger.locator("select[name=days]"))
    expect(duration).to_contain_text("为期" if zh else "How long")
    challenger.select_option("#challenge-form select[name=opponent]", org.reps[1])
    challenger.select_option("#challenge-form select[name=metric]", "deals")
    challenger.click("#challenge-form button")
    expect(challenger.locator("#challenge-list .challenge").first).to_be_visible()
    opponent.reload()
    opponent.locator("#challenge-list button[data-action=accept]").first.click()
    expect(opponent.locator("article.contest")).to_have_count(2, timeout=15_000)
    challenger.reload()
    names = ["销售 0-0", "销售 0-1"]
    for index, page in enumerate(pages):
        duel = page.locator("article.contest .c-h2h:visible")
        expect(duel).to_have_count(1, timeout=15_000)
        expect(duel.locator(".h2h-me .h2h-score")).to_have_text("0")
        expect(duel.locator(".h2h-them .h2h-score")).to_have_text("0")
        expect(duel.locator(".h2h-them .h2h-name")).to_have_text(names[1 - index])
        expect(duel.locator(".h2h-gap")).to_have_text("平局" if zh else "Tied")
        expect(duel.locator(".h2h-left")).to_contain_text("还剩" if zh else "left")
        card = page.locator("article.contest", has=page.locator(".c-h2h:visible"))
        expect(card.locator(".c-gap")).to_have_text("")  # no "you are in the lead" to both at 0 : 0
        assert "领跑" not in page.inner_text("main") and "in the lead" not in page.inner_text("main")
    opponent.locator("article.contest .c-h2h:visible").scroll_into_view_if_needed()
    screenshot(opponent, f"phone-h2h-tied-{locale}.png")
    with server.ingest() as ingest:
        ingest.post("/api/v1/events", json=deal(org.reps[0], 9_000, occurred_at=datetime.now(UTC).isoformat()))
    them = opponent.locator("article.contest .c-h2h:visible")
    expect(them.locator(".h2h-them .h2h-score")).not_to_have_text("0", timeout=15_000)
    expect(them.locator(".h2h-gap")).to_contain_text("落后 销售 0-0" if zh else "behind 销售 0-0")
    expect(challenger.locator("article.contest .c-h2h:visible .h2h-gap")).to_contain_text("领先" if zh else "lead")
    them.scroll_into_view_if_needed()
    screenshot(opponent, f"phone-h2h-{locale}.png")
    for page in pages:
        page.context.close()
