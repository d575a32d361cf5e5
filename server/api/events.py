"""``POST /api/v1/events``: one event or a batch, JSON or msgpack, through the ingest service.

A batch is decoded as a list of raw items and each item into ``EventIn`` on its own, so a bad event is
rejected with its index and reason while its neighbours are accepted; the edge then turns each into the
engine's ``Event`` (``game.events.new_event`` judges what no schema says)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct
from starlette.requests import Request

from game.errors import Collector, FieldError, ValidationError
from game.events import MAX_ATTRS, MAX_ID_LENGTH, NAME_PATTERN, TYPE_PATTERN, Event, new_event
from game.line_items import MAX_ITEMS, parse_items, parse_margin
from server.api.codec import field_error, is_msgpack
from server.api.contract import Answer, ApiRoute, Operation
from server.api.contract import FieldError as FieldErrorOut
from server.api.types import Money, Text64, Text128, Time
from server.auth.access import INGEST
from server.http import ApiError, ArenaJSONResponse, arena_of, read_body, require
from server.services.ingest import MAX_BATCH, ingest

MarginIn = Annotated[
    Annotated[str, Meta(pattern=r"^\s*[0-9]{1,12}(\.[0-9]{1,4})?\s*%?\s*$", examples=["1200.50", "35%"])] | int | float,
    Meta(description='The deal\'s margin: money in its currency, or a percent of its amount ("35%").'),
]


class ItemIn(Struct, forbid_unknown_fields=True):
    """One line of a deal: its amounts are in the event's currency and add up to the deal's amount."""

    product: Text64
    amount: Money
    category: Text64 | None = None
    margin: MarginIn | None = None


class EventIn(Struct):
    """An event as a client sends it. ``id`` is the idempotency key, unique per source."""

    id: Annotated[
        str,
        Meta(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"\S", description="Idempotency key, unique per source."),
    ]
    type: Annotated[
        str,
        Meta(
            pattern=TYPE_PATTERN.pattern,
            max_length=64,
            examples=["deal.won", "deal.reversed", "deal.updated", "call.logged", "deal.created", "deal.lost"],
        ),
    ]
    rep: Annotated[str, Meta(pattern=NAME_PATTERN.pattern, description="The rep's id.")]
    amount: Money | None = None
    currency: (
        Annotated[str, Meta(pattern="^[A-Za-z]{3}$", description="ISO 4217; default: the organisation's.")] | None
    ) = None
    category: Text64 | None = None
    occurred_at: Annotated[Time, Meta(description="RFC 3339 with an offset; default: now.")] | None = None
    ref: Annotated[Text128, Meta(description="For deal.reversed / deal.updated: the original event id.")] | None = None
    customer: Text128 | None = None
    new_customer: bool = False
    attrs: Annotated[
        dict[str, Annotated[str, Meta(max_length=256)] | int | bool],
        Meta(
            max_length=MAX_ATTRS,
            description="Free attributes. csat.recorded: score (a whole number 1–5, or 0–10 with scale nps) and "
            "scale (csat or nps).",
        ),
    ] = {}
    margin: MarginIn | None = None
    items: (
        Annotated[
            list[ItemIn],
            Meta(
                min_length=1,
                max_length=MAX_ITEMS,
                description="Line items (deals only): their amounts add up to the deal's amount (or give it).",
            ),
        ]
        | None
    ) = None


class Rejected(Struct, omit_defaults=True):
    index: int
    error: str
    errors: list[FieldErrorOut] = []


class Late(Struct):
    index: int
    id: str
    contests: list[str]


class IngestWarning(Struct, omit_defaults=True):
    id: str
    error: str
    index: Annotated[int, Meta(description="The event's index in the batch.")] | None = None


class IngestResult(Struct, omit_defaults=True):
    """What happened to each event: accepted, a duplicate of one already logged, or rejected with its index."""

    accepted: int
    duplicates: int
    rejected: list[Rejected]
    late: list[Late] = []
    warnings: list[IngestWarning] = []


class IngestRefusal(Struct, omit_defaults=True):
    """Nothing accepted: ``error`` is the first rejected event's reason (or why the request was refused whole)."""

    error: str
    errors: list[FieldErrorOut] = []
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = []


_json_event = msgspec.json.Decoder(EventIn)
_msgpack_event = msgspec.msgpack.Decoder(EventIn)
_json_items = msgspec.json.Decoder(list[msgspec.Raw])
_msgpack_items = msgspec.msgpack.Decoder(list[msgspec.Raw])
_MSGPACK_ARRAY = frozenset(range(0x90, 0xA0)) | {0xDC, 0xDD}


