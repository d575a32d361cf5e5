"""Connectors over the API: created by an admin, listed without secrets, secrets sealed at rest."""

from __future__ import annotations

import json

import httpx
import pytest
import redis

from game import keys
from server.integrations.connectors import build_connector
from server.integrations.sealing import SealError, seal, unseal
from tests.support.integrations import create_connector
from tests.support.server import RunningServer

HUBSPOT = {"client_secret": "hs-secret-value-123456", "access_token": "pat-na1-very-secret-token"}


def test_an_admin_creates_a_connector_and_gets_its_webhook_url(server: RunningServer, admin: httpx.Client) -> None:
    response = admin.post("/api/v1/connectors", json={"type": "hubspot", "name": "HubSpot 华东", "config": HUBSPOT})
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"id", "url"}
    assert created["url"] == f"{server.base_url}/hooks/hubspot/{created['id']}"
    shown = admin.get(f"/api/v1/connectors/{created['id']}").json()
    assert shown["config"] == {"api_base": "https://api.hubapi.com", "won_stages": ["closedwon"]}
    assert shown["secrets"] == ["access_token", "client_secret"]
    assert shown["name"] == "HubSpot 华东" and shown["type"] == "hubspot"


def test_secrets_are_never_shown_and_not_stored_in_clear(admin: httpx.Client, redis_client: redis.Redis) -> None:
    connectors = [
        create_connector(admin, "hubspot", HUBSPOT),
        create_connector(admin, "pipedrive", {"username": "arena", "password": "pipedrive-password-42"}),
        create_connector(
            admin,
            "zoho",
            {"token": "zoho-echo-token-0001", "channel_id": "1000000068001", "access_token": "1000.zoho.access"},
        ),
        create_connector(admin, "generic", {"secret": "generic-signing-secret-0123456789"}),
        create_connector(admin, "salesforce", {"organization_id": "00D5g000004ABCD", "action_id": "04k5g000000XYZA"}),
    ]
    listing = admin.get("/api/v1/connectors")
    assert listing.status_code == 200
    assert {c["id"] for c in listing.json()["connectors"]} >= set(connectors)
    stored = b"".join(redis_client.hgetall(keys.CONNECTORS).values())
    for secret in (
        "hs-secret-value-123456",
        "pat-na1-very-secret-token",
        "pipedrive-password-42",
        "zoho-echo-token-0001",
        "1000.zoho.access",
        "generic-signing-secret-0123456789",
    ):
        assert secret not in listing.text
        assert secret.encode() not in stored
    pipedrive = json.loads(redis_client.hget(keys.CONNECTORS, connectors[1]))
    assert pipedrive["sealed"]["password"].startswith("scrypt$")


def test_invalid_connectors_are_422_with_every_field_named(admin: httpx.Client) -> None:
    response = admin.post("/api/v1/connectors", json={"type": "sugarcrm", "name": ""})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"type", "name"}
    response = admin.post(
        "/api/v1/connectors",
        json={
            "type": "hubspot",
            "name": "h",
            "config": {"client_secret": "s", "api_base": "ftp://x", "won_stages": [], "colour": "red"},
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"].startswith("invalid connector")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"config.access_token", "config.api_base", "config.won_stages", "config.colour"}
    response = admin.post(
        "/api/v1/connectors",
        json={
            "type": "salesforce",
            "name": "sf",
            "config": {"organization_id": "nope", "action_id": "04k5g000000XYZA"},
        },
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["config.organization_id"]


def test_only_admins_manage_connectors(server: RunningServer, ingest: httpx.Client) -> None:
    assert httpx.get(f"{server.base_url}/api/v1/connectors").status_code == 401
    assert ingest.get("/api/v1/connectors").status_code == 403
    forbidden = ingest.post("/api/v1/connectors", json={"type": "generic", "name": "g", "config": {"secret": "x" * 20}})
    assert forbidden.status_code == 403


def test_hooks_of_unknown_deleted_or_mistyped_connectors_are_404(server: RunningServer, admin: httpx.Client) -> None:
    connector = create_connector(admin, "generic", {"secret": "generic-signing-secret-0123456789"})
    assert httpx.post(f"{server.base_url}/hooks/hubspot/{connector}", json=[]).status_code == 404
    assert httpx.post(f"{server.base_url}/hooks/generic/nope-123", json=[]).status_code == 404
    assert admin.delete(f"/api/v1/connectors/{connector}").status_code == 204
    assert httpx.post(f"{server.base_url}/hooks/generic/{connector}", json=[]).status_code == 404
    assert admin.get(f"/api/v1/connectors/{connector}").status_code == 404


def test_sealed_values_round_trip_and_refuse_another_key_context_or_tampering() -> None:
    sealed = seal("秘密 token", secret_key="k1", context="hubspot-1/access_token")
    assert sealed != seal("秘密 token", secret_key="k1", context="hubspot-1/access_token")  # fresh nonce
    assert unseal(sealed, secret_key="k1", context="hubspot-1/access_token") == "秘密 token"
    with pytest.raises(SealError):
        unseal(sealed, secret_key="k2", context="hubspot-1/access_token")
    with pytest.raises(SealError):
        unseal(sealed, secret_key="k1", context="hubspot-2/access_token")
    raw = bytearray(sealed.encode())
    raw[10] = ord("A") if raw[10] != ord("A") else ord("B")
    with pytest.raises(SealError):
        unseal(raw.decode(), secret_key="k1", context="hubspot-1/access_token")
    long_secret = "x" * 1000  # several keystream blocks
    assert unseal(seal(long_secret, secret_key="k", context="c"), secret_key="k", context="c") == long_secret


def test_a_connector_reads_back_its_own_secrets() -> None:
    connector = build_connector(
        {"type": "zoho", "name": "Zoho", "config": {"token": "t" * 10, "channel_id": "42", "access_token": "a" * 12}},
        secret_key="server-secret",
        created_at="2026-11-22T00:00:00+00:00",
    )
    assert connector.secret("token", "server-secret") == "t" * 10
    assert connector.secret("access_token", "server-secret") == "a" * 12
    assert connector.settings["api_base"] == "https://www.zohoapis.com"
    assert connector.won_stages() == {"closed won"}
