"""Who may sign in and who may call the API, in Redis: console users, API keys (kept by digest), one-time
sign-in links and login limits. Handlers decide who may change what; this store only keeps the records.

A user is JSON ``{"username", "role", "password" (scrypt), "rep", "teams", "name", "active", "locale",
"sv"}``; ``sv`` moves on when the password changes or the user is deactivated, which ends their sessions.
It is the identity store of ``server.auth`` (``server/auth/store.py``: users and tokens by digest, login
failures, sign-in links) with the management on top; the sign-in checks themselves live in ``server.auth``
and this store hands them itself."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from game import keys
from game.store import text
from server.auth import login
from server.auth.principals import SCOPES
from server.auth.secrets import token_digest
from server.auth.store import IdentityStore


class AccountStore(IdentityStore):
    # --- users ----------------------------------------------------------------------------------------

    async def users(self) -> list[dict[str, Any]]:
        return [json.loads(value) for value in (await self.redis.hgetall(keys.USERS)).values()]

    async def save_user(self, record: dict[str, Any]) -> None:
        await self.redis.hset(keys.USERS, record["username"], json.dumps(record, ensure_ascii=False))

    # --- signing in -----------------------------------------------------------------------------------

    async def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        return await login.authenticate(self, username, password)

    async def login_blocked_for(self, ip: str, username: str) -> int:
        """Seconds until another attempt is allowed (0: go ahead)."""
        return await login.login_blocked_for(self, ip, username)

    async def record_login_failure(self, ip: str, username: str) -> None:
        await login.record_failure(self, ip, username)

    async def create_signin_link(self, username: str) -> tuple[str, datetime]:
        return await login.create_signin_link(self, username)

    async def consume_signin_link(self, token: str) -> str | None:
        return await login.consume_signin_link(self, token)

    # --- API keys -------------------------------------------------------------------------------------

    async def api_keys(self) -> dict[str, dict[str, Any]]:
        """Every key's record by the key's digest."""
        return {text(digest): json.loads(value) for digest, value in (await self.redis.hgetall(keys.API_KEYS)).items()}

    async def add_api_key(self, key: str, scope: str, name: str) -> None:
        """Keep an API key by its digest only; the key itself is shown once and never stored."""
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        await self.redis.hset(keys.API_KEYS, token_digest(key), json.dumps({"scope": scope, "name": name}))

    async def api_key(self, digest: str) -> dict[str, Any] | None:
        stored = await self.redis.hget(keys.API_KEYS, digest)
        return json.loads(stored) if stored is not None else None

    async def save_api_key(self, digest: str, record: dict[str, Any]) -> None:
        await self.redis.hset(keys.API_KEYS, digest, json.dumps(record, ensure_ascii=False))

    async def api_key_digests(self) -> list[str]:
        return [text(digest) for digest in await self.redis.hkeys(keys.API_KEYS)]

    async def add_configured_api_key(self, key: str, scope: str, name: str) -> bool:
        """Put a key named in the environment in place at start-up, unless it was revoked over the API: a restart
        must not bring back a key an admin took away. False when it was."""
        if await self.redis.sismember(keys.REVOKED_API_KEYS, token_digest(key)):
            return False
        await self.add_api_key(key, scope, name)
        return True

    async def revoke_api_keys(self, digests: list[str]) -> None:
        """Remove the keys, and remember them: a key from the environment stays revoked after a restart."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(keys.API_KEYS, *digests)
        pipe.sadd(keys.REVOKED_API_KEYS, *digests)
        await pipe.execute()
