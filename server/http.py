"""HTTP plumbing shared by the API modules: bounded bodies, Decimal-safe JSON, clear JSON errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import msgpack
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from game.errors import ValidationError
from server.auth import Principal, principal_for

MAX_BODY_BYTES = 1 << 20


class ApiError(Exception):
    """An error answered as ``{"error": message, "errors": [...]}`` with an HTTP status."""

    def __init__(self, status: int, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


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


async def require(request: Request, check: Callable[[Principal], bool], what: str, *, cache: bool = False) -> Principal:
    """The caller, if allowed; 401 without credentials, 403 without the right. ``cache`` lets a hot path
    reuse a bearer-token lookup for a moment (see ``principal_for_token``)."""
    principal = await principal_for(request, request.app.state.arena.redis, cache=cache)
    if principal is None:
        raise ApiError(401, "authentication required: send Authorization: Bearer <key>")
    if not check(principal):
        raise ApiError(403, f"this key or user may not {what}")
    return principal


Endpoint = Callable[[Request], Awaitable[Response]]


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
