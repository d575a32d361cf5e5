"""CRM connectors: ``/api/v1/connectors`` to manage them (admin), ``POST /hooks/<type>/<id>`` for the CRMs.

A hook answers 401 for a bad signature or credentials (nothing is processed, the attempt is logged), 403
for the wrong Salesforce org or action, 400 for a malformed body, 404 for an unknown connector, and 503
when a CRM API or the needs-mapping list makes it impossible to finish now, so the CRM redelivers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from msgspec import Meta, Struct
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from game.errors import ValidationError
from server.api.codec import ANY_MEDIA, validated_document
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import ADMIN, SIGNED_BY_CRM
from server.http import ApiError, arena_of, read_body, require, validation_error
from server.integrations import fxiaoke, generic, hubspot, pipedrive, salesforce, zoho
from server.integrations.connectors import Connector, build_connector
from server.integrations.delivery_log import summarise
from server.integrations.sealing import SealError
from server.integrations.store import HoldFull

log = logging.getLogger("arena.integrations")

Handler = Callable[[Any, Connector, Request, bytes, int], Awaitable[Response]]
HANDLERS: dict[str, Handler] = {
    "hubspot": hubspot.handle,
    "salesforce": salesforce.handle,
    "pipedrive": pipedrive.handle,
    "zoho": zoho.handle,
    "fxiaoke": fxiaoke.handle,
    "generic": generic.handle,
}


def _admin(principal: Any) -> bool:
    return principal.role == "admin"


async def connector_of(request: Request) -> Connector:
    connector = await arena_of(request).integrations.connector(request.path_params["id"])
    if connector is None:
        raise ApiError(404, f"no connector {request.path_params['id']!r}")
    return connector


async def create_connector(request: Request) -> JSONResponse:
    await require(request, _admin, "manage connectors")
    arena = arena_of(request)
    body = await validated_document(request, ConnectorInput, "connector")
    try:
        connector = build_connector(
            body,
            secret_key=arena.settings.secret_key,
            created_at=datetime.now(UTC).isoformat(),
            allow_private=arena.settings.outbound_allow_private,
        )
    except ValidationError as exc:
        raise validation_error(exc, "invalid connector") from None
    await arena.integrations.save_connector(connector)
    log.info("connector %s (%s) created", connector.id, connector.type)
    return JSONResponse({"id": connector.id, "url": connector.url(arena.settings.base_url)}, status_code=201)


async def list_connectors(request: Request) -> JSONResponse:
    await require(request, _admin, "list connectors")
    arena = arena_of(request)
    connectors = await arena.integrations.connectors()
    return JSONResponse({"connectors": [c.public(arena.settings.base_url) for c in connectors]})


async def get_connector(request: Request) -> JSONResponse:
    await require(request, _admin, "read connectors")
    return JSONResponse((await connector_of(request)).public(arena_of(request).settings.base_url))


async def delete_connector(request: Request) -> Response:
    await require(request, _admin, "delete connectors")
    connector = await connector_of(request)
    await arena_of(request).integrations.delete_connector(connector.id)
    log.info("connector %s (%s) deleted", connector.id, connector.type)
    return Response(status_code=204)


async def list_unmapped(request: Request) -> JSONResponse:
    """The needs-mapping list: CRM users whose events wait for a rep with that alias."""
    await require(request, _admin, "read connectors")
    connector = await connector_of(request)
    owners = await arena_of(request).integrations.unmapped(connector.id)
    return JSONResponse({"connector": connector.id, "owners": owners})


async def receive_hook(request: Request) -> Response:
    arena = arena_of(request)
    now_ms = int(time.time() * 1000)
    connector = await arena.integrations.connector(request.path_params["id"])
    if connector is None or connector.type != request.path_params["source"]:
        raise ApiError(404, "no such hook")
    body = await read_body(request)
    at = datetime.now(UTC).isoformat()
    try:
        response = await _handled(arena, connector, request, body, now_ms)
    except ApiError as exc:
        await _log_delivery(arena, connector, summarise(at, exc.status, error=exc.message))
        raise
    await _log_delivery(arena, connector, summarise(at, response.status_code, _answer_of(response)))
    return response


async def _log_delivery(arena: Any, connector: Connector, summary: dict[str, Any]) -> None:
    """Keep the outcome for the console; a storage failure here never changes what the CRM is answered."""
    try:
        await arena.integrations.log_delivery(connector.id, summary)
    except (RedisError, OSError) as exc:
        log.warning("connector %s: delivery outcome not kept: %s", connector.id, exc)


def _answer_of(response: Response) -> Any:
    """The JSON answer a handler gave (None for a CRM's own acknowledgement, such as Salesforce's XML)."""
    try:
        return json.loads(bytes(response.body))
    except ValueError:
        return None


async def _handled(arena: Any, connector: Connector, request: Request, body: bytes, now_ms: int) -> Response:
    try:
        return await HANDLERS[connector.type](arena, connector, request, body, now_ms)
    except HoldFull as exc:
        log.error("%s", exc)
        raise ApiError(503, str(exc)) from None
    except SealError as exc:
        log.error("connector %s: cannot read its secrets (%s); was ARENA_SECRET_KEY changed?", connector.id, exc)
        raise ApiError(500, "connector secrets unreadable: re-create the connector") from None
    except RedisError as exc:
        log.error("connector %s: redis error: %s", connector.id, exc)
        raise ApiError(503, "storage unavailable; redeliver later") from None
    except RecursionError:  # every CRM's body is parsed by its handler; none may nest without end
        raise ApiError(400, "malformed body: nested too deeply") from None


class ConnectorInput(Struct):
    type: Annotated[str, Meta(description="hubspot, salesforce, pipedrive, zoho, fxiaoke or generic.")]
    name: str
    config: Annotated[dict[str, Any], Meta(description="Per CRM: see docs/integrations/.")] = {}


class ConnectorView(Struct, omit_defaults=True):
    id: str
    type: str
    name: str
    url: Annotated[str, Meta(description="The webhook URL to paste into the CRM.")]
    config: dict[str, Any] = {}
    secrets: list[str] = []
    created_at: str | None = None


class ConnectorCreated(Struct):
    id: str
    url: str


class ConnectorList(Struct):
    connectors: list[ConnectorView]


class Unmapped(Struct):
    connector: str
    owners: list[dict[str, Any]]


NO_CONNECTOR = not_found("connector")
routes = [
    ApiRoute(
        "/connectors",
        create_connector,
        "POST",
        Operation(
            "Create a CRM connector",
            "connectors",
            body=ConnectorInput,
            response=ConnectorCreated,
            status=201,
            answers=(
                Answer(422, "an unknown CRM", "type", body={"type": "sugarcrm", "name": "x"}),
                Answer(
                    422,
                    "a config the CRM cannot use",
                    "config.access_token",
                    body={"type": "hubspot", "name": "h", "config": {}},
                    cross_field=True,
                ),
            ),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/connectors",
        list_connectors,
        "GET",
        Operation("List CRM connectors", "connectors", response=ConnectorList, access=ADMIN),
    ),
    ApiRoute(
        "/connectors/{id}",
        get_connector,
        "GET",
        Operation(
            "One connector (secrets are never shown)",
            "connectors",
            response=ConnectorView,
            answers=(NO_CONNECTOR,),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/connectors/{id}",
        delete_connector,
        "DELETE",
        Operation("Delete a connector", "connectors", status=204, answers=(NO_CONNECTOR,), access=ADMIN),
    ),
    ApiRoute(
        "/connectors/{id}/unmapped",
        list_unmapped,
        "GET",
        Operation(
            "CRM users whose events wait for a rep alias",
            "connectors",
            response=Unmapped,
            answers=(NO_CONNECTOR,),
            access=ADMIN,
        ),
    ),
]

hook_routes = [
    ApiRoute(
        "/hooks/{source}/{id}",
        receive_hook,
        "POST",
        Operation(
            "A CRM's webhook delivery (hubspot, salesforce, pipedrive, zoho, fxiaoke, generic)",
            "connectors",
            "hook",
            body=dict[str, Any],
            body_media=(ANY_MEDIA,),  # each CRM's own: JSON, Salesforce's SOAP XML
            response=dict[str, Any],
            answers=(Answer(404, "no such hook", body={}, path={"source": "hubspot"}),),
            access=SIGNED_BY_CRM,
        ),
    )
]
