"""Console users made through the API, a cookie session that signs in with the form like a browser, and a
rep's session cookie made directly (for clients that are not browsers: a phone's websocket)."""

from __future__ import annotations

import base64
import json
import re
import uuid

import httpx
import redis
from itsdangerous import TimestampSigner

from game import keys
from server.auth.secrets import hash_password
from tests.support.server import RunningServer

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Browser:
    """A cookie session like a browser's: signs in with the form, then calls the API with its CSRF token."""

    def __init__(self, server: RunningServer) -> None:
        self.client = httpx.Client(base_url=server.base_url, timeout=15, follow_redirects=False)
        self.csrf = ""

    def login(self, username: str, password: str) -> httpx.Response:
        page = self.client.get("/login")
        token = CSRF_INPUT.search(page.text)
        assert token, page.text[:500]
        response = self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
        )
        if response.status_code == 303:
            home = self.client.get(response.headers["location"], follow_redirects=True)
            found = CSRF_META.search(home.text)
            self.csrf = found.group(1) if found else ""
        return response

    def call(self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: object) -> httpx.Response:
        sent = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        return self.client.request(method, url, headers={**sent, **(headers or {})}, **kwargs)  # type: ignore[arg-type]


def make_user(admin: httpx.Client, role: str, **extra: object) -> tuple[str, str]:
    username = f"{role}-{uuid.uuid4().hex[:6]}"
    password = "pw-" + uuid.uuid4().hex[:10]
    response = admin.put(f"/api/v1/users/{username}", json={"role": role, "password": password, **extra})
    assert response.status_code == 201, response.text
    return username, password


def signed_in(server: RunningServer, admin: httpx.Client, role: str, **extra: object) -> Browser:
    """A new user of ``role``, signed in."""
    browser = Browser(server)
    assert browser.login(*make_user(admin, role, **extra)).status_code == 303
    return browser


def rep_session_cookie(server: RunningServer, rep: str) -> str:
    """Sign in as a rep the way the login page does: a user record, and a signed session cookie in
    Starlette's SessionMiddleware format."""
    user = {"username": f"u-{rep}", "role": "rep", "rep": rep, "password": hash_password("x"), "sv": 0}
    with redis.Redis.from_url(server.redis_url) as client:
        client.hset(keys.USERS, user["username"], json.dumps(user))
    session = {"user": {"role": "rep", "name": user["username"], "rep": rep, "sv": 0}}
    payload = base64.b64encode(json.dumps(session).encode())
    signed = TimestampSigner(server.env["ARENA_SECRET_KEY"]).sign(payload).decode()
    return f"arena_session={signed}"