def _items(body: bytes, msgpack: bool) -> tuple[list[Any], bool]:
    """The items of the body (raw bytes, or documents already read on the slow road) and whether it is a
    batch; a body no decoder can read is refused whole."""
    if msgpack:
        is_batch = bool(body) and body[0] in _MSGPACK_ARRAY
    else:
        stripped = body.lstrip()
        if not stripped:
            raise ApiError(400, "body is empty: send a JSON document")
        is_batch = stripped[:1] == b"["
    try:
        if is_batch:
            return [bytes(item) for item in (_msgpack_items if msgpack else _json_items).decode(body)], True
        return [body], False
    except RecursionError:
        raise ApiError(400, "body is nested too deeply") from None
    except msgspec.DecodeError as exc:
        if not msgpack and (items := _documents_holding_surrogates(body)) is not None:
            return items, True
        raise ApiError(400, f"body is not valid {'msgpack' if msgpack else 'JSON'}: {exc}") from None


def _documents_holding_surrogates(body: bytes) -> list[Any] | None:
    """The items of a JSON array that msgspec refuses only because some string escapes a lone surrogate (JSON's
    grammar allows it, Unicode does not), read by Python's parser so that each is judged alone and the field
    holding one is named. The slow road, taken only by bodies that failed the fast one."""
    try:
        document = json.loads(body, parse_float=Decimal)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, list) else None


def _event(item: Any, msgpack: bool, now: datetime, currency: str, *, in_batch: bool) -> Event | ValidationError:
    """One item judged alone: the engine's event, or why it is rejected. An item of a batch that cannot be read
    is rejected with its index; a single body that cannot be read is refused whole (400)."""
    try:
        if isinstance(item, bytes):
            decoded = (_msgpack_event if msgpack else _json_event).decode(item)
        else:
            decoded = msgspec.convert(item, EventIn)
    except msgspec.ValidationError as exc:
        return ValidationError([FieldError(*field_error(exc))])
    except (msgspec.DecodeError, RecursionError) as exc:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        if in_batch:
            return ValidationError([FieldError("", f"is not valid {'msgpack' if msgpack else 'JSON'}: {problem}")])
        raise ApiError(400, f"body is not valid {'msgpack' if msgpack else 'JSON'}: {problem}") from None
    fields = {name: getattr(decoded, name) for name in decoded.__struct_fields__}
    try:
        fields["margin"], fields["items"] = _margin_and_items(fields.pop("margin"), fields.pop("items"))
        return new_event(**fields, now=now, default_currency=currency)
    except ValidationError as exc:
        return exc


def _margin_and_items(margin: Any, items: list[ItemIn] | None) -> tuple[Any, Any]:
    """The engine's margin and line items of what the schema let through (``game.line_items`` judges the rest)."""
    errors = Collector()
    parsed_margin = parse_margin(margin, errors, "margin") if margin is not None else None
    parsed_items = parse_items([msgspec.structs.asdict(item) for item in items], errors) if items else ()
    errors.raise_if_any()
    return parsed_margin, parsed_items


async def post_events(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.can_ingest, "post events", cache=True)
    msgpack = is_msgpack(request)
    items, in_batch = _items(await read_body(request), msgpack)
    if not items:
        raise ApiError(422, "empty batch: send one event or a non-empty array")
    if len(items) > MAX_BATCH:
        raise ApiError(413, f"batch too large: at most {MAX_BATCH} events per request")
    arena = arena_of(request)
    now = datetime.now(UTC)
    currency = arena.settings.currency
    events: list[Any] = [_event(item, msgpack, now, currency, in_batch=in_batch) for item in items]
    answer = await ingest(arena, events, now=now)
    if not answer["accepted"] and not answer["duplicates"]:
        first = answer["rejected"][0]
        return ArenaJSONResponse({"error": first["error"], **answer}, status_code=422)
    return ArenaJSONResponse(answer)


POST_EVENTS = Operation(
    "Post one event or a batch (≤ 1,000; JSON or msgpack)",
    "events",
    "ingest",
    body=EventIn | Annotated[list[EventIn], Meta(min_length=1, max_length=MAX_BATCH)],
    body_media=("application/json", "application/msgpack"),
    response=IngestResult,
    answers=(
        Answer(400, "not JSON", body="{not json"),
        Answer(
            422,
            "every event rejected: a deal without its amount",
            "amount",
            body={"id": "d-1", "type": "deal.won", "rep": "nobody"},
            cross_field=True,
            shape=IngestRefusal,
        ),
        Answer(
            422,
            "every event rejected: an id that is not a string",
            "id",
            body={"id": 7, "type": "deal.won", "rep": "r1"},
            shape=IngestRefusal,
        ),
        Answer(422, "an empty batch", body=[], shape=IngestRefusal),
    ),
    access=INGEST,
)

routes = [ApiRoute("/events", post_events, "POST", POST_EVENTS)]
