"""The OpenAPI document against the real routes: nothing missing, nothing invented, every reference resolves,
and what the running server answers uses the fields the document declares."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.routing import BaseRoute, Mount, Route

from server.api import openapi
from server.api.contract import ApiRoute
from tests.support.org import deal, make_org
from tests.support.server import RunningServer
from tests.support.unconnected_app import APP

DOCUMENTED_PREFIXES = ("/api/v1/", "/hooks/")


def generated(base_url: str = "") -> dict[str, Any]:
    return openapi.document(APP.routes, base_url)


def app_routes() -> dict[str, set[str]]:
    """Path → methods of every API and hook route registered in a real app (HEAD comes with GET)."""
    found: dict[str, set[str]] = {}
    for path, route in flattened(APP.routes):
        if path.startswith(DOCUMENTED_PREFIXES):
            found.setdefault(path, set()).update(m.lower() for m in route.methods or () if m != "HEAD")
    return found


def flattened(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, Route]]:
    """Every route with its full path, through the mounts that group them by area."""
    out: list[tuple[str, Route]] = []
    for route in routes:
        if isinstance(route, Mount):
            out += flattened(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            out.append((prefix + route.path, route))
    return out


def documented(document: dict[str, Any]) -> dict[str, set[str]]:
    return {path: set(item) for path, item in document["paths"].items()}


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its $ref followed and allOf merged (enough for the checks below)."""
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = resolve(document, part)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return merged
    return schema


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_every_route_is_documented_with_its_methods() -> None:
    routes = app_routes()
    paths = documented(generated())
    missing = {path: methods - paths.get(path, set()) for path, methods in routes.items()}
    assert {p: m for p, m in missing.items() if m} == {}, "declare these routes as ApiRoute with their Operation"


def test_the_document_names_no_route_the_app_lacks() -> None:
    routes = app_routes()
    invented = {path: methods - routes.get(path, set()) for path, methods in documented(generated()).items()}
    assert {p: m for p, m in invented.items() if m} == {}


def test_every_api_route_declares_its_operation() -> None:
    undeclared = [path for path, route in flattened(APP.routes) if path.startswith(DOCUMENTED_PREFIXES)
                  and not isinstance(route, ApiRoute)]  # fmt: skip
    assert undeclared == []


def test_the_document_is_well_formed() -> None:
    document = generated("http://arena.example")
    assert document["openapi"] == "3.1.0" and document["servers"] == [{"url": "http://arena.example"}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "description": schemes["bearer"]["description"]}
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == "arena_session"
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"] and set(error["properties"]) == {"error", "errors"}
    field_error = resolve(document, error["properties"]["errors"]["items"])
    assert set(field_error["properties"]) == {"field", "message"}
    for reference in refs(document):
        kind, name = reference.split("/")[-2:]
        assert name in document["components"][kind], reference
    operation_ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            assert operation["summary"] and operation["tags"] and "4XX" in operation["responses"], (path, method)
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert names == set(openapi.PATH_PARAMETER.findall(path)), (path, method)
    assert len(operation_ids) == len(set(operation_ids))
    assert document["paths"]["/api/v1/events"]["post"]["security"] == [{"bearer": []}]
    assert document["paths"]["/hooks/{source}/{id}"]["post"]["security"] == []
    unsafe = document["paths"]["/api/v1/contests"]["post"]["security"]
    assert {"session": [], "csrf": []} in unsafe and {"bearer": []} in unsafe


def test_the_server_serves_it_without_authentication(server: RunningServer) -> None:
    response = httpx.get(server.base_url + "/api/v1/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"] == "3.1.0" and document["servers"] == [{"url": server.base_url}]
    assert documented(document) == documented(generated())


def test_real_answers_use_the_declared_fields(server: RunningServer, admin: httpx.Client, ingest: httpx.Client) -> None:
    document = generated()
    org = make_org(admin)
    ingest.post("/api/v1/events", json=[deal(org.reps[0], "64000")])

    def check(path: str, template: str, answer: dict[str, Any], status: str = "200", method: str = "get") -> None:
        operation = document["paths"][template][method]
        schema = resolve(document, operation["responses"][status]["content"]["application/json"]["schema"])
        declared = set(schema["properties"])
        assert set(schema.get("required", [])) <= set(answer), (path, answer)
        assert set(answer) <= declared, (path, set(answer) - declared)

    board = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()
    check("leaderboard", "/api/v1/contests/{id}/leaderboard", board)
    row_schema = resolve(document, document["components"]["schemas"]["LeaderboardRow"])
    assert set(board["rows"][0]) <= set(row_schema["properties"])
    check("contest", "/api/v1/contests/{id}", admin.get(f"/api/v1/contests/{org.contest}").json())
    check("results", "/api/v1/contests/{id}/results", admin.get(f"/api/v1/contests/{org.contest}/results").json())
    check("profile", "/api/v1/reps/{id}/profile", admin.get(f"/api/v1/reps/{org.reps[0]}/profile").json())
    ledger = admin.get(f"/api/v1/reps/{org.reps[0]}/ledger", params={"contest": org.contest}).json()
    check("ledger", "/api/v1/reps/{id}/ledger", ledger)
    entry = resolve(document, document["components"]["schemas"]["LedgerEntry"])
    assert set(ledger["entries"][0]) <= set(entry["properties"])
    display = admin.post("/api/v1/displays", json={"name": "TV", "playlist": [f"contest:{org.contest}"]})
    check("display", "/api/v1/displays", display.json(), "201", "post")
    error = admin.post("/api/v1/contests", json={"id": org.contest})
    assert error.status_code == 422
    assert set(error.json()) <= {"error", "errors"} and set(error.json()["errors"][0]) == {"field", "message"}
