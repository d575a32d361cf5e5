"""HubSpot webhooks: v3 signatures, batched deal events, deals fetched from the CRM API.

HubSpot sends only ids and the changed property, in batches of up to 100 events, so each deal named is
fetched once (``GET /crm/v3/objects/deals/{id}``) and its current stage decides: a won stage (per
connector, ``closedwon`` by default) scores, leaving it reverses. Deliveries are deduplicated on
``portalId`` + ``subscriptionId`` + ``eventId``. Both the legacy ``deal.*`` and the generic ``object.*``
(``objectTypeId`` ``0-3``) subscriptions are read; a merge reverses the merged deals' wins and reads the
primary deal; association changes are ignored (they carry no ``objectId`` and never move a stage).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.http import ApiError
from server.integrations.connectors import Connector, stage_key
from server.integrations.deals import Observation, epoch_seconds, normalise_amount, normalise_time
from server.integrations.pipeline import deliver
from server.outbound import OutboundClient, OutboundError
from server.outbound_targets import HUBSPOT_HOSTS

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.integrations.hubspot")
SIGNATURE_WINDOW_MS = 5 * 60 * 1000
MAX_EVENTS = 1000
DEAL_PROPERTIES = ("hubspot_owner_id", "amount", "deal_currency_code", "closedate", "dealstage")
DEALS_OBJECT_TYPE = "0-3"
# HubSpot signs the URI with these characters decoded (its request-validation guide lists them).
URI_DECODED = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


@dataclass(frozen=True)
class DealNotification:
    delivery_id: str
    deal_id: str
    deleted: bool
    occurred_at_ms: int | None


def decode_uri(uri: str) -> str:
    for encoded, plain in URI_DECODED.items():
        uri = uri.replace(encoded, plain).replace(encoded.lower(), plain)
    return uri


def signature_v3(client_secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """base64(HMAC-SHA256(client_secret, method + uri + body + timestamp))."""
    message = method.encode() + decode_uri(uri).encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(client_secret.encode(), message, hashlib.sha256).digest()).decode()


def verify_signature(
    client_secret: str, method: str, uris: Iterable[str], body: bytes, timestamp: str, signature: str, now_ms: int
) -> bool:
    """True for a fresh timestamp (within 5 minutes) and a signature matching one of the URIs the request
    may have been signed with (the public URL we handed out, or the URL as this process saw it)."""
    if not timestamp.isdigit() or not signature or abs(now_ms - int(timestamp)) > SIGNATURE_WINDOW_MS:
        return False
    expected = [signature_v3(client_secret, method, uri, body, timestamp) for uri in dict.fromkeys(uris)]
    return any(hmac.compare_digest(candidate.encode(), signature.encode()) for candidate in expected)


def parse_notifications(document: Any) -> tuple[list[DealNotification], int]:
    """Deal notifications of a batch (``subscriptionType`` or ``eventType``), and how many were ignored."""
    if isinstance(document, dict):
        document = [document]
    if not isinstance(document, list) or len(document) > MAX_EVENTS:
        raise ValueError(f"expected a JSON array of at most {MAX_EVENTS} events")
    found: list[DealNotification] = []
    ignored = 0
    for event in document:
        if not isinstance(event, dict):
            raise ValueError("every event must be an object")
        kind = event.get("subscriptionType") or event.get("eventType") or ""
        subject, _, action = str(kind).partition(".")
        is_deal = subject == "deal" or (subject == "object" and str(event.get("objectTypeId")) == DEALS_OBJECT_TYPE)
        if not is_deal or action == "associationChange":  # an association never changes a deal's stage
            ignored += 1
            continue
        object_id = _deal_id(event.get("primaryObjectId", event.get("objectId")))
        parts = [str(event.get(name, "")) for name in ("portalId", "subscriptionId", "eventId")]
        if not parts[2]:
            raise ValueError("every event needs an eventId")
        occurred = event.get("occurredAt")
        at_ms = int(occurred) if isinstance(occurred, (int, Decimal)) else None
        delivery = ":".join(parts)
        found.append(DealNotification(delivery, object_id, action == "deletion", at_ms))
        # A merge folds deals into the primary one: the merged deals are gone, so their wins are reversed.
        merged = event.get("mergedObjectIds") if action == "merge" else None
        if isinstance(merged, list):
            for gone in dict.fromkeys(_deal_id(m) for m in merged[:MAX_EVENTS]):
                if gone != object_id:
                    found.append(DealNotification(f"{delivery}:{gone}", gone, True, at_ms))
    return found, ignored


def _deal_id(value: Any) -> str:
    if isinstance(value, bool) or not str(value).isdigit() or len(str(value)) > 30:
        raise ValueError("every deal event needs a numeric objectId")
    return str(value)


def observation_from_deal(deal: dict[str, Any], won_stages: frozenset[str], zone: ZoneInfo) -> Observation:
    """A deal as ``GET /crm/v3/objects/deals/{id}`` returns it, seen as won or not."""
    properties = deal.get("properties") or {}
    stage = properties.get("dealstage") or ""
    archived = bool(deal.get("archived"))
    return Observation(
        deal_id=str(deal.get("id")),
        won=not archived and stage_key(str(stage)) in won_stages,
        owner=str(properties["hubspot_owner_id"]) if properties.get("hubspot_owner_id") else None,
        amount=normalise_amount(properties.get("amount")),
        currency=properties.get("deal_currency_code") or None,
        occurred_at=normalise_time(properties.get("closedate"), zone),
        as_of=epoch_seconds(deal.get("updatedAt") or properties.get("hs_lastmodifieddate")),
    )


async def fetch_deal(client: OutboundClient, api_base: str, token: str, deal_id: str) -> dict[str, Any] | None:
    url = f"{api_base}/crm/v3/objects/deals/{deal_id}?properties={','.join(DEAL_PROPERTIES)}"
    return await client.get_json(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})


async def handle(arena: Arena, connector: Connector, request: Request, body: bytes, now_ms: int) -> Response:
    secret_key = arena.settings.secret_key
    query = f"?{request.url.query}" if request.url.query else ""
    uris = (f"{arena.settings.base_url}{request.url.path}{query}", str(request.url))
    if not verify_signature(
        connector.secret("client_secret", secret_key),
        request.method,
        uris,
        body,
        request.headers.get("x-hubspot-request-timestamp", ""),
        request.headers.get("x-hubspot-signature-v3", ""),
        now_ms,
    ):
        log.warning("hubspot %s: bad or stale signature from %s", connector.id, request.client)
        raise ApiError(401, "invalid or expired X-HubSpot-Signature-v3")
    try:
        notifications, ignored = parse_notifications(json.loads(body, parse_float=Decimal))
    except ValueError as exc:
        raise ApiError(400, f"malformed HubSpot webhook: {exc}") from None
    store = arena.integrations
    seen = await store.delivered(connector.id, [n.delivery_id for n in notifications])
    fresh = [n for n in notifications if n.delivery_id not in seen]
    by_deal: dict[str, list[DealNotification]] = {}
    for item in fresh:
        by_deal.setdefault(item.deal_id, []).append(item)
    answer = await _process(arena, connector, by_deal)
    answer.update(ignored=ignored, redelivered=len(notifications) - len(fresh))
    if answer.pop("failed"):
        return JSONResponse({"error": "deals could not be read from the HubSpot API; redeliver later", **answer}, 503)
    return JSONResponse(answer)


async def _process(arena: Arena, connector: Connector, by_deal: dict[str, list[DealNotification]]) -> dict[str, Any]:
    store = arena.integrations
    api_base = connector.settings.get("api_base", "https://api.hubapi.com")
    token = connector.secret("access_token", arena.settings.secret_key)
    won_stages, zone = connector.won_stages(), arena.settings.zone

    async with OutboundClient(allow_private=arena.settings.outbound_allow_private, hosts=HUBSPOT_HOSTS) as client:

        async def observe(deal_id: str, items: list[DealNotification]) -> Observation | None:
            latest = max(items, key=lambda item: item.occurred_at_ms or 0)
            if latest.deleted:  # no need to ask: a deleted deal is not won (a restore would come later)
                return Observation(deal_id=deal_id, won=False)
            try:
                deal = await fetch_deal(client, api_base, token, deal_id)
            except OutboundError as exc:
                log.warning("hubspot %s: deal %s not fetched: %s", connector.id, deal_id, exc)
                return None
            if deal is None:  # gone: deleted since the event was sent
                return Observation(deal_id=deal_id, won=False)
            return observation_from_deal({**deal, "id": deal.get("id", deal_id)}, won_stages, zone)

        observations = await asyncio.gather(*(observe(d, items) for d, items in by_deal.items()))
    routed = []
    done: list[str] = []
    failed = 0
    for items, seen in zip(by_deal.values(), observations, strict=True):
        if seen is None:
            failed += 1
            continue
        routed.extend(await store.transition(connector.id, seen))
        done.extend(item.delivery_id for item in items)
    answer = await deliver(arena, connector, routed)
    await store.mark_delivered(connector.id, done)
    answer["failed"] = failed
    return answer
