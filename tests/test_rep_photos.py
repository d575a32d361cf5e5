"""Reps' photos through the API on a real server: uploaded by a manager or the rep, or fetched by the server from
a profile URL; served from our own server with their exact type, cached forever under their digest; seen by a
TV only for reps its slides show who have not opted out."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.accounts import signed_in
from tests.support.loopback_http import QuietHandler, serving
from tests.support.org import make_org, unique
from tests.support.pictures import b64, jpeg_header, png, png_header
from tests.support.server import RunningServer


def _upload(client: Any, rep: str, data: bytes) -> httpx.Response:
    response: httpx.Response = client.put(f"/api/v1/reps/{rep}/photo", json={"image": b64(data)})
    return response


def test_a_manager_uploads_a_photo_and_it_is_served_from_our_server_with_its_exact_type(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin, teams=1, reps_per_team=2)
    picture = png(40, 40, (30, 140, 220))
    manager = signed_in(server, admin, "manager", teams=org.teams)
    response = manager.call("PUT", f"/api/v1/reps/{org.reps[0]}/photo", json={"image": b64(picture)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["media_type"], body["width"], body["height"]) == ("image/png", 40, 40)
    assert body["url"] == f"/api/v1/reps/{org.reps[0]}/photo/{body['photo']}"
    served = admin.get(body["url"])
    assert served.status_code == 200
    assert served.content == picture
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in served.headers["cache-control"] and "max-age=31536000" in served.headers["cache-control"]
    rows = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]
    assert {row["id"]: row.get("photo") for row in rows}[org.reps[0]] == body["photo"]
    assert admin.get(f"/api/v1/reps/{org.reps[0]}/photo/{'0' * 32}").status_code == 404, "another digest: nothing"


def test_a_new_photo_gets_a_new_url_and_a_removed_one_is_gone(admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    rep = org.reps[0]
    first = _upload(admin, rep, png(rgb=(1, 1, 1))).json()
    second = _upload(admin, rep, jpeg_header(64, 48)).json()
    assert first["photo"] != second["photo"]
    assert admin.get(first["url"]).status_code == 404
    assert admin.get(second["url"]).headers["content-type"] == "image/jpeg"
    removed = admin.delete(f"/api/v1/reps/{rep}/photo")
    assert removed.status_code == 200 and removed.json() == {
        "rep": rep,
        "photo": "",
        "url": None,
        "media_type": "",
        "width": 0,
        "height": 0,
    }
    assert admin.get(second["url"]).status_code == 404
    rows = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]
    assert "photo" not in rows[0]
    assert admin.put(f"/api/v1/reps/{rep}", json={"name": "改名", "team": org.teams[0]}).status_code == 200


def test_what_is_not_a_picture_we_keep_is_refused_naming_the_field(admin: httpx.Client) -> None:
    rep = make_org(admin, teams=1, reps_per_team=1).reps[0]
    cases = [
        (b"<svg onload='alert(1)'/>", "not a PNG, JPEG or WebP"),
        (png_header(9000, 9000), "9000×9000"),
        (png() + b"\x00" * (512 * 1024), "at most 512 KB"),  # just over: larger bodies are refused unread (413)
    ]
    for data, says in cases:
        response = _upload(admin, rep, data)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "image"
        assert says in response.json()["error"]
    both = admin.put(f"/api/v1/reps/{rep}/photo", json={"image": b64(png()), "url": "https://example.com/a.png"})
    assert both.status_code == 422
    huge = admin.put(f"/api/v1/reps/{rep}/photo", json={"image": "A" * 1_200_000})
    assert huge.status_code == 413
    assert "photo" not in admin.get(f"/api/v1/contests/{make_org(admin).contest}/leaderboard").json()["rows"][0]


def test_managers_change_their_own_reps_photos_and_a_rep_only_their_own(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin, teams=2, reps_per_team=1)
    mine, theirs = org.reps
    other_manager = signed_in(server, admin, "manager", teams=[org.teams[1]])
    refused = other_manager.call("PUT", f"/api/v1/reps/{mine}/photo", json={"image": b64(png())})
    assert refused.status_code == 403
    rep = signed_in(server, admin, "rep", rep=mine)
    own = rep.call("PUT", f"/api/v1/reps/{mine}/photo", json={"image": b64(png(rgb=(9, 9, 9)))})
    assert own.status_code == 200, own.text
    assert rep.call("GET", own.json()["url"]).content == png(rgb=(9, 9, 9)), "a rep sees photos on the boards"
    assert rep.call("PUT", f"/api/v1/reps/{theirs}/photo", json={"image": b64(png())}).status_code == 403
    assert rep.call("DELETE", f"/api/v1/reps/{mine}/photo").status_code == 200
    with server.ingest() as ingest:
        assert ingest.get(own.json()["url"]).status_code == 403


def test_a_tv_sees_photos_of_its_boards_reps_but_never_of_one_who_opted_out(admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=2)
    shown, hidden = org.reps
    elsewhere = make_org(admin, teams=1, reps_per_team=1).reps[0]
    everyone = [*org.reps, elsewhere]
    urls = {rep: _upload(admin, rep, png(rgb=(n, 80, 80))).json()["url"] for n, rep in enumerate(everyone)}
    opting_out = {"name": "林晓", "team": org.teams[0], "opted_out": True}
    assert admin.put(f"/api/v1/reps/{hidden}", json=opting_out).is_success
    display = admin.post("/api/v1/displays", json={"name": "tv", "playlist": [f"contest:{org.contest}"]}).json()
    token = {"token": display["token"]}
    tv = httpx.Client(base_url=admin.base_url, timeout=15)  # the TV's only credential: the token in its URL
    assert tv.get(urls[shown], params=token).status_code == 200
    assert tv.get(urls[hidden], params=token).status_code == 404, "opted out: initials only, never a face"
    assert tv.get(urls[elsewhere], params=token).status_code == 404, "not on this TV's boards"
    assert tv.get(urls[shown]).status_code == 401
    rows = tv.get(f"/api/v1/contests/{org.contest}/leaderboard", params=token).json()["rows"]
    photos = {row["id"]: row.get("photo") for row in rows}
    assert photos[shown] and photos[hidden] is None
    internal = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]
    assert all(row.get("photo") for row in internal), "the console sees every photo"


class _Profile(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/me.png":
            self.send_body(200, "image/png", png(24, 24, (10, 200, 90)))
        elif self.path == "/page.html":
            self.send_body(200, "text/html", b"<html>not a picture</html>")
        else:
            self.send_body(404, "text/plain", b"no")


def test_a_profile_photo_url_is_fetched_once_by_the_server_and_served_as_ours(admin: httpx.Client) -> None:
    """The test server allows its own network (the CRM fakes listen on loopback); public-only is the default,
    checked in tests/test_images.py."""
    rep = make_org(admin, teams=1, reps_per_team=1).reps[0]
    with serving(_Profile) as base:
        fetched = admin.put(f"/api/v1/reps/{rep}/photo", json={"url": f"{base}/me.png"})
        assert fetched.status_code == 200, fetched.text
        not_picture = admin.put(f"/api/v1/reps/{rep}/photo", json={"url": f"{base}/page.html"})
        missing = admin.put(f"/api/v1/reps/{rep}/photo", json={"url": f"{base}/gone.png"})
    assert admin.get(fetched.json()["url"]).content == png(24, 24, (10, 200, 90)), "kept: the profile host is gone"
    assert not_picture.status_code == 422 and not_picture.json()["errors"][0]["field"] == "url"
    assert missing.status_code == 422 and "HTTP 404" in missing.json()["error"]


def test_a_rep_put_or_imported_with_a_profile_photo_url_gets_the_photo_fetched_and_kept(admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    team = org.teams[0]
    put_id, broken_id, imported_id, missing_id = (unique("crm") for _ in range(4))
    with serving(_Profile) as base:
        put = admin.put(f"/api/v1/reps/{put_id}", json={"name": "周杰", "team": team, "photo_url": f"{base}/me.png"})
        assert put.status_code == 201, put.text
        page = {"name": "吴婷", "team": team, "photo_url": f"{base}/page.html"}
        broken = admin.put(f"/api/v1/reps/{broken_id}", json=page)
        csv = (
            f"id,name,team,photo_url\n{imported_id},黄强,{team},{base}/me.png\n"
            f"{missing_id},赵敏,{team},{base}/gone.png\n"
        )
        imported = admin.post("/api/v1/reps/import", content=csv.encode(), headers={"content-type": "text/csv"})
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"] == "photo_url"
    reps = {rep["id"]: rep for rep in admin.get("/api/v1/reps").json()["reps"]}
    assert broken_id not in reps, "a refused photo URL stores nothing"
    assert put.json()["photo"] == reps[put_id]["photo"] != ""
    assert admin.get(f"/api/v1/reps/{put_id}/photo/{reps[put_id]['photo']}").content == png(24, 24, (10, 200, 90))
    rows = {row["id"]: row for row in imported.json()["rows"]}
    assert imported.json()["imported"] == 2
    assert reps[imported_id]["photo"] and "photo_problem" not in rows[imported_id]
    assert not reps[missing_id]["photo"] and "HTTP 404" in rows[missing_id]["photo_problem"]
