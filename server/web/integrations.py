"""Console pages for what connects the arena to other systems: CRM connectors (``/admin/connectors``) and chat
notification channels (``/admin/channels``). Administrators only, as the APIs they call.

The pages are shells: their scripts read and change everything through the JSON API with the session's
CSRF token, so a page can do nothing the API would not allow the same user. What the forms offer (each
CRM's settings, the chat apps) is read from the integrations and the notifications themselves.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.integrations.connectors import SPECS
from server.notifications.channels import EVENTS, SIGNED, TYPES
from server.web.console import console_context, console_user
from server.web.render import page

CONNECTOR_CHOICES = ("generic", "fxiaoke", "hubspot", "salesforce", "pipedrive", "zoho")
# Per CRM, the settings its form asks for as (name, kind, required).
CONNECTOR_FIELDS = {kind: [(f.name, f.kind, f.required) for f in specs] for kind, specs in SPECS.items()}


async def _admin_page(request: Request, template: str, section: str, **extra: Any) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    if principal.role != "admin":
        return RedirectResponse("/admin", status_code=303)
    context = await console_context(request, principal)
    return page(request, template, section=section, **extra, **context)


async def connectors_page(request: Request) -> Response:
    return await _admin_page(
        request, "console/connectors.html", "connectors", choices=CONNECTOR_CHOICES, fields=CONNECTOR_FIELDS
    )


async def channels_page(request: Request) -> Response:
    return await _admin_page(
        request, "console/channels.html", "channels", chat_types=TYPES, signed=list(SIGNED), chat_events=EVENTS
    )


routes = [
    Route("/admin/connectors", connectors_page, methods=["GET"]),
    Route("/admin/channels", channels_page, methods=["GET"]),
]
