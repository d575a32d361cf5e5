"""People and keys: console users (admin, managers with their teams, reps linked to a rep id), one-time
sign-in links for reps' phones, and API keys (created with a scope, shown once, revoked by id).

Users and keys are kept by ``server.services.account_store``; a user's ``sv`` moves on when the password
changes or the user is deactivated, which ends their sessions.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType
from starlette.requests import Request
from starlette.responses import Response

from game.directory import Directory
from game.errors import Collector, ValidationError
from server.api.codec import decode_body, to_document
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.api.types import Name
from server.auth.access import ADMIN, ANY_MANAGER, REP_USER, SIGNED_IN
from server.auth.principals import SCOPES, Principal, forget_cached_tokens
from server.auth.secrets import hash_password, new_token, token_digest, verify_password
from server.http import ApiError, ArenaJSONResponse, arena_of, require, validation_error

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
    body = to_document(await decode_body(request, UserInput, "user"))
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    existing = await arena.accounts.user(username)
    record: dict[str, Any] = dict(existing or {"username": username, "sv": 0, "active": True})
    errors = Collector()
    role = body.get("role", record.get("role"))
    if role is None:
        errors.add("role", f"is required for a new user: one of {', '.join(ROLES)}")
    if username == "admin" and role != "admin":
        errors.add("role", "the admin user stays an admin")
    name = body.get("name", record.get("name") or username)
    rep = body.get("rep", record.get("rep"))
    if role == "rep" and (not isinstance(rep, str) or rep not in directory.reps):
        errors.add("rep", "a rep user is linked to an existing rep id")
    teams = body.get("teams", record.get("teams") or [])
    if not all(t in directory.teams for t in teams):
        errors.add("teams", "a list of existing team ids")
    password = body.get("password")
    if existing is None and role != "rep" and not password:
        errors.add("password", "managers and admins need a password (reps may use sign-in links)")
    active = body.get("active", record.get("active", True))
    locale = body.get("locale", record.get("locale"))
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
    return ArenaJSONResponse(await _with_display_choice(request, public_user(record)))


async def _with_display_choice(request: Request, user: dict[str, Any]) -> dict[str, Any]:
    """A rep's own user, with their choice of name on TVs and chats (kept on the rep in the directory)."""
    rep = (await arena_of(request).registry.current()).directory.reps.get(user["rep"] or "")
    return {**user, "opted_out": rep.opted_out} if user["role"] == "rep" and rep else user


async def _choose_display(request: Request, record: dict[str, Any], opted_out: bool) -> None:
    """A rep chooses for themselves: initials (``opted_out``) or the full name on public screens."""
    arena = arena_of(request)
    document = await arena.registry.rep_document(str(record.get("rep") or ""))
    if record["role"] != "rep" or document is None:
        message = "only a rep linked to the directory chooses how public screens name them"
        raise ApiError(422, f"invalid settings: opted_out: {message}", [{"field": "opted_out", "message": message}])
    if bool(document.get("opted_out", False)) != opted_out:
        document = {**document, "opted_out": opted_out, "updated_at": datetime.now(UTC).isoformat()}
        await arena.registry.put_rep(document, record["username"])


async def change_me(request: Request) -> ArenaJSONResponse:
    """The user's own settings: language, a new password (with the current one), and for a rep, whether
    TVs and chats show their full name or their initials."""
    principal = await require(request, lambda p: p.via_session, "change a user profile (sign in first)")
    accounts = arena_of(request).accounts
    record = await accounts.user(principal.name)
    body = to_document(await decode_body(request, MeInput, "settings"))
    if record is None:
        raise ApiError(404, "no such user")
    if "opted_out" in body:
        await _choose_display(request, record, bool(body["opted_out"]))
    if "locale" in body:
        record["locale"] = body["locale"]
        request.session["locale"] = body["locale"]
    if "password" in body:
        new, current = body["password"], body.get("current_password", "")
        if record.get("password") and not await asyncio.to_thread(verify_password, str(current), record["password"]):
            raise ApiError(403, "the current password is wrong", [{"field": "current_password", "message": "wrong"}])
        record["password"] = await asyncio.to_thread(hash_password, new)
        record["sv"] = int(record.get("sv", 0)) + 1
        request.session["user"] = {**request.session.get("user", {}), "sv": record["sv"]}
    await accounts.save_user(record)
    return ArenaJSONResponse(await _with_display_choice(request, public_user(record)))


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
    body = await decode_body(request, KeyInput, "key")
    scope, name = body.scope, body.name
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


