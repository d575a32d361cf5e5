"""Chinese reads on a device without any CJK font: the pages bring their own (``web/static/fonts``).

Chromium runs with a fontconfig that sees only DejaVu (like a Linux TV stick); Chrome DevTools' own account of
which font drew each glyph (``CSS.getPlatformFontsForNode``) must name our served font for every Chinese
character. The same set-up with the font files blocked shows the boxes, so the check is known to bite."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from playwright.sync_api import Browser, Page, expect

from scripts.build_cjk_font import FAMILY, FONTS, common_characters, ui_characters
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, screenshot, watch_page
from tests.support.org import deal, make_org
from tests.support.server import RunningServer

LATIN_ONLY = "/usr/share/fonts/truetype/dejavu"
NAMES = ["欧阳建国", "诸葛晓燕", "司马子涵", "上官婉儿", "慕容雪", "皇甫嘉怡"]  # 怡, 涵, 婉: GB 2312 level 2
SERVED = FAMILY  # the name inside our subset; "isCustomFont" tells a served font from a system one


def is_cjk(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH"))


@pytest.fixture(scope="module")
def covered() -> dict[str, set[int]]:
    return {path.name: set(TTFont(str(path)).getBestCmap()) for path in sorted(FONTS.glob("*.woff2"))}


def test_the_served_fonts_cover_the_common_characters_and_every_ui_string(covered: dict[str, set[int]]) -> None:
    wanted = {c for c in common_characters() | ui_characters() if is_cjk(c) or "\u3000" <= c <= "\u303f"}
    assert len(wanted) > 6763
    assert set(covered) == {"arena-cjk-regular.woff2", "arena-cjk-bold.woff2"}
    for name, cmap in covered.items():
        missing = sorted(c for c in wanted if ord(c) not in cmap)
        assert not missing, f"{name} lacks {''.join(missing[:40])}: run python -m scripts.build_cjk_font"
        assert (FONTS / name).stat().st_size < 1_250_000, "a subset, not the whole font"
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "OFL.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def fontless(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """A second Chromium that sees no CJK font at all, as on a bare Linux TV stick."""
    folder = tmp_path_factory.mktemp("fontconfig")
    config = folder / "fonts.conf"
    config.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>{LATIN_ONLY}</dir>'
        f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>"
    )
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "FONTCONFIG_FILE": str(config)}
    )
    yield launched
    launched.close()


def fonts_of(page: Page, selector: str) -> list[dict[str, object]]:
    """The fonts Chromium drew the element's text with, and how many glyphs each (DevTools' own account)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts: list[dict[str, object]] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return fonts


def cjk_drawn_by(fonts: list[dict[str, object]], text: str, family: str) -> bool:
    """Every Chinese character of ``text`` came from ``family`` (a box counts for the font that drew it)."""
    chinese = sum(1 for c in text if is_cjk(c))
    served = sum(int(f["glyphCount"]) for f in fonts if f["familyName"] == family and f["isCustomFont"])  # type: ignore[call-overload]
    return chinese > 0 and served >= chinese


def open_tv(fontless: Browser, server: RunningServer, token: str, *, block_fonts: bool) -> Page:
    context = fontless.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    if block_fonts:
        page.route("**/static/fonts/*.woff2", lambda route: route.abort())
    page.goto(f"{server.base_url}/tv/{token}")
    expect(page.locator("#board .row")).to_have_count(len(NAMES))
    page.evaluate("document.fonts.ready.then(() => true)")
    return page


def test_chinese_on_the_tv_draws_with_the_served_font_where_the_device_has_none(
    fontless: Browser, server: RunningServer
) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=3)
        for rep, name in zip(org.reps, NAMES, strict=True):
            admin.put(f"/api/v1/reps/{rep}", json={"name": name})
        display = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": [f"contest:{org.contest}"]}).json()
    with server.ingest() as ingest:
        for index, rep in enumerate(org.reps):
            ingest.post("/api/v1/events", json=deal(rep, (index + 1) * 10_000))

    boxes = open_tv(fontless, server, display["token"], block_fonts=True)
    title = boxes.locator("#board-title").inner_text()
    assert not cjk_drawn_by(fonts_of(boxes, "#board-title"), title, SERVED)
    assert not any(f["isCustomFont"] for f in fonts_of(boxes, "#board-title")), "no CJK font but ours on this device"
    screenshot(boxes, "tv-zh-CN-no-cjk-font-blocked.png")
    boxes.context.close()

    page = open_tv(fontless, server, display["token"], block_fonts=False)
    errors, foreign = watch_page(page, server)
    checks = [
        "#board-title",
        "#slide-label",
        "#countdown",
        *(f"#board .row:nth-child({n}) .row-name" for n in range(1, 7)),
    ]
    for selector in checks:
        expect(page.locator(selector), selector).not_to_be_empty()
        text = page.locator(selector).inner_text()
        fonts = fonts_of(page, selector)
        assert cjk_drawn_by(fonts, text, SERVED), f"{selector} {text!r} drawn with {fonts}"
    assert page.evaluate("JSON.parse(document.getElementById('tv-config').textContent).badges") == {}, "no wall slide"
    drawn = {page.locator(f"#board .row:nth-child({n}) .row-name").inner_text() for n in range(1, 7)}
    assert drawn == set(NAMES)
    screenshot(page, "tv-zh-CN-no-cjk-font.png")
    assert not errors, errors
    assert not foreign, foreign
    page.context.close()


def test_the_font_files_are_served_same_origin_and_allowed_by_the_policy(server: RunningServer) -> None:
    with server.admin() as admin:
        response = admin.get("/static/fonts/arena-cjk-bold.woff2")
        css = admin.get("/static/fonts.css")
    assert response.status_code == 200 and response.headers["content-type"] == "font/woff2"
    assert response.content[:4] == b"wOF2"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "font-src" not in response.headers["content-security-policy"], "font-src falls back to default-src 'self'"
    assert "/static/fonts/arena-cjk-regular.woff2" in css.text and "http" not in css.text


def test_no_page_script_or_template_shows_an_emoji() -> None:
    """Emoji need an emoji font most TVs lack: the pages draw their icons as SVG instead."""
    root = Path(__file__).resolve().parent.parent / "web"
    found = {
        f"{path.relative_to(root)}: {char}"
        for path in [*root.joinpath("static").glob("*.js"), *root.joinpath("templates").rglob("*.html")]
        for char in path.read_text(encoding="utf-8")
        if ord(char) >= 0x1F000 or (0x2600 <= ord(char) <= 0x27BF and char != "\u2605")
    }
    assert not found, sorted(found)


def test_the_phone_sign_in_draws_chinese_with_the_served_font_too(fontless: Browser, server: RunningServer) -> None:
    context = fontless.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/login?lang=zh-CN")
    page.evaluate("document.fonts.ready.then(() => true)")
    for selector in (".auth-brand h1", ".auth-brand p", "button[type=submit]", ".hint"):
        text = page.locator(selector).inner_text()
        fonts = fonts_of(page, selector)
        assert cjk_drawn_by(fonts, text, SERVED), f"{selector} {text!r} drawn with {fonts}"
    screenshot(page, "phone-login-zh-CN-no-cjk-font.png")
    assert not errors, errors
    assert not foreign, foreign
    context.close()
