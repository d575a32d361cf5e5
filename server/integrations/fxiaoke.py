"""纷享销客 (Fxiaoke): 商机 / 订单 records pushed by a custom function, signed like the generic webhook.

Fxiaoke's public open-platform documentation describes no event callback format and no signature scheme
for object changes, so nothing here guesses one. A workflow on 商机 (``NewOpportunityObj``) or 销售订单
(``SalesOrderObj``) runs a custom function that posts the record as ``/cgi/crm/v2/data/get`` returns it,
signed with ``X-Arena-Timestamp`` / ``X-Arena-Signature`` (``generic.sign``; 5-minute replay window).
Unlike the generic webhook the body is the CRM's own record, not an event: its stage field decides
whether the deal is won now, and ``deals.observe`` turns that state into ``deal.won`` / ``deal.reversed``
with ids from the object's api name and ``_id``, ordered by ``last_modified_time``. A record that is
invalidated (作废, ``life_status`` ``invalid``) or deleted (``is_deleted``) reverses a win. With
``X-Arena-Dry-Run: 1`` the records are checked as if first seen and nothing is kept.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.http import ApiError
from server.integrations.connectors import Connector, stage_key
from server.integrations.deals import DealState, Observation, epoch_seconds, normalise_amount, normalise_time, observe
from server.integrations.generic import require_signature
from server.integrations.pipeline import deliver, dry_run

if TYPE_CHECKING:
    from server.arena import Arena

MAX_RECORDS = 100
MAX_ID_LENGTH = 64
DEFAULT_OBJECT = "NewOpportunityObj"


def _text(value: Any) -> str | None:
    if isinstance(value, list):  # Fxiaoke's owner and single-select fields come as lists
        value = value[0] if value else None
    if value is None or isinstance(value, (bool, dict)) or str(value).strip() == "":
        return None
    return str(value).strip()


def observation_from_record(
    record: Any, *, stage_field: str, amount_field: str, won_stages: frozenset[str], zone: ZoneInfo
) -> Observation:
    """One 商机 / 订单 record, seen as won or not; ValueError when it is not a record."""
    if not isinstance(record, dict):
        raise ValueError("every record must be a JSON object")
    record_id = _text(record.get("_id"))
    if record_id is None or len(record_id) > MAX_ID_LENGTH:
        raise ValueError(f"every record needs an _id of at most {MAX_ID_LENGTH} characters")
    api_name = _text(record.get("object_describe_api_name")) or DEFAULT_OBJECT
    stage = _text(record.get(stage_field))
    gone = record.get("is_deleted") is True or _text(record.get("life_status")) == "invalid"
    return Observation(
        deal_id=f"{api_name}:{record_id}",
        won=not gone and stage is not None and stage_key(stage) in won_stages,
        owner=_text(record.get("owner")),
        amount=normalise_amount(record.get(amount_field)),
        currency=_text(record.get("mc_currency")),
        occurred_at=normalise_time(record.get("close_date"), zone),
        as_of=epoch_seconds(record.get("last_modified_time")),
        customer=_text(record.get("account_id__r")) or _text(record.get("account_id")),
    )


def sample_record(now: datetime, won_stage: str) -> dict[str, Any]:
    """A won 商机 as a custom function would send it, for the console's test delivery (checked, never kept)."""
    return {
        "_id": f"arena-test-{secrets.token_hex(4)}",
        "object_describe_api_name": DEFAULT_OBJECT,
        "owner": ["arena-test-user"],
        "amount": "1000",
        "sales_stage": won_stage,
        "close_date": int(now.timestamp() * 1000) - 60_000,
        "last_modified_time": int(now.timestamp() * 1000),
    }


def parse_records(document: Any) -> list[Any]:
    records = document if isinstance(document, list) else [document]
    if not records or len(records) > MAX_RECORDS:
        raise ValueError(f"send one record or an array of 1 to {MAX_RECORDS} records")
    return records


async def handle(arena: Arena, connector: Connector, request: Request, body: bytes, now_ms: int) -> Response:
    require_signature(arena, connector, request, body, now_ms)
    settings = connector.settings
    try:
        observations = [
            observation_from_record(
                record,
                stage_field=settings.get("stage_field", "sales_stage"),
                amount_field=settings.get("amount_field", "amount"),
                won_stages=connector.won_stages(),
                zone=arena.settings.zone,
            )
            for record in parse_records(json.loads(body, parse_float=Decimal))
        ]
    except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors too
        raise ApiError(400, f"malformed Fxiaoke record: {exc}") from None
    if request.headers.get("x-arena-dry-run") == "1":  # the console's test delivery: checked, nothing kept
        return JSONResponse(dry_run(arena, [r for seen in observations for r in observe(DealState(), seen)[1]]))
    store = arena.integrations
    routed = []
    for seen in observations:
        routed.extend(await store.transition(connector.id, seen))
    return JSONResponse(await deliver(arena, connector, routed))
