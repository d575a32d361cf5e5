"""People signing in with a browser: login and logout, CSRF, login rate limits, one-time sign-in links.

Sessions are Starlette's signed cookies (``arena_session``) holding ``{"user": {name, role, rep, sv}, "csrf",
"locale"}``; ``server.auth.principal_for`` checks the user against Redis on every request, so a deactivated
user or a changed password (``sv`` moves on) ends every session at once.

CSRF: every unsafe request that carries the session cookie and no bearer token must present the session's
token in ``X-CSRF-Token`` (the console's and phone's fetch calls) or a ``csrf_token`` form field (HTML forms).
One middleware checks it for every route, so no handler can forget.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from redis.asyncio import Redis
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from game import keys
from server import i18n
from server.security import new_token, token_digest, verify_password

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SESSION_COOKIE = "arena_session"
SESSION_MAX_AGE = 14 * 24 * 3600
MAX_FORM_BYTES = 64 * 1024
LOGIN_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_USER = 10
MAX_FAILURES_PER_IP = 30
SIGNIN_LINK_SECONDS = 15 * 60
HOME = {"admin": "/admin", "manager": "/admin", "rep": "/m"}


# --- users ---------------------------------------------------------------------------------------


async def load_user(redis: Redis, username: str) -> dict[str, Any] | None:
    if not username or len(username) > 64:
        return None
    raw = await redis.hget(keys.USERS, username)
    return json.loads(raw) if raw else None


def session_user(request: Request) -> dict[str, Any] | None:
    user = request.session.get("user")
    return user if isinstance(user, dict) else None


def start_session(request: Request, user: dict[str, Any]) -> None:
    """A fresh session for a user who proved who they are (new CSRF token: no fixation)."""
    locale = user.get("locale") or request.session.get("locale")
    request.session.clear()
    request.session["user"] = {
        "name": user["username"],
        "role": user["role"],
        "rep": user.get("rep"),
        "sv": int(user.get("sv", 0)),
    }
    request.session["csrf"] = secrets.token_urlsafe(24)
    if locale:
        request.session["locale"] = locale


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


# --- pages ---------------------------------------------------------------------------------------


def request_locale(request: Request, setting: str | None = None) -> str:
    """The user's (or display's) own setting, ``?lang=``, the session's choice, Accept-Language, the default."""
    chosen = setting or request.query_params.get("lang") or request.session.get("locale")
    return i18n.choose_locale(
        chosen, request.headers.get("accept-language", ""), request.app.state.arena.settings.locale
    )


