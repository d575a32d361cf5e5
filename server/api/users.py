"""People and keys: console users (admin, managers with their teams, reps linked to a rep id), one-time
sign-in links for reps' phones, and API keys (created with a scope, shown once, revoked by id).

Users and keys are kept by ``server.services.account_store``; a user's ``sv`` moves on when the password
changes or the user is deactivated, which ends their sessions.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.directory import Directory
from game.errors import Collector, ValidationError
from server.auth.principals import SCOPES, Principal, forget_cached_tokens
from server.auth.secrets import hash_password, new_token, token_digest, verify_password
from server.http import ApiError, ArenaJSONResponse, arena_of, read_document, require, validation_error

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
ROLES = ("admin", "manager", "rep")
MIN_PASSWORD = 8


def public_user(record: dict[str, Any]) -> dict[str, Any]:
    """A user without the password hash."""
    return {
        "username": record["username"],
        "role": record["role"],
        "name": record.get("name") or record["username"],
        "rep": record.get("rep"),
        "teams": record.get("teams") or [],
        "active": record.get("active", True),
        "locale": record.get("locale"),
        "has_password": bool(record.get("password")),
    }


async def _all_users(request: Request) -> list[dict[str, Any]]:
    return await arena_of(request).accounts.users()


def _sees(principal: Principal, record: dict[str, Any], directory: Directory) -> bool:
    """Admins see everyone; a manager sees the reps of their teams (to send them sign-in links)."""
    if principal.role == "admin":
        return True
    rep = directory.reps.get(record.get("rep") or "")
    return record.get("role") == "rep" and rep is not None and principal.manages_team(rep.team)


async def list_users(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "list users")
    directory = (await arena_of(request).registry.current()).directory
    users = [public_user(u) for u in await _all_users(request) if _sees(principal, u, directory)]
    return ArenaJSONResponse({"users": sorted(users, key=lambda u: (ROLES.index(u["role"]), u["username"]))})


async def put_user(request: Request) -> ArenaJSONResponse:
    """Create or change a user (admins only): role, display name, rep link, teams, password, active."""
    principal = await require(request, lambda p: p.role == "admin", "manage users")
    username = request.path_params["username"]
    if not USERNAME.match(username):
        raise ApiError(422, "invalid username", [{"field": "username", "message": "1-64 letters, digits, _ . @ -"}])
    body = await read_document(request)
    if not isinstance(body, dict):
        raise ApiError(422, "a user must be a JSON object")
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    existing = await arena.accounts.user(username)
    record: dict[str, Any] = dict(existing or {"username": username, "sv": 0, "active": True})
    errors = Collector()
    role = body.get("role", record.get("role"))
    if role not in ROLES:
        errors.add("role", f"must be one of {', '.join(ROLES)}")
    if username == "admin" and role != "admin":
        errors.add("role", "the admin user stays an admin")
    name = body.get("name", record.get("name") or username)
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        errors.add("name", "a display name of at most 80 characters")
    rep = body.get("rep", record.get("rep"))
    if role == "rep" and (not isinstance(rep, str) or rep not in directory.reps):
        errors.add("rep", "a rep user is linked to an existing rep id")
    teams = body.get("teams", record.get("teams") or [])
    if not isinstance(teams, list) or not all(isinstance(t, str) and t in directory.teams for t in teams):
        errors.add("teams", "a list of existing team ids")
    password = body.get("password")
    if password is not None and (not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= 256):
        errors.add("password", f"at least {MIN_PASSWORD} characters")
    if existing is None and role != "rep" and not password:
        errors.add("password", "managers and admins need a password (reps may use sign-in links)")
    active = body.get("active", record.get("active", True))
    if not isinstance(active, bool):
        errors.add("active", "must be true or false")
    locale = body.get("locale", record.get("locale"))
    if locale not in (None, "zh-CN", "en"):
        errors.add("locale", 'must be "zh-CN", "en" or null')
    try:
        errors.raise_if_any()
    except ValidationError as exc:
        raise validation_error(exc, "invalid user") from None
    if password:
        record["password"] = await asyncio.to_thread(hash_password, password)
    if (password and existing) or (record.get("active", True) and not active):
        record["sv"] = int(record.get("sv", 0)) + 1  # sign out everywhere
    record.update(
        role=role,
        name=name.strip(),
        rep=rep if role == "rep" else None,
        teams=teams if role == "manager" else [],
        active=active,
        locale=locale,
        updated_at=datetime.now(UTC).isoformat(),
        updated_by=principal.name,
    )
    record.setdefault("password", "")
    await arena.accounts.save_user(record)
    return ArenaJSONResponse(public_user(record), status_code=200 if existing else 201)


async def signin_link(request: Request) -> ArenaJSONResponse:
    """A single-use link (15 minutes) the manager passes on, e.g. in the team chat."""
    principal = await require(request, lambda p: p.can_manage, "make sign-in links")
    arena = arena_of(request)
    record = await arena.accounts.user(request.path_params["username"])
    directory = (await arena.registry.current()).directory
    if record is None or not _sees(principal, record, directory):
        raise ApiError(404, f"no user {request.path_params['username']!r} you manage")
    if record["role"] == "admin" or record.get("active") is False:
        raise ApiError(409, "sign-in links are for active reps and managers")
    token, expires_at = await arena.accounts.create_signin_link(record["username"])
    return ArenaJSONResponse(
        {"url": f"{arena.settings.base_url}/signin/{token}", "expires_at": expires_at.isoformat()}, status_code=201
    )


async def me(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.via_session, "read a user profile (sign in first)")
    record = await arena_of(request).accounts.user(principal.name)
    if record is None:
        raise ApiError(404, "no such user")
    return ArenaJSONResponse(public_user(record))


async def change_me(request: Request) -> ArenaJSONResponse:
    """The user's own settings: language, and a new password (with the current one)."""
    principal = await require(request, lambda p: p.via_session, "change a user profile (sign in first)")
    accounts = arena_of(request).accounts
    record = await accounts.user(principal.name)
    body = await read_document(request)
    if record is None or not isinstance(body, dict):
        raise ApiError(422, "send a JSON object")
    if "locale" in body:
        if body["locale"] not in (None, "zh-CN", "en"):
            raise ApiError(422, "invalid locale", [{"field": "locale", "message": '"zh-CN", "en" or null'}])
        record["locale"] = body["locale"]
        request.session["locale"] = body["locale"]
    if "password" in body:
        new, current = body.get("password"), body.get("current_password", "")
        if not isinstance(new, str) or len(new) < MIN_PASSWORD:
            raise ApiError(422, "invalid password", [{"field": "password", "message": f"at least {MIN_PASSWORD}"}])
        if record.get("password") and not await asyncio.to_thread(verify_password, str(current), record["password"]):
            raise ApiError(403, "the current password is wrong", [{"field": "current_password", "message": "wrong"}])
        record["password"] = await asyncio.to_thread(hash_password, new)
        record["sv"] = int(record.get("sv", 0)) + 1
        request.session["user"] = {**request.session.get("user", {}), "sv": record["sv"]}
    await accounts.save_user(record)
    return ArenaJSONResponse(public_user(record))


