"""Connector definitions: what each CRM type needs, checked at the door, with secrets sealed before storage.

A connector is one configured inbound integration (one HubSpot app, one Salesforce outbound message…).
Plain settings (API base URL, Salesforce ids, stage map) are kept readable; secrets are sealed
(``sealing.py``) or, for basic-auth passwords, scrypt-hashed, and neither is ever shown again.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from game.errors import Collector, required_name
from server.auth.secrets import hash_password, verify_password
from server.integrations.sealing import seal, unseal
from server.outbound_targets import HUBSPOT_HOSTS, ZOHO_ACCOUNTS_HOSTS, ZOHO_API_HOSTS, target_problem

TYPES = ("hubspot", "salesforce", "pipedrive", "zoho", "fxiaoke", "generic")
SALESFORCE_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
MAX_STAGES = 50


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text | secret | password | url | salesforce_id | stages
    required: bool = True
    default: Any = None
    min_length: int = 1
    hosts: tuple[str, ...] = ()  # a url's allowed hosts (and names under them): the vendor's own


SPECS: dict[str, tuple[Field, ...]] = {
    "hubspot": (
        Field("client_secret", "secret"),
        Field("access_token", "secret"),
        Field("api_base", "url", required=False, default="https://api.hubapi.com", hosts=HUBSPOT_HOSTS),
        Field("won_stages", "stages", required=False, default=["closedwon"]),
    ),
    "salesforce": (
        Field("organization_id", "salesforce_id"),
        Field("action_id", "salesforce_id"),
        Field("won_stages", "stages", required=False, default=["Closed Won"]),
    ),
    "pipedrive": (
        Field("username", "text"),
        Field("password", "password", min_length=12),
    ),
    "zoho": (
        Field("token", "secret"),
        Field("channel_id", "text"),
        Field("access_token", "secret", required=False),  # or a refresh token (server/integrations/zoho_oauth.py)
        Field("refresh_token", "secret", required=False),
        Field("client_id", "text", required=False),
        Field("client_secret", "secret", required=False),
        Field("api_base", "url", required=False, default="https://www.zohoapis.com", hosts=ZOHO_API_HOSTS),
        Field("accounts_url", "url", required=False, default="https://accounts.zoho.com", hosts=ZOHO_ACCOUNTS_HOSTS),
        Field("won_stages", "stages", required=False, default=["Closed Won"]),
    ),
    "fxiaoke": (
        Field("secret", "secret", min_length=16),
        Field("won_stages", "stages"),  # the tenant's own stage values: no default would be right
        Field("stage_field", "text", required=False, default="sales_stage"),
        Field("amount_field", "text", required=False, default="amount"),
    ),
    "generic": (Field("secret", "secret", min_length=16),),
}
# Credentials a type accepts in more than one form: one of these groups must be given in full.
CREDENTIALS: dict[str, tuple[tuple[str, ...], ...]] = {
    "zoho": (("access_token",), ("refresh_token", "client_id", "client_secret")),
}


@dataclass(frozen=True)
class Connector:
    id: str
    type: str
    name: str
    created_at: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    # field -> sealed value (``s1.…``) or scrypt hash (passwords); never returned by the API.
    sealed: Mapping[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The events' source: ids are unique per source, so each connector has its own id space."""
        return f"{self.type}:{self.id}"

    def secret(self, name: str, secret_key: str) -> str:
        return unseal(self.sealed[name], secret_key=secret_key, context=f"{self.id}/{name}")

    def check_password(self, name: str, password: str) -> bool:
        return verify_password(password, self.sealed.get(name, ""))

    def won_stages(self) -> frozenset[str]:
        return frozenset(stage_key(s) for s in self.settings.get("won_stages") or ())

    def url(self, base_url: str) -> str:
        return f"{base_url}/hooks/{self.type}/{self.id}"

    def public(self, base_url: str) -> dict[str, Any]:
        """What the API shows: settings and the names of the secrets that are set, never their values."""
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "url": self.url(base_url),
            "config": dict(self.settings),
            "secrets": sorted(self.sealed),
            "created_at": self.created_at,
        }

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "created_at": self.created_at,
            "settings": dict(self.settings),
            "sealed": dict(self.sealed),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Connector:
        return cls(
            id=record["id"],
            type=record["type"],
            name=record["name"],
            created_at=record["created_at"],
            settings=record.get("settings") or {},
            sealed=record.get("sealed") or {},
        )


