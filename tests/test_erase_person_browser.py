"""The console's "Erase this person" in a real Chromium (zh-CN): on a rep's page an admin must type the rep id; a
wrong one is refused and nothing happens, the right one erases the rep and names the pseudonym; the form is
CSRF-protected and the audit names the admin who erased."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from game.pseudonym import pseudonym
from tests.support.browser import screenshot, signed_in
from tests.support.org import deal, unique
from tests.support.server import RunningServer

# An erasure copies the whole event log: on a server of its own the log holds this test's events, not the suite's.
pytestmark = pytest.mark.own_server


def test_an_admin_erases_a_rep_from_the_rep_page_after_typing_the_id(browser: Browser, server: RunningServer) -> None:
    team, rep = unique("team"), unique("rep")
    with server.admin() as admin:
        assert admin.put(f"/api/v1/teams/{team}", json={"name": "华东大区"}).status_code == 201
        assert admin.put(f"/api/v1/reps/{rep}", json={"name": "钱可删", "team": team}).status_code == 201
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=deal(rep, 5_000)).json()["accepted"] == 1
    _, page, errors, foreign = signed_in(browser, server, "zh-CN")
    page.goto(f"{server.base_url}/admin/reps/{rep}")
    section = page.locator("#erase")
    expect(section.locator("h2")).to_have_text("删除此人的个人数据")
    section.locator("input[name=confirm]").fill("not-the-id")
    section.locator("button[type=submit]").click()
    expect(page.locator("#erase [role=alert]")).to_have_text("请准确输入销售 ID 以确认删除。")
    expect(page.locator("h1")).to_have_text("钱可删")  # still there

    forged = page.request.post(f"{server.base_url}/admin/reps/{rep}/erase", form={"confirm": rep}, max_redirects=0)
    assert forged.status == 303 and "error=csrf" in forged.headers["location"]  # no CSRF token: refused
    page.locator("#erase input[name=confirm]").fill(rep)
    page.locator("#erase button[type=submit]").click()
    alias = pseudonym(server.env["ARENA_SECRET_KEY"], rep)
    expect(page.locator("h1")).to_have_text("个人数据已删除")
    expect(page.locator("#erased")).to_contain_text(alias)
    screenshot(page, "console-erase-person.png")

    with server.admin() as admin:
        listed = {r["id"] for r in admin.get("/api/v1/reps", params={"limit": 500, "team": team}).json()["reps"]}
        assert rep not in listed and alias in listed
        entry = admin.get("/api/v1/audit", params={"target": alias}).json()["entries"][0]
        assert entry["action"] == "person.erase" and entry["actor"] == "admin"
    refused = "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    assert errors == [refused] and not foreign, (errors, foreign)  # only the unconfirmed form's answer
    page.context.close()
