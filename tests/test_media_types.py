"""Bodies only in the media types an operation declares: JSON (msgpack where declared, CSV where declared); any
other type, or none, is a 415 naming what is accepted. A cross-site HTML form can post url-encoded, multipart
or text/plain bodies without asking the browser's leave, so none of those ever reaches a JSON handler."""

from __future__ import annotations

from typing import Any

import httpx
import msgpack

from tests.support.accounts import Browser
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer

JSON = "application/json"
FORM_LIKE = {
    "text/plain": b'{"name": "tv"}',
    "application/x-www-form-urlencoded": b"name=tv",
    "multipart/form-data; boundary=x": b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\ntv\r\n--x--\r\n',
}


def _refused(response: httpx.Response, *accepted: str) -> None:
    assert response.status_code == 415, response.text
    body: dict[str, Any] = response.json()
    assert all(media in body["error"] for media in accepted), body
    assert body["errors"] == [{"field": "content-type", "message": f"one of {', '.join(accepted)}"}]


def test_a_json_endpoint_refuses_every_other_body_type(admin: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    before = admin.get("/api/v1/teams").json()
    team = unique("team")
    for media, content in FORM_LIKE.items():
        response = admin.put(f"/api/v1/teams/{team}", content=content, headers={"Content-Type": media})
        _refused(response, JSON)
    _refused(admin.put(f"/api/v1/teams/{team}", content=b'{"name": "tv"}'), JSON)  # no type at all
    pause = f"/api/v1/contests/{org.contest}/pause"
    _refused(admin.post(pause, content=b"x=1", headers={"Content-Type": "text/plain"}), JSON)
    assert admin.get("/api/v1/teams").json() == before
    assert admin.get(f"/api/v1/contests/{org.contest}").json()["status"] == "live"
    # JSON, with or without a charset; no body at all where none is needed
    json_utf8 = {"Content-Type": "application/json; charset=utf-8"}
    assert admin.put(f"/api/v1/teams/{team}", content='{"name": "战队"}'.encode(), headers=json_utf8).status_code == 201
    assert admin.post(pause).status_code == 200


def test_a_signed_in_browser_cannot_post_a_form_to_the_api_even_with_its_token(server: RunningServer) -> None:
    browser = Browser(server)
    assert browser.login("admin", "admin-test-password").status_code == 303
    key = {"scope": "read", "name": unique("form")}
    for media, content in {**FORM_LIKE, "text/plain": b'{"scope": "read", "name": "x"}'}.items():
        _refused(
            browser.call("POST", "/api/v1/keys", content=content, headers={"Content-Type": media}), "application/json"
        )
    assert browser.call("POST", "/api/v1/keys", json=key).status_code == 201


def test_msgpack_where_declared_and_csv_where_declared(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=1)
    packed = msgpack.packb(deal(org.reps[0], 100))
    for media in ("application/msgpack", "application/x-msgpack"):
        assert ingest.post("/api/v1/events", content=packed, headers={"Content-Type": media}).status_code == 200
    # the bearer fast path to /events judges the type as the route does
    plain_events = ingest.post("/api/v1/events", content=b"{}", headers={"Content-Type": "text/plain"})
    _refused(plain_events, JSON, "application/msgpack")
    contest = {"Content-Type": "application/msgpack"}
    _refused(admin.post("/api/v1/contests", content=msgpack.packb(org.definition), headers=contest), JSON)
    csv = f"id,name,team\n{unique('rep')},新人,{org.teams[0]}\n"
    as_csv = admin.post("/api/v1/reps/import?dry_run=1", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.json()["valid"] == 1
    as_json = admin.post("/api/v1/reps/import?dry_run=1", json={"csv": csv})
    assert as_json.status_code == 200 and as_json.json()["valid"] == 1
    plain = admin.post("/api/v1/reps/import?dry_run=1", content=csv.encode(), headers={"Content-Type": "text/plain"})
    _refused(plain, "text/csv", "application/json")
