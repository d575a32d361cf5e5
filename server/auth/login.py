"""Proving who you are: password checks (scrypt, off the event loop, as slow for unknown users), login rate
limits per address and per user, and one-time sign-in links sent to a rep's chat app."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request

from server.auth.secrets import new_token, token_digest, verify_password
from server.auth.store import IdentityStore

LOGIN_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_USER = 10
MAX_FAILURES_PER_IP = 30
SIGNIN_LINK_SECONDS = 15 * 60


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login_blocked_for(identities: IdentityStore, ip: str, username: str) -> int:
    """Seconds until another attempt is allowed (0: go ahead)."""
    (ip_count, ip_ttl), (user_count, user_ttl) = await identities.login_failures(ip, username)
    wait = 0
    if ip_count >= MAX_FAILURES_PER_IP:
        wait = max(wait, ip_ttl)
    if user_count >= MAX_FAILURES_PER_USER:
        wait = max(wait, user_ttl)
    return max(wait, 0)


async def record_failure(identities: IdentityStore, ip: str, username: str) -> None:
    await identities.count_login_failure(ip, username, LOGIN_WINDOW_SECONDS)


async def authenticate(identities: IdentityStore, username: str, password: str) -> dict[str, Any] | None:
    user = await identities.user(username)
    stored = user.get("password", "") if user else "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"
    # scrypt is deliberately slow: keep it off the event loop, and spend it even for unknown users.
    valid = await asyncio.to_thread(verify_password, password, stored)
    if not valid or user is None or user.get("active") is False:
        return None
    if user.get("sso"):  # signs in through its identity provider only, which can take the person away
        return None
    return user


async def create_signin_link(identities: IdentityStore, username: str) -> tuple[str, datetime]:
    token = new_token("sl")
    await identities.keep_signin_link(token_digest(token), username, SIGNIN_LINK_SECONDS)
    return token, datetime.now(UTC) + timedelta(seconds=SIGNIN_LINK_SECONDS)


async def consume_signin_link(identities: IdentityStore, token: str) -> str | None:
    if not token or len(token) > 128:
        return None
    return await identities.take_signin_link(token_digest(token))
