"""Debian's Chromium driven by Playwright: how it starts, and what every page test watches for."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page

from tests.support.server import ARTIFACTS, RunningServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--js-flags=--expose-gc",
    "--enable-precise-memory-info",
]
SETTLED = """() => document.getAnimations().every(
    (a) => a.playState !== "running" || a.effect.getComputedTiming().iterations === Infinity)"""


def watch_page(page: Page, server: RunningServer) -> tuple[list[str], list[str]]:
    """Console errors and requests to any other host, collected for the assertions at the end."""
    errors: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    own = (server.base_url, server.ws_url.removesuffix("/ws"), "data:", "blob:")
    page.on("request", lambda r: None if r.url.startswith(own) else foreign.append(r.url))
    return errors, foreign


def settle(page: Page) -> None:
    """Wait until every finite animation and transition has finished (looping ones are left running)."""
    page.wait_for_function(SETTLED, polling="raf")


def screenshot(page: Page, name: str) -> None:
    """A settled picture of the page under ``test-artifacts/``, for people to look at."""
    settle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def signed_in_page(
    browser: Browser, server: RunningServer, username: str, password: str, locale: str
) -> tuple[BrowserContext, Page, list[str], list[str]]:
    """A 1280×900 page in ``locale`` signed in through the login form, watched for errors and foreign hosts."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return context, page, errors, foreign


def signed_in(
    browser: Browser, server: RunningServer, locale: str, username: str = "admin", password: str = "admin-test-password"
) -> tuple[Page, list[str], list[str]]:
    """A 1280×900 page signed in to the console in ``locale``, with its console errors and foreign requests."""
    _, page, errors, foreign = signed_in_page(browser, server, username, password, locale)
    return page, errors, foreign
