"""Structured logs: every response carries ``X-Request-Id`` and the server writes one JSON line per request
with that id, what was asked, the answer and the kind of caller — never a key, token or query string."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx

from server.request_log import JsonFormatter, choose_request_id, request_id
from tests.support.org import unique
from tests.support.server import ADMIN_KEY, INGEST_KEY, RunningServer
from tests.support.waiting import eventually


def request_lines(server: RunningServer, rid: str) -> list[dict[str, Any]]:
    """The server's JSON log lines carrying ``rid`` (its log is JSON lines, one object each)."""
    found = []
    for line in server.log_path.read_text(encoding="utf-8").splitlines():
        if rid in line:
            found.append(json.loads(line))
    return found


def request_line(server: RunningServer, rid: str) -> dict[str, Any]:
    def written() -> dict[str, Any] | None:
        lines = [line for line in request_lines(server, rid) if line.get("logger") == "arena.http"]
        return lines[0] if lines else None

    line = eventually(written, what=f"the request line of {rid}")
    assert line is not None
    return line


def test_a_callers_request_id_is_echoed_and_logged_with_the_request(server: RunningServer) -> None:
    rid = unique("crm-delivery")
    with server.admin() as admin:
        response = admin.get("/api/v1/contests", headers={"X-Request-Id": rid})
    assert response.status_code == 200 and response.headers["x-request-id"] == rid
    line = request_line(server, rid)
    assert (line["method"], line["path"], line["status"], line["principal"]) == (
        "GET",
        "/api/v1/contests",
        200,
        "admin",
    )
    assert line["level"] == "info" and line["bytes"] == len(response.content) and line["ms"] >= 0
    assert ADMIN_KEY not in server.log_path.read_text(encoding="utf-8")


def test_a_token_in_the_query_never_reaches_the_log_and_an_odd_id_is_replaced(server: RunningServer) -> None:
    secret = "tv-" + unique("secret")
    odd = "has spaces and is " + "x" * 80
    response = httpx.get(
        f"{server.base_url}/api/v1/contests", params={"token": secret}, headers={"X-Request-Id": odd}, timeout=15
    )
    assert response.status_code == 401
    rid = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid), rid
    line = request_line(server, rid)
    assert (line["path"], line["status"], line["principal"]) == ("/api/v1/contests", 401, "none")
    log = server.log_path.read_text(encoding="utf-8")
    assert secret not in log and odd not in log


def test_the_ingest_fast_path_answers_with_an_id_and_logs_its_line(server: RunningServer) -> None:
    rid = unique("batch")
    headers = {"Authorization": f"Bearer {INGEST_KEY}", "X-Request-Id": rid}
    event = {"id": unique("evt"), "type": "call.logged", "rep": unique("nobody")}  # refused: no such rep
    response = httpx.post(f"{server.base_url}/api/v1/events", json=[event], headers=headers, timeout=15)
    assert response.status_code == 422 and response.headers["x-request-id"] == rid
    line = request_line(server, rid)
    assert (line["method"], line["path"], line["status"], line["principal"]) == (
        "POST",
        "/api/v1/events",
        422,
        "ingest",
    )
    assert INGEST_KEY not in server.log_path.read_text(encoding="utf-8")


def test_records_logged_during_a_request_carry_its_id() -> None:
    record = logging.LogRecord("arena.x", logging.WARNING, __file__, 1, "late by %d s", (5,), None)
    record.fields = {"contest": "十二月"}
    token = request_id.set("abc-1")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line | {"time": ""} == {
        "time": "",
        "level": "warning",
        "logger": "arena.x",
        "message": "late by 5 s",
        "request_id": "abc-1",
        "contest": "十二月",
    }
    assert "request_id" not in json.loads(JsonFormatter().format(record))  # outside a request: none
    assert choose_request_id("a.b:c-1_2") == "a.b:c-1_2"
    assert choose_request_id("") != "" and choose_request_id("é") != "é"
