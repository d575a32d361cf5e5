"""The badges page (``/admin/badges``): every badge definition with its icon, what earns it and how many reps
hold it; an admin defines a new one or changes one within the kinds, sees who would hold it now before
saving, and retires (or restores) one. Every change goes through ``PUT /api/v1/badges/{id}``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.badges.definitions import CLOSING_KINDS, LIVE_KINDS, PERIODS, parse_badge
from game.badges.meaning import meaning
from game.errors import ValidationError
from server.http import arena_of
from server.i18n.catalogs import format_money
from server.services.badge_preview import holders_per_badge
from server.web.console import console_context, console_user
from server.web.render import page, request_locale


def _row(document: dict[str, Any], locale: str, currency: str, holders: dict[str, int]) -> dict[str, Any]:
    try:
        definition = parse_badge(document)
    except ValidationError:
        definition = None
    names = document.get("name") or {}
    return {
        "id": document.get("id"),
        "kind": document.get("kind"),
        "name": names.get("zh-CN" if locale.startswith("zh") else "en") or document.get("id"),
        "meaning": meaning(definition, locale, lambda amount: format_money(amount, currency, locale))
        if definition
        else "",
        "holders": holders.get(str(document.get("id")), 0),
        "retired": bool(document.get("disabled")),
        "document": {k: (str(v) if isinstance(v, Decimal) else v) for k, v in document.items()},
    }


async def badges_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    arena = arena_of(request)
    locale = request_locale(request)
    holders = await holders_per_badge(arena)
    documents = await arena.registry.badge_documents()
    rows = sorted(
        (_row(d, locale, arena.settings.currency, holders) for d in documents),
        key=lambda r: (
            r["retired"],
            (LIVE_KINDS + CLOSING_KINDS).index(r["kind"]) if r["kind"] in LIVE_KINDS + CLOSING_KINDS else 99,
            str(r["id"]),
        ),
    )
    return page(
        request,
        "console/badges.html",
        section="badges",
        badges=rows,
        live_kinds=LIVE_KINDS,
        closing_kinds=CLOSING_KINDS,
        periods=PERIODS,
        editable=principal.role == "admin",
        **context,
    )


routes = [Route("/admin/badges", badges_page, methods=["GET"])]
