"""People signed in with a browser: Starlette's signed session cookie (``arena_session``) holding ``{"user":
{name, role, rep, sv}, "csrf", "locale"}``. ``server.auth.principals.principal_for`` checks the user against
its record (``server.auth.store``) on every request, so a deactivated user or a changed password (``sv`` moves
on) ends every session at once. Login and sign-in links are ``server.auth.login``; the pages that use them
``server.web.signin``.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request

SESSION_COOKIE = "arena_session"
SESSION_MAX_AGE = 14 * 24 * 3600
HOME = {"admin": "/admin", "manager": "/admin", "rep": "/m"}


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


def safe_next(value: str | None, default: str) -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirects after login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
