"""Bodies and query strings into declared types, with msgspec: JSON or MessagePack, bounded, validated while
decoded. A malformed body is a 400; a body of the wrong shape a 422 naming the field the way the server always
has (``rules[0].points``, not msgspec's ``$.rules[0].points``)."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request

from server.errors import ApiError
from server.http import MAX_BODY_BYTES, read_body, read_document

T = TypeVar("T")

MSGPACK_TYPES = ("application/msgpack", "application/x-msgpack", "application/vnd.msgpack")
_LOCATED = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
# msgspec's words where the server has always said it more helpfully
_PLAINER = {
    "Expected `datetime` with a timezone component": "needs a UTC offset (e.g. +08:00 or Z)",
    "Invalid RFC3339 encoded datetime": "is not an RFC 3339 time, e.g. 2026-12-01T09:30:00+08:00",
    "Invalid decimal string": "is not a decimal number",
}
_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<name>[^`]+)`$")


ANY_MEDIA = "*/*"  # a body the handler judges itself (a CRM's webhook: JSON, XML or a form)
BODY_METHODS = ("POST", "PUT", "PATCH")


def media_type(request: Request) -> str:
    """The body's media type without parameters (``application/json; charset=utf-8`` → ``application/json``)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def is_msgpack(request: Request) -> bool:
    return media_type(request) in MSGPACK_TYPES


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return "transfer-encoding" in request.headers or (length is not None and length.strip() not in ("", "0"))


def check_media(request: Request, accepted: tuple[str, ...]) -> None:
    """A body in a media type the operation declares, or 415 naming them: an HTML form (url-encoded, multipart
    or text/plain, the types a cross-site page may post without asking) never reaches a JSON handler. A
    request without a body passes; the handler says what it misses."""
    if request.method not in BODY_METHODS or ANY_MEDIA in accepted or not _has_body(request):
        return
    given = media_type(request)
    if given in accepted or (given in MSGPACK_TYPES and "application/msgpack" in accepted):
        return
    names = ", ".join(accepted)
    raise ApiError(
        415,
        f"unsupported content type {given or '(none)'!r}: send {names}",
        [{"field": "content-type", "message": f"one of {names}"}],
    )


def field_error(error: msgspec.ValidationError) -> tuple[str, str]:
    """msgspec's ``Expected `int`, got `str` - at `$.rules[0].points``` as ``("rules[0].points", "Expected …")``;
    a key inside a mapping (``$.attrs[...]``) is named by the mapping."""
    match = _LOCATED.match(str(error))
    assert match is not None  # the pattern matches any text
    message, path = match["message"], (match["path"] or "").replace("[...]", "").lstrip(".")
    if named := _NAMED.match(message):
        path = f"{path}.{named['name']}" if path else named["name"]
    return path, _PLAINER.get(message, message)


def invalid(error: msgspec.ValidationError, what: str) -> ApiError:
    name, message = field_error(error)
    return ApiError(422, f"invalid {what}: {name or 'body'}: {message}", [{"field": name, "message": message}])


def every_field_error(document: Any, kind: Any) -> list[dict[str, str]]:
    """Each top-level field of a Struct at fault, not only the first msgspec meets, so whoever fixes a document
    sees the whole list (nested fields: the first problem of each top-level field)."""
    if not (isinstance(kind, type) and issubclass(kind, msgspec.Struct)) or not isinstance(document, dict):
        return []
    found: list[dict[str, str]] = []
    for info in msgspec.structs.fields(kind):
        if info.encode_name not in document:
            if info.required:
                found.append({"field": info.encode_name, "message": "is required"})
            continue
        try:
            msgspec.convert(document[info.encode_name], info.type)
        except msgspec.ValidationError as exc:
            name, message = field_error(exc)
            found.append(
                {
                    "field": f"{info.encode_name}{'.' if name and not name.startswith('[') else ''}{name}",
                    "message": message,
                }
            )
    return found


def decode(data: bytes, kind: type[T], what: str, *, msgpack: bool = False) -> T:
    """``data`` as ``kind``: 400 when it is not JSON (or msgpack) at all, 422 naming every field at fault when
    its shape is wrong."""
    if not data and not msgpack:
        raise ApiError(400, "body is empty: send a JSON document")
    try:
        if msgpack:
            return msgspec.msgpack.decode(data, type=kind)
        return msgspec.json.decode(data, type=kind)
    except msgspec.ValidationError as exc:
        document = msgspec.msgpack.decode(data) if msgpack else msgspec.json.decode(data)
        whole = integral_numbers(document)
        if whole is not document:  # 4240.0 is the integer 4240 in JSON (and its schemas): judge it as one
            try:
                return msgspec.convert(whole, kind)
            except msgspec.ValidationError:
                pass
        error = invalid(exc, what)
        error.errors = every_field_error(document, kind) or error.errors
        raise error from None
    except msgspec.DecodeError as exc:
        raise ApiError(400, f"body is not valid {'msgpack' if msgpack else 'JSON'}: {exc}") from None


def integral_numbers(document: Any) -> Any:
    """``document`` with every float that holds a whole number (``4240.0``) as an int; the same object when it
    has none, so a caller can tell whether anything changed."""
    if isinstance(document, float):
        return int(document) if document.is_integer() else document
    if isinstance(document, list):
        items = [integral_numbers(item) for item in document]
        return items if any(a is not b for a, b in zip(items, document, strict=True)) else document
    if isinstance(document, dict):
        values = {key: integral_numbers(value) for key, value in document.items()}
        return values if any(values[k] is not document[k] for k in document) else document
    return document


def convert(document: Any, kind: type[T], what: str) -> T:
    """An already parsed document (a draft, a part of a body) as ``kind``, with the same 422s as ``decode``."""
    try:
        return msgspec.convert(document, kind)
    except msgspec.ValidationError as exc:
        error = invalid(exc, what)
        error.errors = every_field_error(document, kind) or error.errors
        raise error from None


async def validated_document(request: Request, kind: type[T], what: str) -> Any:
    """The body as the plain document the services keep (numbers with a fraction as Decimal), once it has the
    shape ``kind`` declares (422s naming every field at fault otherwise)."""
    document = await read_document(request)
    convert(document, kind, what)
    return document


async def decode_body(request: Request, kind: type[T], what: str, limit: int = MAX_BODY_BYTES) -> T:
    """The request's body (bounded by ``limit``) as ``kind``, JSON or MessagePack as its content type says."""
    return decode(await read_body(request, limit), kind, what, msgpack=is_msgpack(request))


async def decode_optional_body(request: Request, kind: type[T], what: str, default: T) -> T:
    """As ``decode_body``, with ``default`` for a request without a body."""
    data = await read_body(request)
    return decode(data, kind, what, msgpack=is_msgpack(request)) if data.strip() else default


def decode_query(request: Request, kind: type[T]) -> T:
    """The query string as ``kind`` (a Struct of optional fields); numbers and booleans are read from text."""
    try:
        return msgspec.convert(dict(request.query_params), kind, strict=False)
    except msgspec.ValidationError as exc:
        raise invalid(exc, "query") from None


def to_document(value: Any) -> Any:
    """A decoded Struct as the plain document the services keep (fields left out stay out)."""
    return msgspec.to_builtins(value)
