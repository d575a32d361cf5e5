"""Logs an operator's pipeline can read: one JSON line per record, and one line per HTTP request that carries
the id its response echoes in ``X-Request-Id``.

A caller's own id (a proxy's, a CRM's delivery id) is kept when it is sane, so one id follows a request
through every hop; otherwise one is made. The request line names the method, the path *without* its query
(a TV's ``?token=`` never reaches the log), the status, the duration, the bytes sent and what kind of
principal called (``admin``, ``manager``, ``rep``, ``display``, ``ingest``, ``read`` or ``none``) — never a
key, token, cookie or webhook URL. Every other record logged while the request runs carries its id too.
"""

from __future__ import annotations

import itertools
import logging
import re
import sys
import time
import uuid
from collections.abc import MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec

REQUEST_ID_HEADER = b"x-request-id"
PRINCIPAL_STATE = "principal_role"  # scope["state"] key the principal's role is recorded under
FORMATS = ("json", "text")
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

# Unknown values are logged as their text, as ``json.dumps(default=str)`` would; msgspec writes a line in a
# fraction of its time (one per request: the busiest ingest spends a few percent of its CPU on its log).
_encode_line = msgspec.json.Encoder(enc_hook=str).encode

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
log = logging.getLogger("arena.http")


# A made id: this process's random prefix and a counter, unique across processes and restarts without a call
# to the system's random source per request (a uuid4 each cost the busiest ingest about 2 % of its CPU).
_made_ids = itertools.count(1)
_ID_PREFIX = uuid.uuid4().hex[:16]


def choose_request_id(sent: str | None) -> str:
    """The caller's id when it is short and plain (it is echoed and logged), else a new one."""
    if sent is not None and _SANE_ID.fullmatch(sent):
        return sent
    return f"{_ID_PREFIX}{next(_made_ids):016x}"


def record_principal(scope: MutableMapping[str, Any], role: str | None) -> None:
    """Note who the request turned out to be, for its request line (``None``: no valid credential)."""
    scope.setdefault("state", {})[PRINCIPAL_STATE] = role or "none"


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, the request id, and any ``fields`` extra."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = getattr(record, "request_id", None) or request_id.get()
        if current:
            line["request_id"] = current
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return _encode_line(line).decode()


class TextFormatter(logging.Formatter):
    """The plain format for a developer's terminal, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        current = getattr(record, "request_id", None) or request_id.get()
        fields = getattr(record, "fields", None)
        extra = " ".join(f"{k}={v}" for k, v in fields.items()) if isinstance(fields, dict) else ""
        return " ".join(part for part in (text, extra, f"request_id={current}" if current else "") if part)


def configure_logging(fmt: str) -> None:
    """Send every record at info and above to stderr in ``fmt`` (``json`` or ``text``)."""
    # No line shows a record's process, thread or caller: each would cost every record a system call (getpid is
    # one on today's C libraries) or a walk up the stack, a few percent of the busiest ingest's CPU.
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
    logging._srcfile = None  # the documented switch for not finding the caller's file and line
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class RequestLogMiddleware:
    """ASGI middleware, outermost: gives each HTTP request its id, echoes it, and logs the request's line."""

    def __init__(self, app: Any, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next((v.decode("latin-1") for k, v in scope["headers"] if k == REQUEST_ID_HEADER), None)
        rid = choose_request_id(sent)
        token = request_id.set(rid)
        started = time.perf_counter()
        answer = {"status": 500, "bytes": 0}

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, rid.encode())]
            elif message["type"] == "http.response.body":
                answer["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.enabled:
                log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    answer["status"],
                    extra={
                        "fields": {
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": answer["status"],
                            "ms": round((time.perf_counter() - started) * 1000, 2),
                            "bytes": answer["bytes"],
                            "principal": scope.get("state", {}).get(PRINCIPAL_STATE, "none"),
                        }
                    },
                )
            request_id.reset(token)
