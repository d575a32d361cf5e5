"""Who a person signed in by single sign-on is here: the console user their session is for.

A signed-on person gets an ordinary user record (``server.auth.store``), so the session, its ``sv`` check,
CSRF and every access rule work as for a local user. The record is named ``<provider>.<value>`` (``oidc.``,
``wecom.``, ``dingtalk.``, ``feishu.``): a provider can never name a local account such as ``admin``.

- OpenID Connect: the role claim decides admin, manager (teams from the teams claim) or rep; the record follows
  the identity provider at every sign-in.
- WeCom, DingTalk, Feishu: an admin or a manager is a console user an admin made under that name (with its
  teams); anyone else must be a rep.
- A rep is linked, never created: an active rep whose alias for the provider (``oidc``, ``wecom``, ...) or
  whose id equals the value. No such rep: refused.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Protocol

from game.directory import Directory, Rep
from server.auth.sso_providers import Identity
from server.sso_config import OidcConfig

USERNAME_SAFE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")  # as the users API accepts


class UserRecords(Protocol):
    """The users a sign-on reads and keeps (``AccountStore``)."""

    async def user(self, username: str) -> dict[str, Any] | None: ...

    async def save_user(self, record: dict[str, Any]) -> None: ...


class Refused(Exception):
    """Signed in at the provider, but not welcome here; ``reason`` picks the page's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # unlinked | no_role | inactive | conflict


def sso_username(provider: str, value: str) -> str:
    """``<provider>.<value>``, or a digest of the value when it is long or holds other characters."""
    name = f"{provider}.{value}"
    if USERNAME_SAFE.match(name):
        return name
    return f"{provider}.{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def claim_values(claims: dict[str, Any], name: str) -> tuple[str, ...]:
    """A claim as strings: a list of them, or one string (comma-separated values allowed)."""
    value = claims.get(name)
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int))
    return ()


def oidc_role(claims: dict[str, Any], config: OidcConfig) -> str | None:
    """The highest role the role claim grants (admin, manager, rep), or None."""
    values = set(claim_values(claims, config.role_claim))
    for role, granted_by in (
        ("admin", config.admin_values),
        ("manager", config.manager_values),
        ("rep", config.rep_values),
    ):
        if values & set(granted_by):
            return role
    return None


def rep_for(directory: Directory, provider: str, value: str) -> Rep | None:
    """The active rep the value links to: by the rep's alias for the provider, else by rep id."""
    if not value:
        return None
    for rep in directory.reps.values():
        if rep.active and rep.aliases.get(provider) == value:
            return rep
    by_id = directory.reps.get(value)
    return by_id if by_id is not None and by_id.active else None


def updated_record(existing: dict[str, Any] | None, wanted: dict[str, Any]) -> dict[str, Any]:
    """The record to keep: ``wanted`` over what was there (its ``sv`` and locale stay), or ``Refused``."""
    if existing is not None:
        if existing.get("active") is False:
            raise Refused("inactive")
        if existing.get("sso") != wanted["sso"]:
            raise Refused("conflict")  # made by hand under this name: not ours to rewrite
    return {**(existing or {"sv": 0}), **wanted, "active": True}


async def oidc_account(
    identities: UserRecords, directory: Directory, identity: Identity, config: OidcConfig
) -> dict[str, Any]:
    role = oidc_role(identity.claims, config)
    if role is None:
        raise Refused("no_role")
    wanted: dict[str, Any] = {"role": role, "sso": identity.provider, "name": identity.name}
    if role == "rep":
        rep = rep_for(directory, identity.provider, identity.value)
        if rep is None:
            raise Refused("unlinked")
        username = sso_username(identity.provider, identity.value)
        wanted |= {"rep": rep.id, "teams": [], "name": identity.name or rep.name}
    else:
        user_value = claim_values(identity.claims, config.username_claim)
        if not user_value:
            raise Refused("unlinked")
        username = sso_username(identity.provider, user_value[0])
        teams = list(claim_values(identity.claims, config.teams_claim)) if role == "manager" else []
        wanted |= {"rep": None, "teams": teams}
    return await _keep(identities, username, wanted)


async def enterprise_account(identities: UserRecords, directory: Directory, identity: Identity) -> dict[str, Any]:
    username = sso_username(identity.provider, identity.value)
    existing = await identities.user(username)
    if existing is not None and existing.get("role") in ("admin", "manager") and existing.get("sso") is None:
        if existing.get("active") is False:
            raise Refused("inactive")
        return existing  # an admin made this console user for the person: it says the role and teams
    rep = rep_for(directory, identity.provider, identity.value)
    if rep is None:
        raise Refused("unlinked")
    wanted = {"role": "rep", "rep": rep.id, "teams": [], "sso": identity.provider, "name": identity.name or rep.name}
    return await _keep(identities, username, wanted)


async def _keep(identities: UserRecords, username: str, wanted: dict[str, Any]) -> dict[str, Any]:
    existing = await identities.user(username)
    record = updated_record(existing, {**wanted, "username": username})
    if record != existing:
        await identities.save_user(record)
    return record
