"""Helpers shared by the CRM integration tests: connectors, aliases and scores through the public API."""

from __future__ import annotations

import time
from typing import Any

import httpx

from server.integrations.generic import sign
from tests.support.org import Org


def create_connector(admin: httpx.Client, connector_type: str, config: dict[str, Any], name: str = "CRM") -> str:
    response = admin.post("/api/v1/connectors", json={"type": connector_type, "name": name, "config": config})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def rep_name(org: Org, index: int) -> tuple[str, str]:
    """Name and team of the ``index``-th rep of a ``make_org`` org (3 reps per team)."""
    return f"销售 {index // 3}-{index % 3}", org.teams[index // 3]


def set_alias(admin: httpx.Client, org: Org, index: int, aliases: dict[str, str]) -> None:
    name, team = rep_name(org, index)
    response = admin.put(f"/api/v1/reps/{org.reps[index]}", json={"name": name, "team": team, "aliases": aliases})
    assert response.status_code == 200, response.text


def scores(admin: httpx.Client, contest: str) -> dict[str, int]:
    response = admin.get(f"/api/v1/contests/{contest}/leaderboard", params={"limit": 500})
    assert response.status_code == 200, response.text
    return {row["id"]: row["score"] for row in response.json()["rows"]}


def unmapped(admin: httpx.Client, connector_id: str) -> dict[str, int]:
    response = admin.get(f"/api/v1/connectors/{connector_id}/unmapped")
    assert response.status_code == 200, response.text
    return {row["crm_user"]: row["held"] for row in response.json()["owners"]}


def send_signed(hook_url: str, secret: str, document: Any, *, signature: str | None = None) -> httpx.Response:
    """What a CRM with a generic signed webhook does: post ``document`` with its timestamp and HMAC signature
    (``signature`` overrides it, to play a sender with the wrong secret)."""
    body = httpx.Request("POST", "/", json=document).content
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Arena-Timestamp": timestamp,
        "X-Arena-Signature": signature or sign(secret, timestamp, body),
    }
    return httpx.post(hook_url, content=body, headers=headers, timeout=15)
