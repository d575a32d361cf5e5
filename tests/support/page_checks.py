"""Checks a browser test runs inside a page (``page.evaluate``): each returns a list of what is wrong, empty when
all is well, so that a failure names the element."""

from __future__ import annotations

import contextlib
import json

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

BROKEN_IMAGES = """() => Array.from(document.images).filter((i) => !i.complete || i.naturalWidth === 0)
    .map((i) => i.outerHTML)"""
# every header cell whose text is aligned differently from the cells under it
MISALIGNED = """() => {
  const out = [];
  for (const table of document.querySelectorAll("main table")) {
    const head = table.tHead && table.tHead.rows[0];
    const width = head ? head.cells.length : 0;
    const body = table.tBodies[0] && Array.from(table.tBodies[0].rows).find((r) => r.cells.length === width);
    if (!head || !body) continue;
    Array.from(head.cells).forEach((th, i) => {
      const a = getComputedStyle(th).textAlign, b = getComputedStyle(body.cells[i]).textAlign;
      const side = (v) => (v === "right" || v === "end") ? "right" : (v === "center" ? "center" : "left");
      const name = `${table.id || table.className}: ${th.textContent.trim()}`;
      if (th.textContent.trim() && side(a) !== side(b)) out.push(`${name} ${a} vs ${b}`);
    });
  }
  return out;
}"""

# visible text whose contrast with the background behind it is below WCAG AA (4.5:1; 3:1 for large text)
LOW_CONTRAST = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const linear = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => [r, g, b].map(linear)
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const behind = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      if (getComputedStyle(el).backgroundImage !== "none" && el !== document.body) return null;
    }
    return [246, 247, 251];
  };
  const out = [];
  for (const el of document.querySelectorAll("main *, nav.side *, header *")) {
    if (el.closest("svg, canvas, .u-legend, [hidden]") || !el.checkVisibility()) continue;
    const text = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join("");
    if (!text) continue;
    const style = getComputedStyle(el), back = behind(el);
    if (!back || style.opacity !== "1" || el.closest("button:disabled")) continue;
    const a = lum(rgb(style.color).slice(0, 3)), b = lum(back);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    if (ratio < need) out.push(`${el.tagName}.${el.className} "${text.slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return out;
}"""
# form controls a screen reader would announce without a name
UNLABELLED = """() => Array.from(document.querySelectorAll("input, select, textarea"))
    .filter((el) => el.type !== "hidden" && el.checkVisibility() && !el.labels.length && !el.getAttribute("aria-label")
                    && !el.getAttribute("aria-labelledby") && !el.title)
    .map((el) => el.outerHTML.slice(0, 80))"""
# visible tables with a header and no row at all: an empty list should say so ("no budget set"), not show
# bare column titles
EMPTY_TABLES = """() => Array.from(document.querySelectorAll("main table"))
    .filter((t) => t.checkVisibility() && t.tHead && t.tBodies.length && !t.tBodies[0].rows.length)
    .map((t) => t.id || t.className || t.tHead.textContent.trim().slice(0, 40))"""
# visible drop-downs too narrow for the option they show: its text, in the drop-down's own font, is wider than
# the box less its padding and the arrow Chromium draws (about 20 px)
CLIPPED_SELECTS = """() => {
  const ctx = document.createElement("canvas").getContext("2d");
  return Array.from(document.querySelectorAll("select")).filter((el) => el.checkVisibility() && el.selectedIndex >= 0)
    .map((el) => {
      const style = getComputedStyle(el);
      ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const text = el.options[el.selectedIndex].text;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
      return {text, over: Math.ceil(ctx.measureText(text).width - room)};
    }).filter((found) => found.over > 0).map((found) => `${found.text}: ${found.over} px`);
}"""

# The office TV's screens: 720p, 1080p and 4K.
TV_SIZES = [(1280, 720), (1920, 1080), (3840, 2160)]
# Every box drawn in the shown slide must lie between the header and the footer and inside the viewport; every
# box of the header and the footer inside the viewport. Returns what does not, with the pixels it is off by.
TV_OVERFLOWS = """(selector) => {
  const bad = [];
  const header = document.querySelector(".tv-header").getBoundingClientRect();
  const footer = document.querySelector(".tv-footer").getBoundingClientRect();
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className;
  const within = (root, top, bottom) => {
    for (const el of [root, ...root.querySelectorAll("*")]) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(el).visibility === "hidden") continue;
      const off = Math.max(top - r.top, r.bottom - bottom, -r.left, r.right - innerWidth);
      if (off > 0.5) bad.push(describe(el) + " by " + Math.round(off) + "px");
    }
  };
  within(document.querySelector(selector), header.bottom, footer.top);
  within(document.querySelector(".tv-header"), 0, innerHeight);
  within(document.querySelector(".tv-footer"), 0, innerHeight);
  return bad;
}"""


def tv_overflows(page: Page, selector: str) -> list[str]:
    """``TV_OVERFLOWS`` of the slide at ``selector`` once the page has laid itself out after a resize or a slide
    change (a busy machine may measure a frame drawn before its fonts or sizes caught up): what still overflows
    after up to two seconds of frames."""
    fits = f"() => ({TV_OVERFLOWS})({json.dumps(selector)}).length === 0"
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(fits, polling="raf", timeout=2_000)
    return list(page.evaluate(TV_OVERFLOWS, selector))


def empty_tables(page: Page) -> list[str]:
    """``EMPTY_TABLES`` once the page's scripts had up to five seconds to fill the tables they fetch (the rates
    page, the disputes queue): what is still empty then."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(f"() => ({EMPTY_TABLES})().length === 0", timeout=5_000)
    return list(page.evaluate(EMPTY_TABLES))
