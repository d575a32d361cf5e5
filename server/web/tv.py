"""The office TV (``/tv/<display token>``): public by token, no login — the token in its URL is the key.

The page is a shell; everything on it arrives over the websocket. ``/tv/<token>/config.json`` lets a TV
notice a changed playlist (it reloads) or a revoked token (it says so) without anyone touching it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from game.badges.definitions import BadgeDefinition
from game.badges.meaning import meaning
from game.contests import Contest, Prize
from server.auth.secrets import token_digest
from server.auth.sessions import session_user
from server.http import arena_of
from server.i18n import rules_text
from server.i18n.catalogs import WEB_DIR, format_money, gettext_for
from server.services.boards import parse_board
from server.services.brand import tv_style
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
        "quiet_hours": document.get("quiet_hours"),
        "teams": teams,
    }


def prize_text(prize: Prize, tr: Any) -> str:
    """One prize in words: who wins it, then what it is ("第 2–3 名：¥2,000 奖金")."""
    if prize.threshold is not None:
        who = tr.gettext("Everyone with {n}+ points").format(n=prize.threshold)
    elif prize.rank_from is not None and prize.rank_to not in (None, prize.rank_from):
        who = tr.gettext("Places {a}–{b}").format(a=prize.rank_from, b=prize.rank_to)
    else:
        who = tr.gettext("Place {a}").format(a=prize.rank_from or 1)
    if prize.board == "teams":
        who = tr.gettext("{who} (team)").format(who=who)
    return tr.gettext("{who}: {prize}").format(who=who, prize=prize.prize)


def contest_facts(contest: Contest, locale: str) -> dict[str, Any]:
    """What a TV shows before a contest starts: its rules in one sentence and its prizes."""
    tr = gettext_for(locale)
    return {
        "rules": rules_text.summary(contest.definition, locale, contest.currency),
        "prizes": [prize_text(p, tr) for p in contest.prizes],
    }


async def _contests(request: Request, slides: list[dict[str, Any]], locale: str) -> dict[str, dict[str, Any]]:
    snapshot = await arena_of(request).registry.current()
    facts: dict[str, dict[str, Any]] = {}
    for slide in slides:
        spec = parse_board(slide["board"]) if slide["board"] else None
        contest = snapshot.contests.get(spec.contest_id) if spec is not None and spec.kind == "contest" else None
        if contest is not None:
            facts[contest.id] = contest_facts(contest, locale)
    return facts


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
    settings["version"] += await _brand_stamp(request, document)
    settings["contests"] = await _contests(request, settings["slides"], locale)
    arena = arena_of(request)
    badges: dict[str, dict[str, str]] = {}
    if any(slide.get("kind") == "badges" for slide in settings["slides"]):  # what a display may read: docs/ui.md
        badges = badge_catalog((await arena.registry.current()).badges, locale, arena.settings.currency)
    brand = await _brand(request, document, token)
    return page(
        request, "tv.html", locale=locale, token=token, display=document, tv=settings, badges=badges, brand=brand
    )


async def _brand_stamp(request: Request, document: dict[str, Any]) -> str:
    """A branded TV reloads when the brand changes, as it does when its own settings change."""
    if not document.get("brand"):
        return ""
    stored = await arena_of(request).brand.get()
    return "|{}|{}|{}".format(stored.get("logo") or "", stored.get("accent") or "", stored.get("background") or "")


async def _brand(request: Request, document: dict[str, Any], token: str) -> dict[str, Any] | None:
    """A branded display's logo (served by us, under the TV's token) and colours (checked when they were set)."""
    if not document.get("brand"):
        return None
    stored = await arena_of(request).brand.get()
    digest = stored.get("logo") or ""
    logo = f"/api/v1/org/logo/{digest}?token={quote(token)}" if digest else None
    return {"logo": logo, "style": tv_style(stored.get("accent"), stored.get("background"))}


async def tv_config(request: Request) -> Response:
    document = await _display(request, request.path_params["token"])
    if document is None:
        return JSONResponse({"error": "unknown or revoked display"}, status_code=404)
    settings = _tv_settings(document, await _teams(request))
    settings["version"] += await _brand_stamp(request, document)
    response = JSONResponse(settings)
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
