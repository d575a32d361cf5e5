"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document, generated from what the routes declare.

Each API route is an ``ApiRoute`` carrying its ``Operation`` (``server/api/contract.py``): summary, tag, who may
call it, the msgspec types of its body, answer and query, and its client errors with examples. This module
walks the app's routes (through the mounts that group them by area) and asks msgspec for the JSON Schema of
every type named, so the document cannot drift from what the handlers decode. The websocket protocol is
described in ``docs/protocol.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount

from server.api.contract import AUTH, MISSING, Answer, ApiRoute, CsvDocument, Error, Operation, client_errors
from server.auth.access import PUBLIC
from server.http import ArenaJSONResponse, arena_of

VERSION = "1.0.0"
PATH_PARAMETER = re.compile(r"{([^}:]+)(?::[^}]+)?}")
REF = "#/components/schemas/{name}"
SAFE = ("get", "head")
DESCRIPTION = (
    "Real-time sales competitions. Management calls take `Authorization: Bearer <key>` (or a console session with "
    'its CSRF token); every error is a 4xx with `{"error": "...", "errors": [{"field", "message"}]}`. The '
    "websocket `/ws` is described in docs/protocol.md."
)
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (admin, ingest or read scope) or a display token.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "arena_session",
        "description": "The console's signed session cookie (sign in at /login).",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "With a session cookie, every unsafe request carries the session's CSRF token.",
    },
}


def api_routes(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, ApiRoute]]:
    """Every declared route with its full path, through the mounts."""
    for route in routes:
        if isinstance(route, Mount):
            yield from api_routes(route.routes, prefix + route.path)
        elif isinstance(route, ApiRoute):
            yield prefix + route.path, route


def _security(auth: str, method: str) -> list[dict[str, list[str]]]:
    if auth in ("public", "hook"):
        return []
    session: dict[str, list[str]] = {"session": [], "csrf": []} if method not in SAFE else {"session": []}
    if auth == "session":
        return [session]
    if auth == "ingest":
        return [{"bearer": []}]
    return [{"bearer": []}, session]


def _pattern(operation: Operation, name: str) -> dict[str, str]:
    return {"pattern": operation.path[name]} if name in operation.path else {}


def _types(operation: Operation) -> list[Any]:
    found = [operation.body, operation.response, operation.query, *(a.shape for a in client_errors(operation))]
    return [t for t in found if t is not None]


def _example(answer: Answer) -> dict[str, Any]:
    value: dict[str, Any] = {"error": answer.summary}
    if answer.field is not None:
        value["errors"] = [{"field": answer.field, "message": "…"}]
    request = {"body": answer.body, "query": answer.query or None, "path": answer.path or None}
    return {
        "summary": answer.summary,
        "value": value,
        "x-request": {k: v for k, v in request.items() if v is not None} | {"media": answer.media},
    }


class _Builder:
    """One document: the schemas of every type named, then an operation object per route."""

    def __init__(self, routes: list[tuple[str, ApiRoute]]) -> None:
        types = [Error, CsvDocument, *(t for _, route in routes for t in _types(route.operation))]
        schemas, self.components = msgspec.json.schema_components(types, ref_template=REF)
        self.schemas = {id(kind): schema for kind, schema in zip(types, schemas, strict=True)}

    def schema(self, kind: Any) -> dict[str, Any]:
        return self.schemas[id(kind)]

    def parameters(self, path: str, operation: Operation) -> list[dict[str, Any]]:
        found = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"} | _pattern(operation, name)}
            for name in PATH_PARAMETER.findall(path)
        ]
        if operation.query is not None:
            declared = self.components[operation.query.__name__]
            for name, schema in declared["properties"].items():
                item = {"name": name, "in": "query", "schema": {k: v for k, v in schema.items() if k != "description"}}
                if "description" in schema:
                    item["description"] = schema["description"]
                found.append(item | {"required": True} if name in declared.get("required", ()) else item)
        return found

    def responses(self, operation: Operation) -> dict[str, Any]:
        responses: dict[str, Any] = {}
        if operation.status == 204:
            responses["204"] = {"description": "Done; no body."}
        else:
            schema = self.schema(operation.response) if operation.response is not None else {"type": "object"}
            content = {operation.response_media: {"schema": schema}}
            description = {200: "OK", 201: "Created", 202: "Accepted"}.get(operation.status, "OK")
            responses[str(operation.status)] = {"description": description, "content": content}
            if operation.upsert:
                responses["201"] = {"description": "Created", "content": content}
        documented = client_errors(operation)
        for status in sorted({a.status for a in documented}):
            answers = [a for a in documented if a.status == status]
            responses[str(status)] = {
                "description": "; ".join(dict.fromkeys(a.summary for a in answers)),
                "content": {
                    "application/json": {
                        "schema": self.schema(answers[0].shape),
                        "examples": {f"example{i}": _example(a) for i, a in enumerate(answers, 1)},
                    }
                },
            }
        responses["4XX"] = {"$ref": "#/components/responses/Error"}
        return responses

    def operation(self, path: str, method: str, operation: Operation) -> dict[str, Any]:
        out: dict[str, Any] = {
            "operationId": f"{method}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_')}",
            "summary": operation.summary,
            "description": AUTH[operation.auth],
            "tags": [operation.tag],
            "security": _security(operation.auth, method),
            "responses": self.responses(operation),
        }
        if parameters := self.parameters(path, operation):
            out["parameters"] = parameters
        if operation.body is not None:
            body = self.schema(operation.body)
            content = {media: {"schema": body} for media in operation.body_media}
            if operation.body is str and "application/json" in content:
                content["application/json"] = {"schema": self.schema(CsvDocument)}
            out["requestBody"] = {"required": operation.body_required, "content": content}
        return out


def document(routes: Sequence[BaseRoute], base_url: str = "") -> dict[str, Any]:
    """The whole OpenAPI 3.1 document of the declared routes among ``routes``."""
    declared = sorted(api_routes(routes), key=lambda item: (item[0], item[1].method))
    builder = _Builder(declared)
    paths: dict[str, dict[str, Any]] = {}
    for path, route in declared:
        paths.setdefault(path, {})[route.method] = builder.operation(path, route.method, route.operation)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Sales Arena 销售竞技场", "version": VERSION, "description": DESCRIPTION},
        **({"servers": [{"url": base_url}]} if base_url else {}),
        "paths": paths,
        "components": {
            "schemas": builder.components,
            "responses": {
                "Error": {
                    "description": "A client error: 400 malformed, 401 no credentials, 403 not allowed, 404 unknown, "
                    "409 conflict, 413 too large, 415 a body in a media type the operation does not take, "
                    "422 invalid (with errors per field), 429 too many.",
                    "content": {"application/json": {"schema": {"$ref": REF.format(name="Error")}}},
                }
            },
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


async def openapi_json(request: Request) -> ArenaJSONResponse:
    return ArenaJSONResponse(document(request.app.routes, arena_of(request).settings.base_url))


OPENAPI = Operation("This document", "meta", "public", response=dict[str, Any], access=PUBLIC)
routes = [ApiRoute("/openapi.json", openapi_json, "GET", OPENAPI)]
__all__ = ["MISSING", "PATH_PARAMETER", "api_routes", "document", "routes"]
