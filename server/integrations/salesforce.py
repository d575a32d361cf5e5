"""Salesforce Outbound Messages: SOAP ``notifications`` of Opportunities, answered with an ``Ack``.

Outbound messages are not signed; the connector's OrganizationId and ActionId are checked (a mismatch is
403) and the URL carries the connector's random id. XML is parsed with ``defusedxml`` (no entities, no
DTDs: an XML bomb or an external entity is refused, not expanded). Each ``Notification/Id`` is
deduplicated, because Salesforce may deliver a message more than once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from starlette.requests import Request
from starlette.responses import Response

from server.http import ApiError
from server.integrations.connectors import Connector, stage_key
from server.integrations.deals import Observation, epoch_seconds, normalise_amount, normalise_time
from server.integrations.pipeline import deliver

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.integrations.salesforce")
MAX_NOTIFICATIONS = 100
OPPORTUNITY_FIELDS = ("Id", "StageName", "IsWon", "Amount", "OwnerId", "CloseDate", "CurrencyIsoCode",
                      "LastModifiedDate")  # fmt: skip
ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soapenv:Body>"
    '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)


@dataclass(frozen=True)
class Notification:
    id: str
    fields: dict[str, str]


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str
    notifications: list[Notification]


def _local(element: Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> Element | None:
    return next((child for child in element if _local(child) == name), None)


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def parse_outbound_message(body: bytes) -> OutboundMessage:
    """The notifications of a SOAP outbound message; ValueError when it is not one."""
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise ValueError(f"not well-formed or unsafe XML: {exc}") from None
    envelope_body = _child(root, "Body") if _local(root) == "Envelope" else None
    message = _child(envelope_body, "notifications") if envelope_body is not None else None
    if message is None:
        raise ValueError("expected a SOAP Envelope/Body/notifications element")
    notifications = []
    for item in message:
        if _local(item) != "Notification":
            continue
        sobject = _child(item, "sObject")
        if sobject is None or not _text(_child(item, "Id")):
            raise ValueError("every Notification needs an Id and an sObject")
        fields = {_local(f): _text(f) for f in sobject if _local(f) in OPPORTUNITY_FIELDS}
        notifications.append(Notification(_text(_child(item, "Id")), fields))
    if len(notifications) > MAX_NOTIFICATIONS:
        raise ValueError(f"at most {MAX_NOTIFICATIONS} notifications per message")
    return OutboundMessage(_text(_child(message, "OrganizationId")), _text(_child(message, "ActionId")), notifications)


def same_id(given: str, configured: str) -> bool:
    """Salesforce ids compare on their case-sensitive 15-character form (18 = 15 + a checksum suffix)."""
    return len(given) in (15, 18) and given[:15] == configured[:15]


def observation_from_opportunity(fields: dict[str, str], won_stages: frozenset[str], zone: ZoneInfo) -> Observation:
    stage = fields.get("StageName", "")
    return Observation(
        deal_id=fields["Id"],
        won=fields.get("IsWon", "").lower() == "true" or (bool(stage) and stage_key(stage) in won_stages),
        owner=fields.get("OwnerId") or None,
        amount=normalise_amount(fields.get("Amount")),
        currency=fields.get("CurrencyIsoCode") or None,
        occurred_at=normalise_time(fields.get("CloseDate"), zone),
        as_of=epoch_seconds(fields.get("LastModifiedDate") or None),
    )


def ack() -> Response:
    return Response(ACK, media_type="text/xml; charset=utf-8")


async def handle(arena: Arena, connector: Connector, request: Request, body: bytes, now_ms: int) -> Response:
    try:
        message = parse_outbound_message(body)
    except ValueError as exc:
        raise ApiError(400, f"malformed Salesforce outbound message: {exc}") from None
    if not same_id(message.organization_id, connector.settings["organization_id"]) or not same_id(
        message.action_id, connector.settings["action_id"]
    ):
        log.warning(
            "salesforce %s: OrganizationId %r / ActionId %r do not match, from %s",
            connector.id,
            message.organization_id[:18],
            message.action_id[:18],
            request.client,
        )
        raise ApiError(403, "OrganizationId or ActionId does not match this connector")
    store = arena.integrations
    seen = await store.delivered(connector.id, [n.id for n in message.notifications])
    fresh = [n for n in message.notifications if n.id not in seen and n.fields.get("Id")]
    won_stages, zone = connector.won_stages(), arena.settings.zone
    routed = []
    for notification in fresh:
        observation = observation_from_opportunity(notification.fields, won_stages, zone)
        routed.extend(await store.transition(connector.id, observation))
    answer = await deliver(arena, connector, routed)
    await store.mark_delivered(connector.id, [n.id for n in fresh])
    log.info("salesforce %s: %d notification(s), %s", connector.id, len(message.notifications), answer)
    return ack()