def stage_key(stage: str) -> str:
    """Stages compare without regard to case and surrounding spaces ("Closed Won" == "closed won")."""
    return stage.strip().casefold()


def new_connector_id(connector_type: str) -> str:
    return f"{connector_type}-{secrets.token_hex(6)}"


def _check_value(spec: Field, value: Any, errors: Collector, allow_private: bool) -> Any:
    name = f"config.{spec.name}"
    if spec.kind == "stages":
        if not isinstance(value, list) or not value or len(value) > MAX_STAGES:
            errors.add(name, f"must be a list of 1 to {MAX_STAGES} stage names or ids")
        elif not all(isinstance(s, str) and 0 < len(s.strip()) <= 128 for s in value):
            errors.add(name, "stage names must be non-empty strings of at most 128 characters")
        else:
            return [s.strip() for s in value]
        return None
    if not isinstance(value, str) or not value.strip():
        errors.add(name, "must be a non-empty string")
        return None
    value = value.strip()
    if len(value) > 512:
        errors.add(name, "must be at most 512 characters")
    elif len(value) < spec.min_length:
        errors.add(name, f"must be at least {spec.min_length} characters")
    elif spec.kind == "url":
        parts = urlsplit(value)
        problem = target_problem(value, allow_private=allow_private, hosts=spec.hosts)
        if not parts.netloc or parts.query or parts.fragment:
            errors.add(name, f"must be a base URL such as {spec.default}")
        elif problem:
            errors.add(name, problem)
        return value.rstrip("/")
    elif spec.kind == "salesforce_id" and not SALESFORCE_ID.match(value):
        errors.add(name, "must be a 15- or 18-character Salesforce id")
    return value


def build_connector(
    body: Any, *, secret_key: str, created_at: str, connector_id: str | None = None, allow_private: bool = False
) -> Connector:
    """Validate a ``POST /api/v1/connectors`` body and return the connector with its secrets sealed.

    Raises ValidationError naming every bad field (``type``, ``name``, ``config.<key>``). ``allow_private``:
    ARENA_OUTBOUND_ALLOW_PRIVATE (API bases on the operator's network, plain http, other hosts than the vendor's).
    """
    errors = Collector()
    if not isinstance(body, dict):
        errors.add("", "a connector must be a JSON object")
        errors.raise_if_any()
    connector_type = body.get("type")
    if connector_type not in SPECS:
        errors.add("type", f"must be one of {', '.join(TYPES)}")
    name = required_name(body, errors)
    config = body.get("config", {})
    if not isinstance(config, dict):
        errors.add("config", "must be an object")
        config = {}
    errors.raise_if_any()
    specs = SPECS[connector_type]
    known = {spec.name for spec in specs}
    for unknown in sorted(set(config) - known):
        errors.add(f"config.{unknown}", f"unknown setting for {connector_type}: expected {', '.join(sorted(known))}")
    connector_id = connector_id or new_connector_id(connector_type)
    settings: dict[str, Any] = {}
    sealed: dict[str, str] = {}
    for spec in specs:
        if config.get(spec.name) is None:
            if spec.required:
                errors.add(f"config.{spec.name}", f"is required for {connector_type}")
            elif spec.default is not None:
                settings[spec.name] = spec.default
            continue
        value = _check_value(spec, config[spec.name], errors, allow_private)
        if value is None or errors.errors:
            continue
        if spec.kind == "secret":
            sealed[spec.name] = seal(value, secret_key=secret_key, context=f"{connector_id}/{spec.name}")
        elif spec.kind == "password":
            sealed[spec.name] = hash_password(value)
        else:
            settings[spec.name] = value
    groups = CREDENTIALS.get(connector_type)
    if groups and not any(all(config.get(f) is not None for f in group) for group in groups):
        alternatives = " or ".join(", ".join(group) for group in groups)
        errors.add(f"config.{groups[0][0]}", f"{connector_type} needs {alternatives}")
    errors.raise_if_any()
    return Connector(connector_id, connector_type, name, created_at, settings, sealed)