# --- API keys ------------------------------------------------------------------------------------


async def list_keys(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.role == "admin", "list API keys")
    items = []
    for digest, record in (await arena_of(request).accounts.api_keys()).items():
        items.append(
            {
                "id": digest[:16],
                "scope": record.get("scope"),
                "name": record.get("name", ""),
                "created_at": record.get("created_at"),
                "created_by": record.get("created_by"),
            }
        )
    return ArenaJSONResponse({"keys": sorted(items, key=lambda k: (k["created_at"] or "", k["id"]))})


async def create_key(request: Request) -> ArenaJSONResponse:
    """A new key: returned once, kept as its SHA-256 digest (the id is the digest's first 16 hex digits)."""
    principal = await require(request, lambda p: p.role == "admin", "create API keys")
    body = await read_document(request)
    scope = body.get("scope") if isinstance(body, dict) else None
    name = body.get("name") if isinstance(body, dict) else None
    errors = Collector()
    if scope not in SCOPES:
        errors.add("scope", f"one of {', '.join(SCOPES)}")
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        errors.add("name", "what the key is for, at most 80 characters")
    try:
        errors.raise_if_any()
    except ValidationError as exc:
        raise validation_error(exc, "invalid key") from None
    key = new_token("ak")
    accounts = arena_of(request).accounts
    await accounts.add_api_key(key, str(scope), str(name).strip())
    digest = token_digest(key)
    record = await accounts.api_key(digest)
    if record is None:
        raise ApiError(409, "the new key was revoked before it could be shown")
    record.update(created_at=datetime.now(UTC).isoformat(), created_by=principal.name)
    await accounts.save_api_key(digest, record)
    return ArenaJSONResponse(
        {"id": digest[:16], "key": key, "scope": scope, "name": record["name"], "created_at": record["created_at"]},
        status_code=201,
    )


async def revoke_key(request: Request) -> Response:
    await require(request, lambda p: p.role == "admin", "revoke API keys")
    key_id = request.path_params["id"]
    accounts = arena_of(request).accounts
    if len(key_id) != 16 or not all(c in "0123456789abcdef" for c in key_id):
        raise ApiError(404, f"no key {key_id!r}")
    matches = [d for d in await accounts.api_key_digests() if d[:16] == key_id]
    if not matches:
        raise ApiError(404, f"no key {key_id!r}")
    await accounts.revoke_api_keys(matches)
    forget_cached_tokens()
    return Response(status_code=204)


routes = [
    Route("/users", list_users, methods=["GET"]),
    Route("/users/{username}", put_user, methods=["PUT"]),
    Route("/users/{username}/signin-link", signin_link, methods=["POST"]),
    Route("/me", me, methods=["GET"]),
    Route("/me", change_me, methods=["PUT"]),
    Route("/keys", list_keys, methods=["GET"]),
    Route("/keys", create_key, methods=["POST"]),
    Route("/keys/{id}", revoke_key, methods=["DELETE"]),
]
