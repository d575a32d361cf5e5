"""Generated requests for every operation of the OpenAPI document, sent to a real server with the admin key: no
answer is a server error, and every answer matches the document (its status, content type and body schema).

Bounded and repeatable: a few derandomized examples per operation, so a run takes about half a minute on a quiet
machine (its time is printed, not asserted: the suite's timeout catches a hang) and fails the same way twice.
Every failure of the run is listed at once, by operation."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from server.api.openapi import PATH_PARAMETER, api_routes
from server.app import create_app
from server.config import Settings
from server.redis_connection import RedisDeployment
from tests.support.server import ADMIN_KEY, RunningServer

EXAMPLES = 8
# What a request valid by the schema may still get, per operation: the client errors it documents, except a
# 422 that does not come from a rule across fields (a 422 for a shape the schema allowed is a mismatch).
ACCEPTABLE_REFUSALS = {
    (route.method, path): {a.status for a in route.operation.answers if a.status != 422 or a.cross_field}
    for path, route in api_routes(
        create_app(Settings(secret_key="fuzz"), RedisDeployment(url="redis://127.0.0.1:1/0")).routes
    )
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _short(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 300 else text[:300] + "…"


def _failures_of(
    operation: Any, mode: GenerationMode, base_url: str, headers: dict[str, str], sent: Counter[str]
) -> list[str]:
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=15)
        sent[f"{mode.value} {response.status_code}"] += 1
        try:
            # An invalid body must be refused, except as text/csv: whatever it holds, it is a string on the wire.
            # (Unknown query parameters are ignored, and the Authorization header is always ours.)
            refuse = case.meta.is_negative_at(ParameterLocation.BODY) and case.media_type != "text/csv"
            checks = [*CHECKS, negative_data_rejection] if refuse else CHECKS
            case.validate_response(response, checks=checks, headers=headers)
            if mode is GenerationMode.POSITIVE and response.status_code >= 400:
                allowed = ACCEPTABLE_REFUSALS.get((operation.method.lower(), operation.path), set())
                if response.status_code not in allowed:
                    kind = f"schema accepts, server refuses with {response.status_code} (documented: {sorted(allowed)})"
                    if all(not seen.startswith(kind) for seen in found):
                        found.append(
                            f"{kind}\n    sent {case.path_parameters or ''} {case.query or ''} "
                            f"{_short(case.body) if case.body is not None else ''}\n    got {_short(response.text)}"
                        )
        except (Failure, FailureGroup) as error:
            failures = error.exceptions if isinstance(error, FailureGroup) else (error,)
            for failure in failures:
                kind = f"{failure.code} {failure.title}: {failure.message.strip()[:400]}"
                if all(not seen.startswith(kind) for seen in found):
                    body = _short(case.body) if case.body is not None else ""
                    found.append(
                        f"{kind}\n    sent {case.path_parameters or ''} {case.query or ''} {body}"
                        f"\n    got {response.status_code} {_short(response.text)}"
                    )

    run()
    return found


@pytest.mark.timeout(1200)  # one test for every operation: minutes on a loaded machine (a hang is still caught)
def test_every_operation_answers_as_documented(server: RunningServer) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    schema = schemathesis.openapi.from_url(f"{server.base_url}/api/v1/openapi.json", headers=headers)
    started = time.monotonic()
    failures: list[str] = []
    operations = 0
    sent: Counter[str] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in GenerationMode:
            for text in _failures_of(operation, mode, server.base_url, headers, sent):
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value})\n{text}")
    print(f"{operations} operations, {sum(sent.values())} requests in {time.monotonic() - started:.0f} s:", sent)
    assert operations > 50
    assert sum(n for key, n in sent.items() if key.startswith("negative 4")) > 100
    if failures:
        pytest.fail(f"{len(failures)} failures:\n\n" + "\n\n".join(failures), pytrace=False)


def test_a_method_a_path_does_not_serve_is_refused_with_the_methods_it_does(server: RunningServer) -> None:
    with server.admin() as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
        wrong = []
        for path, operations in paths.items():
            documented = {method.upper() for method in operations}
            unused = next(m for m in ("PATCH", "DELETE", "PUT", "POST") if m not in documented)
            response = client.request(unused, PATH_PARAMETER.sub("x", path))
            allowed = {m.strip() for m in response.headers.get("allow", "").split(",") if m.strip()}
            # A path another route's pattern also matches (/contests/{id} for /contests/preview) allows more.
            if response.status_code != 405 or not documented <= allowed or "error" not in response.json():
                wrong.append(f"{unused} {path}: {response.status_code} Allow: {sorted(allowed)}")
    assert not wrong, "\n".join(wrong)


def test_inputs_that_once_failed_the_server_get_a_client_answer(admin: httpx.Client) -> None:
    odd_rules = [{"on": "deal.won", "points_per": 9.7e43, "cap_per_day": [{}], "points": {"a": 1}}]
    preview = admin.post("/api/v1/contests/preview", json={"rules": odd_rules})
    assert preview.status_code == 200 and preview.json()["valid"] is False, preview.text
    assert admin.post("/api/v1/contests/preview", json=[1]).status_code == 422
    broken_csv = admin.post("/api/v1/reps/import?dry_run=1", json={"csv": "id\rx,name\n"})
    assert broken_csv.status_code == 422 and "error" in broken_csv.json(), broken_csv.text
    assert admin.post("/api/v1/events/import?dry_run=1", json={"csv": None}).status_code == 422


def test_a_whole_number_written_with_a_point_is_an_integer(admin: httpx.Client) -> None:
    """JSON (and the schema's ``integer``) counts 4240.0 as 4240; a fraction is still refused, naming its field."""
    reward = f"fuzz-{uuid.uuid4().hex[:12]}"
    saved = admin.put(f"/api/v1/rewards/catalogue/{reward}", json={"name": "休假一天", "cost": 4240.0})
    assert saved.status_code in (200, 201) and saved.json()["cost"] == 4240, saved.text
    refused = admin.put(f"/api/v1/rewards/catalogue/{reward}", json={"name": "休假一天", "cost": 4240.5})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "cost", refused.text
