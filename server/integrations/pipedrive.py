"""Pipedrive webhooks (v2, v1 accepted): HTTP Basic auth, deal create/change/delete with the deal's state.

Pipedrive sends the deal itself, so nothing is fetched: ``status`` ``won`` scores, anything else (or a
delete) after a win reverses it. Deliveries are deduplicated on ``meta.id``; ``update_time`` orders
deliveries that arrive out of order. The password is kept as a scrypt hash; a correct password is
remembered (as a digest) for a while so a busy webhook does not pay scrypt on every call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.http import ApiError
from server.integrations.connectors import Connector
from server.integrations.deals import Observation, epoch_seconds, normalise_amount, normalise_time
from server.integrations.pipeline import deliver

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.integrations.pipedrive")
V1_ACTIONS = {"added": "create", "updated": "change", "deleted": "delete", "merged": "change"}
VERIFIED_TTL_SECONDS = 300.0
MAX_VERIFIED = 256
_verified: dict[str, float] = {}


@dataclass(frozen=True)
class DealChange:
    delivery_id: str
    observation: Observation


def basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        username, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, password) if sep else None


def check_basic_auth(connector: Connector, header: str, now: float) -> bool:
    credentials = basic_credentials(header)
    if credentials is None:
        return False
    username, password = credentials
    if not hmac.compare_digest(username.encode(), str(connector.settings.get("username", "")).encode()):
        return False
    stored = connector.sealed.get("password", "")
    remembered = hashlib.sha256(f"{connector.id}\0{stored}\0{password}".encode()).hexdigest()
    if _verified.get(remembered, 0.0) > now:
        return True
    if not connector.check_password("password", password):
        return False
    if len(_verified) >= MAX_VERIFIED:
        _verified.clear()
    _verified[remembered] = now + VERIFIED_TTL_SECONDS
    return True


def parse_webhook(document: Any, zone: ZoneInfo) -> DealChange | None:
    """The deal change a webhook reports; None for other objects; ValueError when malformed."""
    if not isinstance(document, dict) or not isinstance(document.get("meta"), dict):
        raise ValueError("expected a JSON object with meta")
    meta = document["meta"]
    entity = meta.get("entity") or meta.get("object")
    action = V1_ACTIONS.get(str(meta.get("action")), str(meta.get("action")))
    if entity != "deal":
        return None
    if action not in ("create", "change", "delete"):
        raise ValueError(f"unknown meta.action {meta.get('action')!r}")
    delivery = meta.get("id")
    if delivery in (None, ""):
        raise ValueError("meta.id is required")
    data = document.get("data") if document.get("data") is not None else document.get("current")
    previous = document.get("previous") if isinstance(document.get("previous"), dict) else {}
    deal = data if isinstance(data, dict) else previous
    deal_id = deal.get("id") if isinstance(deal, dict) else None
    deal_id = deal_id if deal_id is not None else meta.get("entity_id") or meta.get("id_on_object")
    if deal_id in (None, "") or not isinstance(deal, dict):
        raise ValueError("the deal (data.id or meta.entity_id) is missing")
    owner = deal.get("owner_id", deal.get("user_id"))
    if isinstance(owner, dict):  # v1 may expand users
        owner = owner.get("id")
    won = action != "delete" and deal.get("status") == "won"
    return DealChange(
        delivery_id=str(delivery),
        observation=Observation(
            deal_id=str(deal_id),
            won=won,
            owner=str(owner) if owner not in (None, "") else None,
            amount=normalise_amount(deal.get("value")),
            currency=deal.get("currency") or None,
            occurred_at=normalise_time(deal.get("won_time") or deal.get("close_time"), zone),
            as_of=epoch_seconds(deal.get("update_time") or meta.get("timestamp")),
        ),
    )


async def handle(arena: Arena, connector: Connector, request: Request, body: bytes, now_ms: int) -> Response:
    if not check_basic_auth(connector, request.headers.get("authorization", ""), time.monotonic()):
        log.warning("pipedrive %s: bad basic auth from %s", connector.id, request.client)
        raise ApiError(401, "invalid HTTP Basic credentials")
    try:
        change = parse_webhook(json.loads(body, parse_float=Decimal), arena.settings.zone)
    except ValueError as exc:
        raise ApiError(400, f"malformed Pipedrive webhook: {exc}") from None
    if change is None:
        return JSONResponse({"accepted": 0, "duplicates": 0, "held": 0, "rejected": [], "ignored": 1})
    store = arena.integrations
    if await store.delivered(connector.id, [change.delivery_id]):
        return JSONResponse({"accepted": 0, "duplicates": 0, "held": 0, "rejected": [], "redelivered": 1})
    routed = await store.transition(connector.id, change.observation)
    answer = await deliver(arena, connector, routed)
    await store.mark_delivered(connector.id, [change.delivery_id])
    return JSONResponse(answer)
