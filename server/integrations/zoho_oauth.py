"""Zoho access tokens: a fixed one, or one bought with the connector's refresh token and kept until it expires.

Zoho access tokens live an hour. With ``refresh_token``, ``client_id`` and ``client_secret`` the connector
asks ``{accounts_url}/oauth/v2/token`` for a new one when it has none, keeps it (sealed) in the integrations'
store for all processes until five minutes before it expires, and asks again when the CRM API says a token
is invalid. Zoho limits how often a refresh token may be used, so only one process asks at a time (a short
claim in the store); the others wait for its answer.
"""

from __future__ import annotations

import asyncio
import logging

from server.integrations.connectors import Connector
from server.integrations.sealing import SealError, seal, unseal
from server.integrations.store import IntegrationStore
from server.outbound import OutboundClient, OutboundError

log = logging.getLogger("arena.integrations.zoho")
EARLY_SECONDS = 300  # a token is renewed this long before Zoho's expiry
MIN_KEEP_SECONDS = 60
REFRESH_LOCK_MS = 10_000
WAIT_FOR_OTHER_SECONDS = 3.0
CACHE_CONTEXT = "cached/access_token"


def refreshes(connector: Connector) -> bool:
    return "refresh_token" in connector.sealed


async def access_token(
    store: IntegrationStore,
    connector: Connector,
    client: OutboundClient,
    secret_key: str,
    *,
    stale: str | None = None,
) -> str:
    """The token to send. ``stale``: the one the CRM just refused, so a fresh one is needed."""
    if not refreshes(connector):
        return connector.secret("access_token", secret_key)
    cached = await _cached(store, connector, secret_key)
    if cached is not None and cached != stale:
        return cached
    if not await store.claim_token_refresh(connector.id, REFRESH_LOCK_MS):
        return await _wait_for_other(store, connector, secret_key, stale)
    try:
        return await _refresh(store, connector, client, secret_key)
    finally:
        await store.end_token_refresh(connector.id)


async def _cached(store: IntegrationStore, connector: Connector, secret_key: str) -> str | None:
    sealed = await store.cached_access_token(connector.id)
    if sealed is None:
        return None
    try:
        return unseal(sealed, secret_key=secret_key, context=f"{connector.id}/{CACHE_CONTEXT}")
    except SealError:
        return None  # sealed under an older secret key: buy a new one


async def _wait_for_other(store: IntegrationStore, connector: Connector, secret_key: str, stale: str | None) -> str:
    """Another process is refreshing: its token lands in the cache shortly."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_FOR_OTHER_SECONDS
    while loop.time() < deadline:
        await asyncio.sleep(0.1)
        cached = await _cached(store, connector, secret_key)
        if cached is not None and cached != stale:
            return cached
    raise OutboundError("Zoho token refresh by another process did not finish in time")


async def _refresh(store: IntegrationStore, connector: Connector, client: OutboundClient, secret_key: str) -> str:
    accounts_url = connector.settings.get("accounts_url", "https://accounts.zoho.com")
    answer = await client.post_form(
        f"{accounts_url}/oauth/v2/token",
        form={
            "grant_type": "refresh_token",
            "refresh_token": connector.secret("refresh_token", secret_key),
            "client_id": str(connector.settings.get("client_id", "")),
            "client_secret": connector.secret("client_secret", secret_key),
        },
    )
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(answer, dict) or not isinstance(token, str) or not token:
        reason = answer.get("error", "no access_token") if isinstance(answer, dict) else "no answer"
        log.warning("zoho %s: token refresh refused: %s", connector.id, reason)
        raise OutboundError(f"Zoho refused the token refresh: {reason}")
    try:
        lifetime = int(answer.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600
    sealed = seal(token, secret_key=secret_key, context=f"{connector.id}/{CACHE_CONTEXT}")
    await store.keep_access_token(connector.id, sealed, max(MIN_KEEP_SECONDS, lifetime - EARLY_SECONDS))
    return token
