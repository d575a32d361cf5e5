"""Signing in and out with a browser: the login form, one-time sign-in links (a tap confirms, so a chat app's
link preview cannot use the token up), logout, and the language switch."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.auth.csrf import form_fields
from server.auth.login import client_ip
from server.auth.sessions import HOME, safe_next, session_user, start_session
from server.http import arena_of
from server.i18n import catalogs as i18n
from server.web.render import page
from server.web.sso import buttons


async def login_page(request: Request) -> Response:
    user = session_user(request)
    if user and request.query_params.get("switch") is None:
        return RedirectResponse(HOME.get(user["role"], "/"), status_code=303)
    error = {"csrf": "expired"}.get(request.query_params.get("error", ""), "")
    next_path = request.query_params.get("next", "")
    return page(request, "login.html", next=next_path, error=error, username="", sso=buttons(request))


async def login(request: Request) -> Response:
    arena = arena_of(request)
    form = await form_fields(request)
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:256]
    next_path = str(form.get("next", ""))
    ip = client_ip(request)
    wait = await arena.accounts.login_blocked_for(ip, username)
    if wait:
        return page(
            request,
            "login.html",
            status=429,
            next=next_path,
            error="locked",
            wait_minutes=-(-wait // 60),
            username=username,
            sso=buttons(request),
        )
    user = await arena.accounts.authenticate(username, password) if username and password else None
    if user is None:
        await arena.accounts.record_login_failure(ip, username)
        return page(
            request, "login.html", status=401, next=next_path, error="invalid", username=username, sso=buttons(request)
        )
    await arena.accounts.forget_login_failures(username)
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
    arena = arena_of(request)
    username = await arena.accounts.consume_signin_link(request.path_params["token"])
    user = await arena.accounts.user(username) if username else None
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
            accounts = arena_of(request).accounts
            record = await accounts.user(user["name"])
            if record is not None:
                record["locale"] = locale
                await accounts.save_user(record)
    return RedirectResponse(safe_next(str(form.get("next", "")), "/"), status_code=303)


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/signin/{token}", signin_page, methods=["GET"]),
    Route("/signin/{token}", signin, methods=["POST"]),
    Route("/locale", set_locale, methods=["POST"]),
]