def page(request: Request, name: str, status: int = 200, locale: str | None = None, **context: Any) -> HTMLResponse:
    """Render a template in the request's language with the session's user and CSRF token."""
    arena = request.app.state.arena
    locale = locale or request_locale(request)
    template = i18n.environment(locale).get_template(name)
    html = template.render(
        request=request,
        user=session_user(request),
        csrf=csrf_token(request),
        settings=arena.settings,
        currency=arena.settings.currency,
        timezone=arena.settings.timezone,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = locale
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def safe_next(value: str | None, default: str) -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirects after login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


# --- CSRF ----------------------------------------------------------------------------------------


class CsrfMiddleware:
    """Refuse cookie-authenticated unsafe requests without the session's CSRF token (or from a foreign
    Origin). Requests with a bearer key carry no ambient credentials and pass."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        has_cookie = f"{SESSION_COOKIE}=" in headers.get("cookie", "")
        if headers.get("authorization", "").lower().startswith("bearer ") or "token" in query or not has_cookie:
            await self.app(scope, receive, send)
            return
        origin = headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != headers.get("host", ""):
            await self._refuse(scope, receive, send, "cross-site request refused")
            return
        supplied = headers.get("x-csrf-token", "")
        replay: list[Message] = []
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if not supplied and content_type == "application/x-www-form-urlencoded":
            body = b""
            more = True
            while more:
                message = await receive()
                replay.append(message)
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_FORM_BYTES:
                    break
            supplied = (parse_qs(body.decode("utf-8", "replace")).get("csrf_token") or [""])[0]
        expected = (scope.get("session") or {}).get("csrf", "")
        if not expected or not supplied or not hmac.compare_digest(str(expected), supplied):
            await self._refuse(scope, receive, send, "the form expired or the CSRF token is missing: reload the page")
            return
        if replay:
            pending = list(replay)

            async def replayed() -> Message:
                return pending.pop(0) if pending else await receive()

            await self.app(scope, replayed, send)
        else:
            await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
        path = scope.get("path", "")
        response: Response
        if path.startswith("/api/") or "application/json" in Headers(scope=scope).get("accept", ""):
            response = JSONResponse({"error": message}, status_code=403)
        else:
            response = RedirectResponse(f"{path}?error=csrf", status_code=303)
        await response(scope, receive, send)


async def form_fields(request: Request) -> dict[str, str]:
    """An url-encoded form (the only kind our pages post), bounded, parsed with the standard library."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            break
    return {key: values[0] for key, values in parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace")).items()}


# --- login rate limits ---------------------------------------------------------------------------


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login_blocked_for(redis: Redis, ip: str, username: str) -> int:
    """Seconds until another attempt is allowed (0: go ahead)."""
    pipe = redis.pipeline(transaction=False)
    for kind, value in (("ip", ip), ("user", username.lower())):
        pipe.get(keys.login_failures(kind, value))
        pipe.ttl(keys.login_failures(kind, value))
    ip_count, ip_ttl, user_count, user_ttl = await pipe.execute()
    wait = 0
    if int(ip_count or 0) >= MAX_FAILURES_PER_IP:
        wait = max(wait, int(ip_ttl))
    if int(user_count or 0) >= MAX_FAILURES_PER_USER:
        wait = max(wait, int(user_ttl))
    return max(wait, 0)


async def record_failure(redis: Redis, ip: str, username: str) -> None:
    pipe = redis.pipeline(transaction=True)
    for kind, value in (("ip", ip), ("user", username.lower())):
        key = keys.login_failures(kind, value)
        pipe.set(key, 0, ex=LOGIN_WINDOW_SECONDS, nx=True)  # the window starts at the first failure
        pipe.incr(key)
    await pipe.execute()


async def authenticate(redis: Redis, username: str, password: str) -> dict[str, Any] | None:
    user = await load_user(redis, username)
    stored = user.get("password", "") if user else "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"
    # scrypt is deliberately slow: keep it off the event loop, and spend it even for unknown users.
    valid = await asyncio.to_thread(verify_password, password, stored)
    if not valid or user is None or user.get("active") is False:
        return None
    return user


# --- one-time sign-in links ----------------------------------------------------------------------


async def create_signin_link(redis: Redis, username: str) -> tuple[str, datetime]:
    token = new_token("sl")
    await redis.set(keys.signin_link(token_digest(token)), username, ex=SIGNIN_LINK_SECONDS)
    return token, datetime.now(UTC) + timedelta(seconds=SIGNIN_LINK_SECONDS)


async def consume_signin_link(redis: Redis, token: str) -> str | None:
    if not token or len(token) > 128:
        return None
    value = await redis.getdel(keys.signin_link(token_digest(token)))
    return value.decode() if isinstance(value, bytes) else value


# --- routes --------------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    user = session_user(request)
    if user and request.query_params.get("switch") is None:
        return RedirectResponse(HOME.get(user["role"], "/"), status_code=303)
    error = {"csrf": "expired"}.get(request.query_params.get("error", ""), "")
    return page(request, "login.html", next=request.query_params.get("next", ""), error=error, username="")


async def login(request: Request) -> Response:
    arena = request.app.state.arena
    form = await form_fields(request)
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:256]
    next_path = str(form.get("next", ""))
    ip = client_ip(request)
    wait = await login_blocked_for(arena.redis, ip, username)
    if wait:
        return page(
            request,
            "login.html",
            status=429,
            next=next_path,
            error="locked",
            wait_minutes=-(-wait // 60),
            username=username,
        )
    user = await authenticate(arena.redis, username, password) if username and password else None
    if user is None:
        await record_failure(arena.redis, ip, username)
        return page(request, "login.html", status=401, next=next_path, error="invalid", username=username)
    await arena.redis.delete(keys.login_failures("user", username.lower()))
    start_session(request, user)
    return RedirectResponse(safe_next(next_path, HOME.get(user["role"], "/")), status_code=303)


async def logout(request: Request) -> Response:
    locale = request.session.get("locale")
    request.session.clear()
    if locale:
        request.session["locale"] = locale
    return RedirectResponse("/login", status_code=303)


async def signin_page(request: Request) -> Response:
    """A link opened from a chat app: confirm with a tap (link previews must not use up the token)."""
    error = request.query_params.get("error", "")
    return page(request, "signin.html", token=request.path_params["token"], error=error)


async def signin(request: Request) -> Response:
    arena = request.app.state.arena
    username = await consume_signin_link(arena.redis, request.path_params["token"])
    user = await load_user(arena.redis, username) if username else None
    if user is None or user.get("active") is False:
        return page(request, "signin.html", status=410, token="", error="used")
    start_session(request, user)
    return RedirectResponse(HOME.get(user["role"], "/"), status_code=303)


async def set_locale(request: Request) -> Response:
    """The language switch: kept in the session, and on the user's record when signed in."""
    form = await form_fields(request)
    locale = i18n.normalize(str(form.get("locale", "")))
    if locale:
        request.session["locale"] = locale
        user = session_user(request)
        if user:
            redis = request.app.state.arena.redis
            record = await load_user(redis, user["name"])
            if record is not None:
                record["locale"] = locale
                await redis.hset(keys.USERS, user["name"], json.dumps(record, ensure_ascii=False))
    return RedirectResponse(safe_next(str(form.get("next", "")), "/"), status_code=303)


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/signin/{token}", signin_page, methods=["GET"]),
    Route("/signin/{token}", signin, methods=["POST"]),
    Route("/locale", set_locale, methods=["POST"]),
]
