"""Redis edge of who is asking: the records ``server.auth`` reads to name a caller (users, API keys and
display tokens by digest) and the short-lived ones it keeps while people sign in (login failures, sign-in
links). Deciding — which principal, whether a password matches, when to stop guessing — stays in
``principals.py`` and ``login.py``; this store only reads and keeps.

It sits in ``server/auth`` because auth stands below the services: the services' ``AccountStore``
(``server/services/account_store.py``) builds on it to manage the same records, never the other way round.
Every key is built by ``game/keys.py`` under the ``{auth}`` tag.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from game import keys

MAX_USERNAME = 64

# Failures counted in the current window, and the seconds until it ends (negative: no window running).
FailureCount = tuple[int, int]


class IdentityStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    # --- who is asking --------------------------------------------------------------------------------

    async def user(self, username: str) -> dict[str, Any] | None:
        """A console user's record (see ``AccountStore``), or None for a name no user has."""
        if not username or len(username) > MAX_USERNAME:
            return None
        raw = await self.redis.hget(keys.USERS, username)
        return json.loads(raw) if raw else None

    async def token_holder(self, digest: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Whose token has this digest: the API key's record, else the display its token was issued to
        (whether the display still holds that token is the caller's check); (None, None) for neither."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(keys.API_KEYS, digest)
        pipe.hget(keys.DISPLAY_TOKENS, digest)
        api_key, display_id = await pipe.execute()
        if api_key:
            return json.loads(api_key), None
        if display_id:
            raw = await self.redis.hget(keys.DISPLAYS, display_id)
            if raw:
                return None, json.loads(raw)
        return None, None

    # --- login limits ---------------------------------------------------------------------------------

    async def login_failures(self, ip: str, username: str) -> tuple[FailureCount, FailureCount]:
        """The failed logins counted from the address and for the user (any case), in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for kind, value in (("ip", ip), ("user", username.lower())):
            pipe.get(keys.login_failures(kind, value))
            pipe.ttl(keys.login_failures(kind, value))
        ip_count, ip_ttl, user_count, user_ttl = await pipe.execute()
        return (int(ip_count or 0), int(ip_ttl)), (int(user_count or 0), int(user_ttl))

    async def count_login_failure(self, ip: str, username: str, window_seconds: int) -> None:
        """Count a failed login from the address and for the user; a window starts at its first failure."""
        pipe = self.redis.pipeline(transaction=True)
        for kind, value in (("ip", ip), ("user", username.lower())):
            key = keys.login_failures(kind, value)
            pipe.set(key, 0, ex=window_seconds, nx=True)
            pipe.incr(key)
        await pipe.execute()

    async def forget_login_failures(self, username: str) -> None:
        """A user who signed in starts afresh (the address's count stays: it guards against guessing)."""
        await self.redis.delete(keys.login_failures("user", username.lower()))

    # --- sign-in links --------------------------------------------------------------------------------

    async def keep_signin_link(self, digest: str, username: str, seconds: int) -> None:
        await self.redis.set(keys.signin_link(digest), username, ex=seconds)

    async def take_signin_link(self, digest: str) -> str | None:
        """The user a sign-in link was made for, once: taking it ends it."""
        value = await self.redis.getdel(keys.signin_link(digest))
        return value.decode() if isinstance(value, bytes) else value

    # --- single sign-on under way ---------------------------------------------------------------------

    async def count_sso_start(self, ip: str, window_seconds: int) -> int:
        """Sign-ons started from the address in the current window, this one included."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(keys.sso_starts(ip), 0, ex=window_seconds, nx=True)
        pipe.incr(keys.sso_starts(ip))
        _, count = await pipe.execute()
        return int(count)

    async def keep_sso_state(self, digest: str, started: dict[str, Any], seconds: int) -> None:
        await self.redis.set(keys.sso_state(digest), json.dumps(started), ex=seconds)

    async def take_sso_state(self, digest: str) -> dict[str, Any] | None:
        """What a sign-on started with, once: taking it ends it (a replayed state finds nothing)."""
        value = await self.redis.getdel(keys.sso_state(digest))
        return json.loads(value) if value else None
