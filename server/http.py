"""HTTP plumbing shared by the API and the pages: bounded bodies, Decimal-safe JSON, clear JSON errors, the
principal a request may act as, and query parameters several handlers read."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgpack
import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from game.contests import Contest
from game.directory import Directory
from game.errors import Collector, ValidationError
from game.events import parse_time
from game.lift import Period
from server import metrics
from server.auth.credentials import credential_of
from server.auth.principals import Principal, principal_for
from server.errors import STORAGE_OUTAGES, STORAGE_RETRY_SECONDS, ApiError
from server.request_log import record_principal

if TYPE_CHECKING:
    from server.arena import Arena

MAX_BODY_BYTES = 1 << 20
MAX_CSV_UPLOAD_BYTES = 8 << 20  # a file of historical deals (POST /events/import)
log = logging.getLogger("arena.http")


def arena_of(request: Request) -> Arena:
    """The process's shared parts, set on the app once in the lifespan."""
    arena: Arena = request.app.state.arena
    return arena


def error_response(status: int, message: str, errors: list[dict[str, str]] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status)


def storage_unavailable() -> JSONResponse:
    """Redis is out of reach: a 503 a client can tell from a bug, with when to try again (and one more outage
    on the operator's dashboard)."""
    metrics.REDIS_ERRORS.labels(where="http").inc()
    return JSONResponse(
        {"error": "storage unavailable"}, status_code=503, headers={"Retry-After": str(STORAGE_RETRY_SECONDS)}
    )


class StorageOutageMiddleware:
    """Answers ``storage_unavailable`` for any request that meets a Redis outage before its answer started,
    instead of the 500 of an unhandled error; the client pool reconnects by itself when Redis is back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except STORAGE_OUTAGES as exc:
            if started:
                raise
            log.warning("%s %s: storage unavailable: %s", scope["method"], scope["path"], exc)
            await storage_unavailable()(scope, receive, send)


def validation_error(error: ValidationError, message: str = "invalid input") -> ApiError:
    return ApiError(422, f"{message}: {error}", [e.as_dict() for e in error.errors])


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused with 413 as soon as it passes ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"body too large: at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"body too large: at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_document(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    """Parse a JSON (numbers with a fraction become Decimal, never float) or msgpack body."""
    body = await read_body(request, limit)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/msgpack", "application/x-msgpack", "application/vnd.msgpack"):
        try:
            return msgpack.unpackb(body, raw=False, strict_map_key=True)
        except Exception as exc:
            raise ApiError(400, f"body is not valid msgpack: {exc}") from None
    if not body:
        raise ApiError(400, "body is empty: send a JSON document")
    try:
        return json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None


async def principal_of(request: Request, *, cache: bool = False) -> Principal | None:
    """Who is asking (None: nobody we know), looked up through the account store, which is the identity store
    of ``server.auth``: keys, display tokens and users. Its role goes on the request's log line."""
    principal = await principal_for(request, arena_of(request).accounts, cache=cache)
    record_principal(request.scope, principal.role if principal else None)
    return principal


async def require(request: Request, check: Callable[[Principal], bool], what: str, *, cache: bool = False) -> Principal:
    """The caller, if allowed; 401 without credentials, 403 without the right. ``cache`` lets a hot path
    reuse a bearer-token lookup for a moment (see ``principal_for_token``)."""
    principal = await principal_of(request, cache=cache)
    if principal is None:
        problem = credential_of(request.scope).problem  # a malformed credential says what is wrong with it
        raise ApiError(401, problem or "authentication required: send Authorization: Bearer <key>")
    if not check(principal):
        raise ApiError(403, f"this key or user may not {what}")
    return principal


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.errors)


class ArenaJSONResponse(JSONResponse):
    """JSON encoded by msgspec: Decimals exact (as strings), CJK text readable, declared Structs as they are."""

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


# --- parameters shared by the insights API and the lift page ---------------------------------------------

_ASCII_DIGITS = re.compile(r"[0-9]{1,9}")  # never ``str.isdigit``: "¹" and "٣" pass it and ``int()`` refuses one


def page_limit(request: Request, default: int, most: int, name: str = "limit") -> int:
    """``?limit=`` as a whole number from 1 to ``most`` (422 naming it otherwise)."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _ASCII_DIGITS.fullmatch(raw) or not 1 <= int(raw) <= most:
        raise ApiError(422, f"invalid {name}", [{"field": name, "message": f"a whole number from 1 to {most}"}])
    return int(raw)


def time_param(request: Request, name: str, errors: Collector) -> datetime | None:
    raw = request.query_params.get(name)
    return parse_time(raw, errors, name) if raw else None


def baseline_period(request: Request) -> Period | None:
    """``?baseline_from=&baseline_to=`` (both or neither)."""
    errors = Collector()
    start, end = time_param(request, "baseline_from", errors), time_param(request, "baseline_to", errors)
    if (start is None) != (end is None) and not errors.errors:
        errors.add("baseline_from" if start is None else "baseline_to", "give both baseline_from and baseline_to")
    if start and end and end <= start:
        errors.add("baseline_to", "must be after baseline_from")
    if errors.errors:
        raise ApiError(422, "invalid baseline", [e.as_dict() for e in errors.errors])
    return Period(start, end) if start and end else None


async def contest_in_path(request: Request) -> Contest:
    """The contest the path's ``{id}`` names (404 otherwise)."""
    snapshot = await arena_of(request).registry.current()
    contest = snapshot.contests.get(request.path_params["id"])
    if contest is None:
        raise ApiError(404, f"no contest {request.path_params['id']!r}")
    return contest


async def managed_contest(request: Request, principal: Principal) -> Contest:
    """The contest in the path, if this principal may manage it (404 / 403 otherwise)."""
    contest = await contest_in_path(request)
    snapshot = await arena_of(request).registry.current()
    if not principal.manages_contest(contest, snapshot.directory):
        raise ApiError(403, f"contest {contest.id!r} has participants outside your teams")
    return contest


async def seen_contest(request: Request, principal: Principal) -> Contest:
    """The contest in the path, if this principal may see it in the console (``Principal.sees_contest``): what
    reading its standings, results and charts asks (404 / 403 otherwise)."""
    contest = await contest_in_path(request)
    ensure_seen(principal, contest, (await arena_of(request).registry.current()).directory)
    return contest


def ensure_seen(principal: Principal, contest: Contest, directory: Directory) -> None:
    """403 unless this principal may see the contest in the console (``Principal.sees_contest``)."""
    if not principal.sees_contest(contest, directory):
        raise ApiError(403, f"contest {contest.id!r} takes in none of your teams")


async def read_csv_upload(request: Request, limit: int = MAX_BODY_BYTES) -> str:
    """A CSV sent as ``text/csv`` or as JSON ``{"csv": "..."}``; bytes are UTF-8 (a BOM is dropped) or GB18030,
    what Excel writes on Chinese Windows."""
    raw = await read_body(request, limit)
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            document = json.loads(raw)
        except ValueError:
            raise ApiError(400, 'send text/csv, or JSON {"csv": "..."}') from None
        text = document.get("csv") if isinstance(document, dict) else None
        if not isinstance(text, str):
            raise ApiError(422, 'send text/csv, or JSON {"csv": "..."}', [{"field": "csv", "message": "a string"}])
        return text
    return decode_csv(raw)


def decode_csv(data: bytes) -> str:
    """UTF-8 (a BOM is dropped) or GB18030 — what Excel writes on Chinese Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")
