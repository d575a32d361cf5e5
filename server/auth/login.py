"""Proving who you are: password checks (scrypt, off the event loop, as slow for unknown users), login rate
limits per address and per user, and one-time sign-in links sent to a rep's chat app."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from starlette.requests import Request

from game import keys
from server.auth.secrets import new_token, token_digest, verify_password
from server.auth.sessions import load_user

LOGIN_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_USER = 10
MAX_FAILURES_PER_IP = 30
SIGNIN_LINK_SECONDS = 15 * 60


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login_blocked_for(redis: Redis, ip: str, username: str) -> int:
    """Seconds until another attempt is allowed (0: go ahead)."""
    pipe = redis.pipeline(transaction=False)
    for kind, value in (("ip", ip), ("user", username.lower())):
        pipe.get(keys.login_failures(kind, value))
        pipe.ttl(keys.login_failures(kind, value))
    ip_count, ip_ttl, user_count, user_ttl = await pipe.execute()
    wait = 0
    if int(ip_count or 0) >= MAX_FAILURES_PER_IP:
        wait = max(wait, int(ip_ttl))
    if int(user_count or 0) >= MAX_FAILURES_PER_USER:
        wait = max(wait, int(user_ttl))
    return max(wait, 0)


async def record_failure(redis: Redis, ip: str, username: str) -> None:
    pipe = redis.pipeline(transaction=True)
    for kind, value in (("ip", ip), ("user", username.lower())):
        key = keys.login_failures(kind, value)
        pipe.set(key, 0, ex=LOGIN_WINDOW_SECONDS, nx=True)  # the window starts at the first failure
        pipe.incr(key)
    await pipe.execute()


async def authenticate(redis: Redis, username: str, password: str) -> dict[str, Any] | None:
    user = await load_user(redis, username)
    stored = user.get("password", "") if user else "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA"
    # scrypt is deliberately slow: keep it off the event loop, and spend it even for unknown users.
    valid = await asyncio.to_thread(verify_password, password, stored)
    if not valid or user is None or user.get("active") is False:
        return None
    return user


async def create_signin_link(redis: Redis, username: str) -> tuple[str, datetime]:
    token = new_token("sl")
    await redis.set(keys.signin_link(token_digest(token)), username, ex=SIGNIN_LINK_SECONDS)
    return token, datetime.now(UTC) + timedelta(seconds=SIGNIN_LINK_SECONDS)


async def consume_signin_link(redis: Redis, token: str) -> str | None:
    if not token or len(token) > 128:
        return None
    value = await redis.getdel(keys.signin_link(token_digest(token)))
    return value.decode() if isinstance(value, bytes) else value
