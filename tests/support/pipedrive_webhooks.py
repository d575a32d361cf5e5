"""Pipedrive webhooks v2 as Pipedrive sends them: a deal's change with its meta, posted with the connector's
basic-auth credentials."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import UTC
from typing import Any

import httpx

from tests.support.calendar import Calendar
from tests.support.server import RunningServer

USERNAME, PASSWORD = "arena-hook", "pipedrive-password-42"
clock = itertools.count(int(time.time()) - 86_400)  # update_time moves forward with every change


def webhook(deal_id: int, *, action: str = "change", status: str = "won", value: Any = 36000, **data: Any) -> dict:
    yesterday = Calendar.from_clock().moment(1).astimezone(UTC).isoformat().replace("+00:00", "Z")
    deal = {
        "id": deal_id,
        "title": "华为云 采购",
        "value": value,
        "currency": "CNY",
        "status": status,
        "owner_id": 18487521,
        "won_time": yesterday if status == "won" else None,
        "update_time": next(clock),
        **data,
    }
    return {
        "meta": {
            "action": action,
            "entity": "deal",
            "entity_id": str(deal_id),
            "id": str(uuid.uuid4()),
            "version": "2.0",
            "company_id": "12882925",
            "user_id": "18487521",
            "timestamp": yesterday,
            "attempt": 1,
            "host": "company.pipedrive.com",
            "change_source": "app",
            "type": "general",
        },
        "data": None if action == "delete" else deal,
        "previous": deal if action == "delete" else {"status": "open"},
    }


def post(server: RunningServer, connector: str, document: dict, auth: tuple[str, str] = (USERNAME, PASSWORD)):
    return httpx.post(f"{server.base_url}/hooks/pipedrive/{connector}", json=document, auth=auth, timeout=20)
