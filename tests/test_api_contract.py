"""Every client error an operation declares, sent to a real server: the answer has exactly the declared status
and names the declared field, so the examples in the OpenAPI document are what the server really says."""

from __future__ import annotations

from typing import Any

import httpx

from server.api.contract import MISSING, Answer, ApiRoute, client_errors
from server.api.openapi import PATH_PARAMETER, api_routes
from tests.support.org import Org, make_org
from tests.support.unconnected_app import APP


def declared() -> list[tuple[str, ApiRoute, Answer]]:
    return [
        (path, route, answer) for path, route in api_routes(APP.routes) for answer in client_errors(route.operation)
    ]


def _fixture(value: str, org: Org) -> str:
    """``{contest}``, ``{rep}``, ``{team}`` and ``{goal}`` in an example stand for a contest, a rep, a team and a
    company goal that exist."""
    return {"{contest}": org.contest, "{rep}": org.reps[0], "{team}": org.teams[0], "{goal}": org.contest}.get(
        value, value
    )


def _url(path: str, answer: Answer, org: Org) -> str:
    return PATH_PARAMETER.sub(lambda match: _fixture(answer.path.get(match.group(1), MISSING), org), path)


def _named(body: dict[str, Any]) -> set[str]:
    errors = list(body.get("errors", []))
    for rejected in body.get("rejected", []):
        errors += rejected.get("errors", [])
    return {error["field"] for error in errors}


def test_there_are_examples_of_each_kind_of_client_error() -> None:
    statuses = {answer.status for _, _, answer in declared()}
    assert {400, 404, 415, 422} <= statuses and len(declared()) > 40


def test_every_declared_client_error_is_what_the_server_answers(admin: httpx.Client) -> None:
    org = make_org(admin)
    goal = {"metric": "revenue", "period": "2026-Q4", "level": "company", "target": 1000}
    assert admin.put(f"/api/v1/goals/{org.contest}", json=goal).status_code in (200, 201)  # {goal}: the same id
    wrong = []
    for path, route, answer in declared():
        url = _url(path, answer, org)
        content: Any = None
        if answer.media == "text/csv" or isinstance(answer.body, str):
            content = (answer.body or "").encode()
        elif answer.body is not None:
            content = httpx.Request("POST", "/", json=answer.body).content
        response = admin.request(
            route.method.upper(),
            url,
            params={k: _fixture(v, org) for k, v in answer.query.items()},
            content=content,
            headers={"content-type": answer.media},
        )
        body = response.json()
        named = _named(body)
        if (
            response.status_code != answer.status
            or "error" not in body
            or (answer.field is not None and answer.field not in named)
        ):
            wrong.append(f"{route.method.upper()} {url} ({answer.summary}): {response.status_code} {body}")
    assert not wrong, "\n".join(wrong)
