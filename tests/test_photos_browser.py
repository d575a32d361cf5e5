"""Photos chosen in Chromium: a manager sets and removes a rep's photo on the console's Teams & reps page; a rep
sets their own on the phone, and sees their neighbours' faces. A file that is not a picture is refused in words."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import screenshot, watch_page
from tests.support.contrast import contrast
from tests.support.org import deal, make_org
from tests.support.pictures import b64, png
from tests.support.server import RunningServer

# A server of its own: a rep here is in the contests made here only.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


PASSWORD = "photo-password-1"
# whether the face shows a loaded photo, the initials drawn otherwise, and the face's colours and size
FACE = """(face) => {
  const img = face.querySelector("img"), style = getComputedStyle(face), box = face.getBoundingClientRect();
  return {photo: face.classList.contains("has-photo") && img.naturalWidth > 0,
          initials: getComputedStyle(face, "::after").content, color: style.color, background: style.backgroundColor,
          width: box.width, height: box.height};
}"""


def _user(admin: httpx.Client, role: str, **extra: object) -> str:
    username = f"{role}-{uuid.uuid4().hex[:6]}"
    response = admin.put(f"/api/v1/users/{username}", json={"role": role, "password": PASSWORD, **extra})
    assert response.status_code == 201, response.text
    return username


def _sign_in(page: Page, server: RunningServer, username: str, next_page: str) -> None:
    page.goto(f"{server.base_url}/login?next={next_page}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.base_url}{next_page}")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_manager_sets_and_removes_a_reps_photo_on_the_people_page(
    browser: Browser, server: RunningServer, admin: httpx.Client, locale: str
) -> None:
    org = make_org(admin, teams=1, reps_per_team=2)
    rep = org.reps[0]
    manager = _user(admin, "manager", teams=org.teams)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    _sign_in(page, server, manager, "/admin/people")
    picker = page.locator(f'.photo-picker[data-rep="{rep}"]')
    face = picker.locator(".avatar")
    before = face.evaluate(FACE)
    assert not before["photo"] and before["initials"] == '"销售"'
    assert contrast(before["color"], before["background"]) >= 4.5
    picker.locator("input[type=file]").set_input_files(
        {"name": "me.txt", "mimeType": "image/png", "buffer": b"not a picture at all"}
    )
    expect(picker.locator(".photo-error")).to_contain_text("not a PNG, JPEG or WebP")
    picker.locator("input[type=file]").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": png(48, 48, (200, 40, 90))}
    )
    expect(face).to_have_class("avatar picker-avatar has-photo")
    expect(picker.locator(".photo-error")).to_be_empty()
    assert face.evaluate(FACE)["photo"]
    rows = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]
    digest = next(row["photo"] for row in rows if row["id"] == rep)
    assert admin.get(f"/api/v1/reps/{rep}/photo/{digest}").content == png(48, 48, (200, 40, 90))
    screenshot(page, f"console-people-photo-{locale}.png")
    picker.locator(".photo-remove").click()
    expect(face).not_to_have_class("avatar picker-avatar has-photo")
    expect(picker.locator(".photo-remove")).to_be_hidden()
    rows = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]
    assert all("photo" not in row for row in rows)
    refused = [e for e in errors if "status of 422" in e]
    assert len(refused) == 1 and len(errors) == 1, errors  # the file that was not a picture, and nothing else
    assert not foreign, foreign
    context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_a_rep_sees_neighbours_faces_and_sets_their_own_photo_on_the_phone(
    browser: Browser, server: RunningServer, admin: httpx.Client, locale: str
) -> None:
    org = make_org(admin, teams=1, reps_per_team=3)
    above, me, below = org.reps
    assert admin.put(f"/api/v1/reps/{above}/photo", json={"image": b64(png(rgb=(10, 120, 200)))}).is_success
    with server.ingest() as ingest:
        for rep, amount in ((above, 30_000), (me, 20_000), (below, 10_000)):
            ingest.post("/api/v1/events", json=deal(rep, amount))
    username = _user(admin, "rep", rep=me)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    _sign_in(page, server, username, "/m")
    near = page.locator(".c-near").first
    expect(near.locator(".near-above .avatar.has-photo")).to_have_count(1, timeout=10_000)
    below_face = near.locator(".near-below .avatar").evaluate(FACE)
    assert not below_face["photo"] and below_face["initials"] == '"销售"'
    expect(near.locator(".near-below")).to_contain_text("10" if locale == "en" else "10 分")
    header = page.locator("#avatar")
    assert not header.evaluate(FACE)["photo"]
    picker = page.locator("#my-photo .photo-picker")
    box = picker.locator(".photo-choose").bounding_box()
    assert box and box["height"] >= 44, box
    picker.locator("input[type=file]").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": png(32, 32, (250, 200, 0))}
    )
    expect(page.locator("#avatar.has-photo")).to_have_count(1)
    expect(picker.locator(".avatar.has-photo")).to_have_count(1)
    screenshot(page, f"phone-photo-{locale}.png")
    picker.locator(".photo-remove").click()
    expect(page.locator("#avatar.has-photo")).to_have_count(0)
    assert not errors, errors
    assert not foreign, foreign
    context.close()
