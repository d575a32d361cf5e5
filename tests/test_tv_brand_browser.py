"""A display may show the organisation's logo and colours: the logo is ours to serve, the colours are refused
when names would fall under 7:1 contrast or titles under 4.5:1, and a branded TV still fits 720p, 1080p, 4K."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.support.browser import screenshot, settle, signed_in, watch_page
from tests.support.contrast import contrast
from tests.support.org import make_org, scored_in_order
from tests.support.page_checks import TV_OVERFLOWS, TV_SIZES
from tests.support.pictures import b64, png
from tests.support.server import RunningServer

# A server of its own: the displays and brand are only the ones set here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


ACCENT, BACKGROUND = "#ffb300", "#0b1f3a"
# what a branded TV draws: the logo, the page's colour, the rows' colours under the names, the title's colour
DRAWN = """() => {
  const logo = document.getElementById("org-logo"), body = getComputedStyle(document.body);
  const row = document.querySelector("#board .row"), name = row.querySelector(".row-name");
  const header = document.querySelector(".tv-header").getBoundingClientRect();
  const box = logo && logo.getBoundingClientRect();
  return {logo: !!logo && logo.complete && logo.naturalWidth > 0, inHeader: !!box && box.bottom <= header.bottom,
          logoHeight: box ? box.height : 0, background: body.backgroundColor,
          rows: [body.getPropertyValue("--panel").trim(), body.getPropertyValue("--panel2").trim()],
          name: getComputedStyle(name).color, kicker: getComputedStyle(document.querySelector(".tv-kicker")).color};
}"""


def _rgb(hex_color: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_color[i : i + 2], 16) for i in (1, 3, 5)))


def test_colours_that_would_make_names_or_titles_hard_to_read_are_refused(admin: httpx.Client) -> None:
    light = admin.put("/api/v1/org/brand", json={"background": "#7a8ca3"})
    assert light.status_code == 422 and light.json()["errors"][0]["field"] == "background"
    assert "7:1" in light.json()["error"]
    dull = admin.put("/api/v1/org/brand", json={"accent": "#1a2233", "background": "#070b14"})
    assert dull.status_code == 422 and [e["field"] for e in dull.json()["errors"]] == ["accent"]
    not_a_logo = admin.put("/api/v1/org/brand", json={"logo": b64(b"<svg/>")})
    assert not_a_logo.status_code == 422 and not_a_logo.json()["errors"][0]["field"] == "logo"
    with httpx.Client(base_url=admin.base_url) as anonymous:
        assert anonymous.put("/api/v1/org/brand", json={"accent": ACCENT}).status_code == 401


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_branded_display_shows_the_logo_and_colours_with_names_at_7_to_1(
    browser: Browser, server: RunningServer, admin: httpx.Client, now: datetime, locale: str
) -> None:
    logo = png(120, 40, (240, 240, 240))
    brand = admin.put("/api/v1/org/brand", json={"accent": ACCENT, "background": BACKGROUND, "logo": b64(logo)})
    assert brand.status_code == 200, brand.text
    assert admin.get(brand.json()["logo_url"]).content == logo
    org = make_org(admin, teams=2, reps_per_team=5)
    playlist = [f"contest:{org.contest}"]
    branded = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": playlist, "brand": True}).json()
    plain = admin.post("/api/v1/displays", json={"name": "前台", "playlist": playlist}).json()
    assert branded["brand"] is True and plain["brand"] is False
    config = f"/tv/{branded['token']}/config.json"
    stamp = admin.get(config).json()["version"]
    assert admin.put("/api/v1/org/brand", json={"accent": "#ffb301"}).status_code == 200
    assert admin.get(config).json()["version"] != stamp, "a branded TV reloads when the brand changes"
    assert admin.put("/api/v1/org/brand", json={"accent": ACCENT}).status_code == 200
    scored_in_order(server, org.reps, now)
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/tv/{plain['token']}")
    expect(page.locator("#board .row")).to_have_count(10)
    assert page.locator("#org-logo").count() == 0, "a display that did not choose the brand keeps ours"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != _rgb(BACKGROUND)
    page.goto(f"{server.base_url}/tv/{branded['token']}")
    expect(page.locator("#board .row")).to_have_count(10)
    overflowing: list[str] = []
    for width, height in TV_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        drawn = page.evaluate(DRAWN)
        assert drawn["logo"] and drawn["inHeader"] and drawn["logoHeight"] >= height * 0.05, drawn
        assert drawn["background"] == _rgb(BACKGROUND)
        assert drawn["kicker"] == _rgb(ACCENT)
        for row_colour in drawn["rows"]:
            assert contrast(drawn["name"], _rgb(row_colour)) >= 7, (drawn["name"], row_colour)
        assert contrast(drawn["kicker"], drawn["background"]) >= 4.5
        overflowing += [
            f"{width}×{height}: {box}" for box in page.evaluate(TV_OVERFLOWS, ".stage .slide:not([hidden])")
        ]
        screenshot(page, f"tv-brand-{locale}-{height}p.png")
    assert not overflowing, overflowing
    assert not errors, errors
    assert not foreign, foreign
    context.close()


def test_the_console_turns_a_displays_brand_on(browser: Browser, server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    display = admin.post("/api/v1/displays", json={"name": "会议室", "playlist": [f"contest:{org.contest}"]}).json()
    context, page, errors, foreign = signed_in(browser, server, width=1440)
    page.goto(f"{server.base_url}/admin/displays")
    form = page.locator(f'.display[data-display="{display["id"]}"] form')
    form.locator("input[name=brand]").check()
    form.locator("button.primary").click()
    expect(page.locator(".toast")).to_be_visible()
    assert admin.get(f"/api/v1/displays/{display['id']}").json()["brand"] is True
    brand = page.locator("#brand-form")
    brand.locator("input[name=background]").fill("#8899aa")
    brand.locator("button.primary").click()
    # the names' rule, whatever the accent left by earlier tests (an accent's own error reads "1.7:1 … 4.5:1")
    expect(brand.locator(".field-error").filter(has_text="at least 7:1")).to_have_count(1)
    screenshot(page, "console-displays-brand-en.png")
    assert [e for e in errors if "status of 422" not in e] == [], errors
    assert not foreign, foreign
    context.close()
