"""Debian's Chromium driven by Playwright: how it starts, what every page test watches for, and a page signed in
to the console."""

from __future__ import annotations

from typing import NamedTuple

from playwright.sync_api import Browser, BrowserContext, Page, expect

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


class SignedIn(NamedTuple):
    """A browser context signed in to the console, its page on the console's home, and what the page watches."""

    context: BrowserContext
    page: Page
    errors: list[str]
    foreign: list[str]


def signed_in(
    browser: Browser,
    server: RunningServer,
    locale: str = "en",
    *,
    username: str = "admin",
    password: str = "admin-test-password",
    width: int = 1280,
    height: int = 900,
    landing: str = "/admin",
    mobile: bool = False,
) -> SignedIn:
    """A page in ``locale`` signed in through the login form (the admin unless told), watched for console errors
    and foreign hosts; it returns once ``landing`` (the console's home unless told: a rep's is ``/m``) has opened
    in ``locale``, so the test starts signed in."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale, is_mobile=mobile)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/login" + (f"?next={landing}" if landing != "/admin" else ""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.base_url}{landing}")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    return SignedIn(context, page, errors, foreign)


def open_wizard(page: Page, server: RunningServer, query: str = "") -> None:
    """The contest wizard, once its first rule preview has landed: the sentences it writes push everything below
    them down, so a click aimed before they land (at the simulator, say) can hit whatever moved under it."""
    page.goto(f"{server.base_url}/admin/contests/new{query}")
    expect(page.locator("#preview-en")).not_to_be_empty()
