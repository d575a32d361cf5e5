"""Pages in the visitor's language: the locale a request asks for, and a template rendered with the session's
user and CSRF token and the headers every page carries."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from server.auth.sessions import csrf_token, session_user
from server.http import arena_of
from server.i18n import catalogs as i18n


def request_locale(request: Request, setting: str | None = None) -> str:
    """The user's (or display's) own setting, ``?lang=``, the session's choice, Accept-Language, the default."""
    chosen = setting or request.query_params.get("lang") or request.session.get("locale")
    return i18n.choose_locale(chosen, request.headers.get("accept-language", ""), arena_of(request).settings.locale)


def page(request: Request, name: str, status: int = 200, locale: str | None = None, **context: Any) -> HTMLResponse:
    """Render a template in the request's language with the session's user and CSRF token."""
    arena = arena_of(request)
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
