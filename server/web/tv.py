"""The office TV (``/tv/<display token>``): public by token, no login — the token in its URL is the key.

The page is a shell; everything on it arrives over the websocket. ``/tv/<token>/config.json`` lets a TV
notice a changed playlist (it reloads) or a revoked token (it says so) without anyone touching it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from game.badges.definitions import BadgeDefinition
from game.badges.meaning import meaning
from server.auth.secrets import token_digest
from server.auth.sessions import session_user
from server.http import arena_of
from server.i18n.catalogs import WEB_DIR, format_money
from server.services.displays import slides_of
from server.web.render import page, request_locale


async def _display(request: Request, token: str) -> dict[str, Any] | None:
    """The display a token opens (None when unknown or revoked)."""
    if not token or len(token) > 256:
        return None
    return await arena_of(request).displays.by_token(token_digest(token))


async def _teams(request: Request) -> dict[str, dict[str, str]]:
    directory = (await arena_of(request).registry.current()).directory
    return {t.id: {"name": t.name, "color": t.color} for t in directory.teams.values()}


def _tv_settings(document: dict[str, Any], teams: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {
        "version": document.get("updated_at") or "",
        "slides": slides_of(document),
        "sound": bool(document.get("sound", False)),
        "big_deal": document.get("big_deal"),
        "teams": teams,
    }


def badge_catalog(badges: list[BadgeDefinition], locale: str, currency: str) -> dict[str, dict[str, str]]:
    """Each badge's kind (its icon on the wall) and what earns it, in the display's language."""

    def money(amount: Decimal) -> str:
        return format_money(amount, currency, locale)

    return {b.id: {"kind": b.kind, "meaning": meaning(b, locale, money)} for b in badges}


async def tv(request: Request) -> Response:
    token = request.path_params.get("token") or request.query_params.get("token") or ""
    document = await _display(request, token)
    if document is None:
        return page(request, "tv_unknown.html", status=404)
    locale = request_locale(request, document.get("locale"))
    settings = _tv_settings(document, await _teams(request))
    arena = arena_of(request)
    badges: dict[str, dict[str, str]] = {}
    if any(slide.get("kind") == "badges" for slide in settings["slides"]):  # what a display may read: docs/ui.md
        badges = badge_catalog((await arena.registry.current()).badges, locale, arena.settings.currency)
    return page(request, "tv.html", locale=locale, token=token, display=document, tv=settings, badges=badges)


async def tv_config(request: Request) -> Response:
    document = await _display(request, request.path_params["token"])
    if document is None:
        return JSONResponse({"error": "unknown or revoked display"}, status_code=404)
    response = JSONResponse(_tv_settings(document, await _teams(request)))
    response.headers["Cache-Control"] = "no-store"
    return response


async def home(request: Request) -> Response:
    user = session_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/m" if user["role"] == "rep" else "/admin", status_code=303)


async def favicon(request: Request) -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/favicon.ico", favicon, methods=["GET"]),
    Route("/tv", tv, methods=["GET"]),
    Route("/tv/{token}", tv, methods=["GET"]),
    Route("/tv/{token}/config.json", tv_config, methods=["GET"]),
    Mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static"),
]