Locale = Literal["zh-CN", "en"]
Password = Annotated[str, Meta(min_length=MIN_PASSWORD, max_length=256)]


class UserInput(Struct, omit_defaults=True):
    """Fields left out keep their value (a new user: ``role`` is required, and a password unless a rep)."""

    role: Literal[ROLES] | UnsetType = UNSET  # type: ignore[valid-type]
    name: Name | UnsetType = UNSET
    rep: str | UnsetType | None = UNSET
    teams: list[str] | UnsetType = UNSET
    password: Password | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    locale: Locale | UnsetType | None = UNSET


class User(Struct):
    username: str
    role: Literal[ROLES]  # type: ignore[valid-type]
    name: str
    rep: str | None
    teams: list[str]
    active: bool
    locale: str | None
    has_password: bool
    opted_out: (
        Annotated[bool, Meta(description="A rep's own choice: initials, not the full name, on TVs and chats.")] | None
    ) = None


class UserList(Struct):
    users: list[User]


class MeInput(Struct, omit_defaults=True):
    locale: Locale | UnsetType | None = UNSET
    opted_out: Annotated[bool, Meta(description="Reps only: show my initials on TVs and chats.")] | UnsetType = UNSET
    password: Password | UnsetType = UNSET
    current_password: str | UnsetType = UNSET


class SigninLink(Struct):
    url: str
    expires_at: str


class KeyInput(Struct):
    scope: Literal[SCOPES]  # type: ignore[valid-type]
    name: Name


class ApiKey(Struct, omit_defaults=True):
    id: str
    scope: str
    name: str
    created_at: str | None = None
    created_by: str | None = None
    key: Annotated[str, Meta(description="Only in the answer to POST: shown once.")] | None = None


class KeyList(Struct):
    keys: list[ApiKey]


NOT_SESSION = Answer(403, "an API key, not a signed-in browser", body={})
routes = [
    ApiRoute(
        "/users",
        list_users,
        "GET",
        Operation("Console users", "users", "manage", response=UserList, access=ANY_MANAGER),
    ),
    ApiRoute(
        "/users/{username}",
        put_user,
        "PUT",
        Operation(
            "Create or change a user",
            "users",
            body=UserInput,
            response=User,
            upsert=True,
            path={"username": USERNAME.pattern},
            answers=(
                Answer(
                    422,
                    "a username with characters usernames may not have",
                    "username",
                    body={},
                    path={"username": "a b"},
                ),
                Answer(422, "an unknown role", "role", body={"role": "owner"}),
                Answer(422, "a new user without a role", "role", body={}, cross_field=True),
                Answer(422, "a password too short", "password", body={"role": "admin", "password": "short"}),
            ),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/users/{username}/signin-link",
        signin_link,
        "POST",
        Operation(
            "A one-time sign-in link (15 minutes)",
            "users",
            "manage",
            response=SigninLink,
            status=201,
            answers=(not_found("user"),),
            access=REP_USER,
        ),
    ),
    ApiRoute(
        "/me",
        me,
        "GET",
        Operation("The signed-in user", "users", "session", response=User, answers=(NOT_SESSION,), access=SIGNED_IN),
    ),
    ApiRoute(
        "/me",
        change_me,
        "PUT",
        Operation(
            "Change language, password, or (a rep) the name public screens show",
            "users",
            "session",
            body=MeInput,
            response=User,
            answers=(NOT_SESSION,),
            access=SIGNED_IN,
        ),
    ),
    ApiRoute(
        "/keys",
        list_keys,
        "GET",
        Operation("API keys (never the keys themselves)", "keys", response=KeyList, access=ADMIN),
    ),
    ApiRoute(
        "/keys",
        create_key,
        "POST",
        Operation(
            "Create an API key: shown once",
            "keys",
            body=KeyInput,
            response=ApiKey,
            status=201,
            answers=(Answer(422, "an unknown scope", "scope", body={"scope": "root", "name": "x"}),),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/keys/{id}",
        revoke_key,
        "DELETE",
        Operation("Revoke an API key", "keys", status=204, answers=(not_found("key"),), access=ADMIN),
    ),
]
