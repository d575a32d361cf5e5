"""What every response says about itself (CSP, nosniff), the session cookie over https, a revoked configured
admin key that stays revoked, and anonymous callers who cannot tell a missing contest from an existing one."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from server.config import load_settings
from server.embedded_redis import EmbeddedRedis
from tests.support.browser import watch_page
from tests.support.org import make_org
from tests.support.server import RunningServer, launch_server

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/login", "/healthz", "/api/v1/contests", "/static/tv.js", "/nowhere", "/tv"])
def test_every_response_forbids_sniffing_and_pages_carry_a_content_security_policy(
    server: RunningServer, path: str
) -> None:
    answer = httpx.get(server.base_url + path, timeout=10)
    assert answer.headers["x-content-type-options"] == "nosniff"
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_templates_hold_no_script_a_content_security_policy_would_block() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(text), f"{template.name}: inline <script> (move it to web/static)"
        assert not INLINE_HANDLER.search(text), f"{template.name}: inline event handler (move it to web/static)"


def test_the_session_cookie_is_secure_when_the_site_is_served_over_https() -> None:
    assert not load_settings({}).cookie_secure
    assert load_settings({"ARENA_PUBLIC_URL": "https://arena.example.com"}).cookie_secure
    assert load_settings({"ARENA_COOKIE_SECURE": "1"}).cookie_secure
    https_but_off = {"ARENA_PUBLIC_URL": "https://arena.example.com", "ARENA_COOKIE_SECURE": "0"}
    assert not load_settings(https_but_off).cookie_secure


@pytest.fixture
def over_https(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[RunningServer]:
    running = launch_server(redis_server.url, tmp_path, ARENA_PUBLIC_URL="https://arena.example.com")
    yield running
    running.stop()


def test_a_site_served_over_https_sets_a_secure_session_cookie(over_https: RunningServer) -> None:
    with httpx.Client(base_url=over_https.base_url, timeout=10) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        cookies = page.headers.get_list("set-cookie")
        assert cookies and all("secure" in c.lower().split("; ") for c in cookies), cookies


def test_a_revoked_configured_admin_key_stays_revoked_after_a_restart(
    redis_server: EmbeddedRedis, tmp_path: Path
) -> None:
    key = "ak_configured_" + uuid.uuid4().hex
    key_id = hashlib.sha256(key.encode()).hexdigest()[:16]
    running = launch_server(redis_server.url, tmp_path, ARENA_ADMIN_KEY=key)
    try:
        auth = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{running.base_url}/api/v1/keys", headers=auth).status_code == 200
        assert httpx.delete(f"{running.base_url}/api/v1/keys/{key_id}", headers=auth).status_code == 204
        assert httpx.get(f"{running.base_url}/api/v1/keys", headers=auth).status_code == 401
        running.stop()
        running.start()
        assert httpx.get(f"{running.base_url}/api/v1/keys", headers=auth).status_code == 401
    finally:
        running.stop()


CONTEST_PATHS = [
    ("GET", "/api/v1/contests/{id}"),
    ("PUT", "/api/v1/contests/{id}"),
    ("GET", "/api/v1/contests/{id}/results"),
    ("GET", "/api/v1/contests/{id}/results.csv"),
    ("GET", "/api/v1/contests/{id}/rescore"),
    ("GET", "/api/v1/contests/{id}/leaderboard"),
    ("GET", "/api/v1/contests/{id}/teams"),
    ("GET", "/api/v1/contests/{id}/divisions/north"),
    ("GET", "/api/v1/contests/{id}/reps/nobody"),
    ("POST", "/api/v1/contests/{id}/close"),
    ("POST", "/api/v1/contests/{id}/rescore"),
    ("GET", "/api/v1/contests/{id}/lift"),
    ("GET", "/api/v1/contests/{id}/lift.csv"),
    ("GET", "/api/v1/contests/{id}/flags"),
]


def test_without_credentials_a_missing_and_an_existing_contest_look_the_same(
    server: RunningServer, admin: httpx.Client
) -> None:
    existing = make_org(admin, teams=1, reps_per_team=1).contest
    with httpx.Client(base_url=server.base_url, timeout=10) as anonymous:
        for method, path in CONTEST_PATHS:
            answers = [
                anonymous.request(method, path.format(id=contest), json={})
                for contest in (existing, "no-such-contest-" + uuid.uuid4().hex[:6])
            ]
            assert [a.status_code for a in answers] == [401, 401], (method, path, [a.text for a in answers])
            assert answers[0].json() == answers[1].json()


def test_the_pages_whose_scripts_moved_to_static_files_still_work_under_the_policy(
    browser: Browser, server: RunningServer
) -> None:
    with server.admin() as admin:
        contest = make_org(admin, teams=1, reps_per_team=1).contest
        made = admin.post("/api/v1/keys", json={"scope": "read", "name": "policy check"})
        assert made.status_code == 201
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    page = context.new_page()
    errors, foreign = watch_page(page, server)
    page.goto(f"{server.base_url}/signin/not-a-real-link")
    page.goto(f"{server.base_url}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin-test-password")
    page.click("button[type=submit]")
    page.wait_for_url("**/admin**")
    page.goto(f"{server.base_url}/admin/keys")
    page.wait_for_selector(f"#keys tbody td:text('{made.json()['id']}')")  # keys.js filled the table
    page.goto(f"{server.base_url}/admin/users")
    page.select_option("#new-role", "rep")
    assert page.is_visible("[data-for-role=rep]") and not page.is_visible("[data-for-role=manager]")  # users.js
    page.goto(f"{server.base_url}/admin/contests/{contest}")
    page.click("#rescore")
    page.wait_for_selector("#rescore-progress:not([hidden])")  # rescore.js polled the progress
    page.goto(f"{server.base_url}/admin/contests/{contest}/lift")
    page.goto(f"{server.base_url}/m/offline")
    with page.expect_navigation():
        page.click("#retry")  # offline.js
    context.close()
    assert errors == [] and foreign == []
