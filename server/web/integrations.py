"""Console pages for what connects the arena to other systems: CRM connectors (``/admin/connectors``) and chat
notification channels (``/admin/channels``). Administrators only, as the APIs they call.

The pages are shells: their scripts read and change everything through the JSON API with the session's
CSRF token, so a page can do nothing the API would not allow the same user. What the forms offer (each
CRM's settings, the chat apps) comes from the integrations themselves, handed in by ``server/web/routes.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.web.console import _console_user, _context
from server.web.render import page

# The connector form offers 纷享销客 (Fxiaoke) by name: its event subscriptions use the generic signed webhook.
CONNECTOR_CHOICES = ("generic", "fxiaoke", "hubspot", "salesforce", "pipedrive", "zoho")


@dataclass(frozen=True)
class Forms:
    """What the forms offer: per CRM its settings as (name, kind, required); the chat apps, those that sign,
    and what a channel may announce."""

    connector_fields: Mapping[str, Sequence[tuple[str, str, bool]]]
    chat_types: Sequence[str]
    signed: Sequence[str]
    chat_events: Sequence[str]


async def _admin_page(request: Request, template: str, section: str, **extra: Any) -> Response:
    principal = await _console_user(request)
    if isinstance(principal, Response):
        return principal
    if principal.role != "admin":
        return RedirectResponse("/admin", status_code=303)
    context = await _context(request, principal)
    return page(request, template, section=section, **extra, **context)


def routes(forms: Forms) -> list[Route]:
    async def connectors_page(request: Request) -> Response:
        return await _admin_page(
            request, "console/connectors.html", "connectors", choices=CONNECTOR_CHOICES, fields=forms.connector_fields
        )

    async def channels_page(request: Request) -> Response:
        return await _admin_page(
            request,
            "console/channels.html",
            "channels",
            chat_types=forms.chat_types,
            signed=list(forms.signed),
            chat_events=forms.chat_events,
        )

    return [
        Route("/admin/connectors", connectors_page, methods=["GET"]),
        Route("/admin/channels", channels_page, methods=["GET"]),
    ]
