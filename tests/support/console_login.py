"""A Chromium context signed in to the console as the admin, in the language a test asks for."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.browser import watch_page
from tests.support.server import RunningServer


def signed_in(
    browser: Browser, server: RunningServer, locale: str, width: int = 1280, height: int = 900
) -> tuple[BrowserContext, Page, list[str], list[str]]:
    """The context, its page on the console's home, and the page's console errors and foreign requests."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/login?lang={locale}")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin-test-password")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.base_url}/admin")
    expect(page.locator("html")).to_have_attribute("lang", locale)
    return context, page, errors, foreign
