"""One sign-on flow for every provider (``server.auth.sso_providers``): start, then finish when the provider
sends the browser back.

Start: a random ``state`` goes to the provider; the state's digest keys what only the server keeps (the
provider, the OIDC ``nonce``, the PKCE verifier, where to go next) in Redis for ``STATE_SECONDS``, and the
state itself is kept in the browser's signed session too. Finish: the state must be the session's and still in
Redis, and taking it from Redis ends it, so a forged, replayed or another browser's state is refused before any
code is exchanged. The redirect URI is always ``ARENA_PUBLIC_URL`` + ``/sso/<provider>/callback``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from functools import cache
from typing import Any

from authlib.common.security import generate_token

from game.directory import Directory
from server.auth.secrets import token_digest
from server.auth.sso_accounts import UserRecords, enterprise_account, oidc_account
from server.auth.sso_providers import ENTERPRISE_PROVIDERS, OidcProvider, Provider, SsoError, Started
from server.auth.store import IdentityStore
from server.outbound import OutboundClient
from server.sso_config import SsoConfig

STATE_SECONDS = 10 * 60
# Each start keeps a state in Redis until it is used or expires: an address may start this many per window (an
# office behind one NAT signing on in the morning stays well under it), so no one fills Redis with states.
MAX_STARTS_PER_IP = 1000
SESSION_KEY = "sso_state"
OUTBOUND_BUDGET_SECONDS = 8.0


@cache
def providers(config: SsoConfig) -> dict[str, Provider]:
    """The configured providers by name, built once per configuration (OIDC keeps its discovery and JWKS)."""
    found: dict[str, Provider] = {}
    if config.oidc is not None:
        found["oidc"] = OidcProvider(config.oidc)
    for enterprise in config.enterprise:
        found[enterprise.provider] = ENTERPRISE_PROVIDERS[enterprise.provider](enterprise)
    return found


def redirect_uri(base_url: str, provider: str) -> str:
    return f"{base_url}/sso/{provider}/callback"


def outbound(allow_private: bool) -> OutboundClient:
    return OutboundClient(allow_private=allow_private, attempts=2, budget=OUTBOUND_BUDGET_SECONDS)


class TooManyStarts(Exception):
    """The address started more sign-ons than ``MAX_STARTS_PER_IP`` in ``STATE_SECONDS``."""


@dataclass(frozen=True)
class Finished:
    record: dict[str, Any]
    next_path: str


async def start(
    identities: IdentityStore,
    session: dict[str, Any],
    provider: Provider,
    *,
    base_url: str,
    next_path: str,
    allow_private: bool,
    ip: str,
) -> str:
    """The provider's authorize URL for this browser; what proves the answer is kept server-side."""
    if await identities.count_sso_start(ip, STATE_SECONDS) > MAX_STARTS_PER_IP:
        raise TooManyStarts(ip)
    started = Started(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64))
    async with outbound(allow_private) as client:
        url = await provider.authorize_url(client, started, redirect_uri(base_url, provider.name))
    kept = {"provider": provider.name, "nonce": started.nonce, "verifier": started.verifier, "next": next_path}
    await identities.keep_sso_state(token_digest(started.state), kept, STATE_SECONDS)
    session[SESSION_KEY] = started.state
    return url


async def finish(
    identities: IdentityStore,
    accounts: UserRecords,
    directory: Directory,
    session: dict[str, Any],
    provider: Provider,
    config: SsoConfig,
    *,
    state: str,
    code: str,
    base_url: str,
    allow_private: bool,
) -> Finished:
    """The user record to start a session for; ``SsoError`` (state, code or token) or ``Refused`` (mapping)."""
    expected = session.pop(SESSION_KEY, None)
    if (
        not state
        or len(state) > 256
        or not isinstance(expected, str)
        or not hmac.compare_digest(state.encode(), expected.encode())
    ):
        raise SsoError("state: not the one this browser was given")
    kept = await identities.take_sso_state(token_digest(state))
    if kept is None or kept.get("provider") != provider.name:
        raise SsoError("state: unknown, used or expired")
    if not code or len(code) > 2048:
        raise SsoError("callback: no code")
    started = Started(state=state, nonce=kept["nonce"], verifier=kept["verifier"])
    async with outbound(allow_private) as client:
        identity = await provider.identify(client, code, started, redirect_uri(base_url, provider.name))
    if provider.name == "oidc":
        assert config.oidc is not None
        record = await oidc_account(accounts, directory, identity, config.oidc)
    else:
        record = await enterprise_account(accounts, directory, identity)
    return Finished(record=record, next_path=str(kept.get("next") or ""))
