"""Single sign-on pages: ``/sso/<provider>`` sends the browser to the provider, ``/sso/<provider>/callback``
takes it back, starts the same signed session a password gives (``start_session``) or shows why not.

Nothing here logs a code, a token or a secret: only the provider and the reason."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.auth import sso
from server.auth.login import client_ip
from server.auth.sessions import HOME, safe_next, start_session
from server.auth.sso_accounts import Refused
from server.auth.sso_providers import Provider, SsoError
from server.http import arena_of
from server.web.render import page

log = logging.getLogger("arena.sso")

# The refusal page's status by reason: the person is known at the provider but not here (403), or the
# sign-on itself did not hold (400: a forged or stale state, a code the provider would not take, a bad token).
REFUSAL_STATUS = {
    "busy": 429,
    "unlinked": 403,
    "no_role": 403,
    "inactive": 403,
    "conflict": 403,
    "expired": 400,
    "failed": 400,
}


def provider_of(request: Request) -> Provider | None:
    config = arena_of(request).settings.sso
    return sso.providers(config).get(request.path_params["provider"]) if config.enabled else None


def buttons(request: Request) -> list[tuple[str, str]]:
    """The sign-on buttons of the login page: (provider, the operator's label or "" for the provider's name)."""
    config = arena_of(request).settings.sso
    return [(name, provider.label()) for name, provider in sso.providers(config).items()] if config.enabled else []


def refused(request: Request, provider: str, reason: str, status: int | None = None) -> Response:
    status = status or REFUSAL_STATUS[reason]
    return page(request, "sso_refused.html", status=status, reason=reason, provider=provider)


async def sso_start(request: Request) -> Response:
    provider = provider_of(request)
    if provider is None:
        return refused(request, "", "failed", status=404)  # not a provider this server is configured for
    arena = arena_of(request)
    try:
        url = await sso.start(
            arena.accounts,
            request.session,
            provider,
            base_url=arena.settings.base_url,
            next_path=safe_next(request.query_params.get("next"), ""),
            allow_private=arena.settings.outbound_allow_private,
            ip=client_ip(request),
        )
    except sso.TooManyStarts:
        log.warning("single sign-on with %s: too many started from one address", provider.name)
        return refused(request, provider.name, "busy")
    except SsoError as exc:
        log.warning("single sign-on with %s could not start: %s", provider.name, exc)
        return refused(request, provider.name, "failed")
    return RedirectResponse(url, status_code=303)


async def sso_callback(request: Request) -> Response:
    provider = provider_of(request)
    if provider is None:
        return refused(request, "", "failed", status=404)  # not a provider this server is configured for
    arena = arena_of(request)
    params = request.query_params
    if params.get("error"):  # the person declined, or the provider would not ask them
        request.session.pop(sso.SESSION_KEY, None)
        log.info("single sign-on with %s declined at the provider", provider.name)
        return refused(request, provider.name, "failed")
    try:
        finished = await sso.finish(
            arena.accounts,
            arena.accounts,
            (await arena.registry.current()).directory,
            request.session,
            provider,
            arena.settings.sso,
            state=params.get("state", ""),
            code=params.get("code") or params.get("authCode") or "",  # DingTalk names it authCode
            base_url=arena.settings.base_url,
            allow_private=arena.settings.outbound_allow_private,
        )
    except SsoError as exc:
        log.warning("single sign-on with %s failed: %s", provider.name, exc)
        return refused(request, provider.name, "expired" if str(exc).startswith("state") else "failed")
    except Refused as exc:
        log.info("single sign-on with %s refused: %s", provider.name, exc.reason)
        return refused(request, provider.name, exc.reason)
    record = finished.record
    start_session(request, record)
    log.info("single sign-on with %s: %s signed in as %s", provider.name, record["username"], record["role"])
    return RedirectResponse(safe_next(finished.next_path, HOME.get(record["role"], "/")), status_code=303)


routes = [
    Route("/sso/{provider}", sso_start, methods=["GET"]),
    Route("/sso/{provider}/callback", sso_callback, methods=["GET"]),
]
