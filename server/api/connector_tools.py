"""What the console does with a connector besides creating it: its latest deliveries, a signed test delivery,
and mapping a CRM user that arrived unmatched to a rep in one step.

Mapping sets the rep's alias for the connector (the same alias ``PUT /api/v1/reps/{id}`` sets) and scores
the events held for that CRM user at once; they keep their ids, so nothing counts twice.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from msgspec import Meta, Struct
from starlette.requests import Request
from starlette.responses import JSONResponse

from server.api.codec import decode_body
from server.api.connectors import NO_CONNECTOR, connector_of
from server.api.contract import Answer, ApiRoute, Operation
from server.auth.access import ADMIN
from server.http import ApiError, arena_of, require
from server.integrations import fxiaoke
from server.integrations.delivery_log import summarise
from server.integrations.generic import sign
from server.integrations.pipeline import MAX_OWNER_LENGTH, release_owner

log = logging.getLogger("arena.integrations")
TEST_TIMEOUT_SECONDS = 10.0
SIGNED_BY_US = ("generic", "fxiaoke")  # connectors signed with our own scheme, so we can sign a test delivery


def _admin(principal: Any) -> bool:
    return principal.role == "admin"


def sample_deal(now: datetime) -> dict[str, Any]:
    """A won deal as a CRM would send it, for a test delivery (checked, never kept)."""
    return {
        "id": f"arena-test-{secrets.token_hex(4)}",
        "type": "deal.won",
        "rep": "arena-test-user",
        "amount": "1000",
        "occurred_at": (now - timedelta(minutes=1)).isoformat(),
    }


async def list_deliveries(request: Request) -> JSONResponse:
    await require(request, _admin, "read connectors")
    connector = await connector_of(request)
    deliveries = await arena_of(request).integrations.delivery_log(connector.id)
    return JSONResponse({"connector": connector.id, "deliveries": deliveries})


async def test_connector(request: Request) -> JSONResponse:
    """Post a signed sample deal to the connector's own webhook, marked as a dry run, and say what came back."""
    await require(request, _admin, "test connectors")
    connector = await connector_of(request)
    if connector.type not in SIGNED_BY_US:
        raise ApiError(409, f"{connector.type} sends its own test deliveries: use the CRM's test button")
    arena = arena_of(request)
    now = datetime.now(UTC)
    if connector.type == "fxiaoke":
        sample = fxiaoke.sample_record(now, connector.settings["won_stages"][0])
    else:
        sample = sample_deal(now)
    body = httpx.Request("POST", "/", json=sample).content
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Arena-Timestamp": timestamp,
        "X-Arena-Signature": sign(connector.secret("secret", arena.settings.secret_key), timestamp, body),
        "X-Arena-Dry-Run": "1",
    }
    transport = httpx.ASGITransport(app=request.app, client=("127.0.0.1", 0))
    async with httpx.AsyncClient(transport=transport, base_url=arena.settings.base_url) as client:
        answer = await client.post(connector.url(""), content=body, headers=headers, timeout=TEST_TIMEOUT_SECONDS)
    try:
        document = answer.json()
    except ValueError:
        document = None
    error = document.get("error") if isinstance(document, dict) and answer.status_code >= 400 else None
    return JSONResponse(summarise(datetime.now(UTC).isoformat(), answer.status_code, document, error))


async def map_crm_user(request: Request) -> JSONResponse:
    """Give a rep the CRM user as this connector's alias, then score what waited for that user."""
    principal = await require(request, _admin, "map CRM users")
    body = await decode_body(request, MapInput, "mapping")
    arena = arena_of(request)
    crm_user, rep_id = body.crm_user, body.rep
    connector = await connector_of(request)
    rep = await arena.registry.rep_document(rep_id)
    if rep is None:
        message = f"unknown rep {rep_id!r}"
        raise ApiError(422, f"invalid mapping: rep: {message}", [{"field": "rep", "message": message}])
    aliases = dict(rep.get("aliases") or {})
    if aliases.get(connector.id) not in (None, crm_user):
        message = f"already mapped to CRM user {aliases[connector.id]!r} on this connector"
        raise ApiError(409, f"rep {rep_id!r} is {message}", [{"field": "rep", "message": message}])
    aliases[connector.id] = crm_user
    replaced = await arena.registry.put_rep(
        {**rep, "aliases": aliases, "updated_at": datetime.now(UTC).isoformat()}, principal.name
    )
    await arena.sync_rosters(reps=[rep_id], former_teams=[(replaced or {}).get("team")])
    counts = await release_owner(arena, connector, crm_user, rep_id)
    log.info("connector %s: CRM user %r mapped to rep %s", connector.id, crm_user, rep_id)
    return JSONResponse({"connector": connector.id, "crm_user": crm_user, "rep": rep_id, **counts})


class MapInput(Struct, forbid_unknown_fields=True):
    crm_user: Annotated[
        str,
        Meta(description="The CRM user id, exactly as the CRM sends it.", min_length=1, max_length=MAX_OWNER_LENGTH),
    ]
    rep: Annotated[str, Meta(description="The rep who is this CRM user.", min_length=1, max_length=128)]


class Mapped(Struct):
    connector: str
    crm_user: str
    rep: str
    accepted: Annotated[int, Meta(description="Held events now scored.")]
    duplicates: int
    rejected: int


class DeliveryOutcome(Struct, omit_defaults=True):
    at: str
    status: int
    outcome: Annotated[str, Meta(description="accepted, held, duplicate, ignored, test or rejected.")]
    reason: Annotated[str, Meta(description="signature, malformed, forbidden, too_large, unavailable, event.")] = ""
    error: str = ""
    accepted: int = 0
    duplicates: int = 0
    held: int = 0
    rejected: int = 0
    events: Annotated[list[dict[str, Any]], Meta(description="Refused events: number (from 1) and fields.")] = []


class DeliveryList(Struct):
    connector: str
    deliveries: list[DeliveryOutcome]


routes = [
    ApiRoute(
        "/connectors/{id}/deliveries",
        list_deliveries,
        "GET",
        Operation(
            "The latest webhook deliveries and their outcome, newest first",
            "connectors",
            response=DeliveryList,
            answers=(NO_CONNECTOR,),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/connectors/{id}/test",
        test_connector,
        "POST",
        Operation(
            "Send a signed sample deal through the webhook as a dry run (generic and fxiaoke connectors)",
            "connectors",
            response=DeliveryOutcome,
            answers=(NO_CONNECTOR,),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/connectors/{id}/map",
        map_crm_user,
        "POST",
        Operation(
            "Map a CRM user to a rep and score the events held for it",
            "connectors",
            body=MapInput,
            response=Mapped,
            answers=(
                Answer(404, NO_CONNECTOR.summary, body={"crm_user": "u1", "rep": "r1"}),
                Answer(422, "a field missing", "rep", body={"crm_user": "u1"}),
            ),
            access=ADMIN,
        ),
    ),
]
