"""Zoho CRM notifications: the echoed ``token`` and ``channel_id`` are checked, Deals fetched by id.

A notification names the module, the operation and the record ids; the records are read through the CRM
API (``GET {api_base}/crm/v2/Deals/{id}``, ``Authorization: Zoho-oauthtoken``). ``Stage`` "Closed Won"
(or the connector's won stages) scores; ``Owner.id`` is the CRM user. Since the current state is read,
a redelivered notification changes nothing, so no delivery id is needed.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.http import ApiError
from server.integrations import zoho_oauth
from server.integrations.connectors import Connector, stage_key
from server.integrations.deals import Observation, epoch_seconds, normalise_amount, normalise_time
from server.integrations.pipeline import deliver
from server.outbound import OutboundClient, OutboundError
from server.outbound_targets import ZOHO_ACCOUNTS_HOSTS, ZOHO_API_HOSTS

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.integrations.zoho")
MAX_IDS = 100
RECORD_ID = re.compile(r"^[0-9]{1,30}$")


@dataclass(frozen=True)
class ZohoNotification:
    channel_id: str
    token: str
    module: str
    operation: str
    ids: list[str]


def parse_notification(document: Any) -> ZohoNotification:
    if not isinstance(document, dict):
        raise ValueError("expected a JSON object")
    ids = document.get("ids")
    if not isinstance(ids, list) or len(ids) > MAX_IDS or not all(RECORD_ID.match(str(i)) for i in ids):
        raise ValueError(f"ids must be a list of at most {MAX_IDS} numeric record ids")
    return ZohoNotification(
        channel_id=str(document.get("channel_id", "")),
        token=str(document.get("token", "")),
        module=str(document.get("module", "")),
        operation=str(document.get("operation", "")),
        ids=[str(i) for i in ids],
    )


def authentic(notification: ZohoNotification, token: str, channel_id: str) -> bool:
    token_ok = hmac.compare_digest(notification.token.encode(), token.encode())
    return token_ok and hmac.compare_digest(notification.channel_id.encode(), channel_id.encode())


def observation_from_record(record: dict[str, Any], won_stages: frozenset[str], zone: ZoneInfo) -> Observation:
    owner = record.get("Owner")
    owner_id = owner.get("id") if isinstance(owner, dict) else owner
    return Observation(
        deal_id=str(record["id"]),
        won=stage_key(str(record.get("Stage") or "")) in won_stages,
        owner=str(owner_id) if owner_id not in (None, "") else None,
        amount=normalise_amount(record.get("Amount")),
        currency=record.get("Currency") or None,
        occurred_at=normalise_time(record.get("Closing_Date"), zone),
        as_of=epoch_seconds(record.get("Modified_Time")),
    )


async def handle(arena: Arena, connector: Connector, request: Request, body: bytes, now_ms: int) -> Response:
    secret_key = arena.settings.secret_key
    try:
        notification = parse_notification(json.loads(body, parse_float=Decimal))
    except ValueError as exc:
        log.warning("zoho %s: unreadable notification from %s: %s", connector.id, request.client, exc)
        raise ApiError(400, f"malformed Zoho notification: {exc}") from None
    if not authentic(notification, connector.secret("token", secret_key), connector.settings["channel_id"]):
        log.warning("zoho %s: token or channel_id mismatch from %s", connector.id, request.client)
        raise ApiError(401, "token or channel_id does not match this connector")
    if notification.module != "Deals" or not notification.ids:
        return JSONResponse({"accepted": 0, "duplicates": 0, "held": 0, "rejected": [], "ignored": 1})
    api_base = connector.settings.get("api_base", "https://www.zohoapis.com")
    won_stages, zone = connector.won_stages(), arena.settings.zone

    hosts = ZOHO_API_HOSTS + ZOHO_ACCOUNTS_HOSTS
    async with OutboundClient(allow_private=arena.settings.outbound_allow_private, hosts=hosts) as client:

        async def fetch(deal_id: str) -> Any:
            url = f"{api_base}/crm/v2/Deals/{deal_id}"
            token = await zoho_oauth.access_token(arena.integrations, connector, client, secret_key)
            try:
                return await client.get_json(url, headers={"Authorization": f"Zoho-oauthtoken {token}"})
            except OutboundError as exc:
                if exc.status != 401 or not zoho_oauth.refreshes(connector):
                    raise
            # Zoho says the token is invalid (expired early, or revoked): buy a new one, once.
            token = await zoho_oauth.access_token(arena.integrations, connector, client, secret_key, stale=token)
            return await client.get_json(url, headers={"Authorization": f"Zoho-oauthtoken {token}"})

        async def observe(deal_id: str) -> Observation | None:
            if notification.operation == "delete":
                return Observation(deal_id=deal_id, won=False)
            try:
                found = await fetch(deal_id)
            except OutboundError as exc:
                log.warning("zoho %s: deal %s not fetched: %s", connector.id, deal_id, exc)
                return None
            records = found.get("data") if isinstance(found, dict) else None
            if not records:
                return Observation(deal_id=deal_id, won=False)
            return observation_from_record({**records[0], "id": records[0].get("id", deal_id)}, won_stages, zone)

        observations = await asyncio.gather(*(observe(i) for i in dict.fromkeys(notification.ids)))
    store = arena.integrations
    routed = []
    for seen in observations:
        if seen is not None:
            routed.extend(await store.transition(connector.id, seen))
    answer = await deliver(arena, connector, routed)
    if any(seen is None for seen in observations):
        return JSONResponse({"error": "deals could not be read from the Zoho CRM API", **answer}, status_code=503)
    return JSONResponse(answer)
