"""Faces on the office TV's rows: a rep's photo from our own server, or initials in a coloured circle; a rep who
opted out is initials only and their photo is never asked for. The rows still fit at 720p, 1080p and 4K."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import Browser, Request, expect

from tests.support.browser import screenshot, settle, watch_page
from tests.support.contrast import contrast
from tests.support.org import make_org, scored_in_order
from tests.support.page_checks import TV_OVERFLOWS, TV_SIZES
from tests.support.pictures import b64, png
from tests.support.server import RunningServer

# A server of its own: the boards hold only the reps made here.
pytestmark = [pytest.mark.browser, pytest.mark.own_server]


# Each row's face: whether a photo is shown (loaded), the initials drawn, its colours and its box in the row.
FACES = """() => [...document.querySelectorAll("#board .row")].map((row) => {
  const face = row.querySelector(".avatar"), img = face.querySelector("img"), box = face.getBoundingClientRect();
  const rowBox = row.getBoundingClientRect(), style = getComputedStyle(face);
  return {id: row.dataset.id, photo: !img.hidden && img.complete && img.naturalWidth > 0,
          initials: face.classList.contains("has-photo") ? "" : getComputedStyle(face, "::after").content,
          background: style.backgroundColor, color: style.color, size: box.height, width: box.width,
          inside: box.top >= rowBox.top && box.bottom <= rowBox.bottom,
          beforeName: box.right <= row.querySelector(".row-name").getBoundingClientRect().left};
})"""


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_rows_show_photos_or_initials_and_never_the_face_of_a_rep_who_opted_out(
    browser: Browser, server: RunningServer, now: datetime, locale: str
) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=5)
        names = ["王芳", "Alice Wang", "欧阳娜娜 Alexandra Montgomery", "林晓", "David Li"]
        for rep, name in zip(org.reps, names, strict=False):
            admin.put(f"/api/v1/reps/{rep}", json={"name": name, "team": org.teams[0]}).raise_for_status()
        with_photo = org.reps[:4]  # the fourth (林晓) opts out below: initials only on the TV
        for n, rep in enumerate(with_photo):
            response = admin.put(f"/api/v1/reps/{rep}/photo", json={"image": b64(png(64, 64, (40 + 50 * n, 90, 200)))})
            assert response.status_code == 200, response.text
        opted = org.reps[3]
        admin.put(f"/api/v1/reps/{opted}", json={"name": "林晓", "team": org.teams[0], "opted_out": True})
        display = admin.post("/api/v1/displays", json={"name": "大厅", "playlist": [f"contest:{org.contest}"]}).json()
    scored_in_order(server, org.reps, now)
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale)
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    photo_requests: list[str] = []

    def note(request: Request) -> None:
        if "/photo/" in request.url:
            photo_requests.append(request.url)

    page.on("request", note)
    page.goto(f"{server.base_url}/tv/{display['token']}")
    expect(page.locator("#board .row")).to_have_count(10)
    expect(page.locator("#board .row .avatar.has-photo")).to_have_count(3)
    overflowing: list[str] = []
    for width, height in TV_SIZES:
        page.set_viewport_size({"width": width, "height": height})
        settle(page)
        faces = {face["id"]: face for face in page.evaluate(FACES)}
        assert [rep for rep, face in faces.items() if face["photo"]] == with_photo[:3], f"{width}×{height}"
        assert faces[opted]["initials"] == '"林"' and not faces[opted]["photo"]
        assert faces[org.reps[4]]["initials"] == '"DL"'
        assert faces[org.reps[5]]["initials"] == '"销售"'  # 销售 1-0
        for face in faces.values():
            assert face["inside"] and face["beforeName"], face
            assert abs(face["size"] - face["width"]) < 1 and face["size"] >= height * 0.05, face  # a circle, seen
            if not face["photo"]:
                assert contrast(face["color"], face["background"]) >= 4.5, face
        overflowing += [
            f"{width}×{height}: {box}" for box in page.evaluate(TV_OVERFLOWS, ".stage .slide:not([hidden])")
        ]
        screenshot(page, f"tv-avatars-{locale}-{height}p.png")
    assert not overflowing, overflowing
    assert photo_requests and all(opted not in url for url in photo_requests), "no photo of a rep who opted out"
    assert all(url.startswith(server.base_url) and "token=" in url for url in photo_requests)
    assert not errors, errors
    assert not foreign, foreign
    context.close()
