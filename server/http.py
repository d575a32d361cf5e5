"""HTTP plumbing shared by the API and the pages: bounded bodies, Decimal-safe JSON, clear JSON errors, the
principal a request may act as, and query parameters several handlers read."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgpack
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from game.contests import Contest
from game.errors import Collector, ValidationError
from game.events import parse_time
from game.lift import Period
from server.auth.credentials import credential_of
from server.auth.principals import Principal, principal_for
from server.errors import ApiError

if TYPE_CHECKING:
    from server.arena import Arena

MAX_BODY_BYTES = 1 << 20


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
    """Who is asking (None: nobody we know). The one place past the stores that hands ``server.auth`` the
    Redis client: the principal lookup reads keys, display tokens and users in one go."""
    return await principal_for(request, arena_of(request).redis, cache=cache)


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
    """JSON that keeps Decimals exact (as strings) and CJK text readable."""

    def render(self, content: Any) -> bytes:
        return json_dumps(content).encode()


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


# --- parameters shared by the insights API and the lift page ---------------------------------------------


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


async def managed_contest(request: Request, principal: Principal) -> Contest:
    """The contest in the path, if this principal may manage it (404 / 403 otherwise)."""
    snapshot = await arena_of(request).registry.current()
    contest = snapshot.contests.get(request.path_params["id"])
    if contest is None:
        raise ApiError(404, f"no contest {request.path_params['id']!r}")
    if not principal.manages_contest(contest, snapshot.directory):
        raise ApiError(403, f"contest {contest.id!r} has participants outside your teams")
    return contest


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
