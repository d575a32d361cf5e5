"""An event log entry's bytes: the record of ``Event.to_record`` stored compactly, and read back unchanged.

A stream entry holds one field. Entries written before this encoding hold the record as a msgpack map under
``e``; entries written now hold it under ``r`` as a msgpack array of the record's values in a fixed order
(``FIELDS``): names are not repeated in every entry, a missing value is one byte (nil) and trailing ones are
left out, the two moments are integers (microseconds since the epoch) whenever that gives back the very same
ISO text, a well-known event type is its number in ``TYPES``, and the ``api`` source is nil. Both are read back
as the same dict, so replays, exports and audits see no difference. A call takes 48 bytes instead of 160.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack

from game.events import Event

MAP_FIELD = b"e"  # a record as a msgpack map (entries written before the compact form, and unusual records)
COMPACT_FIELD = b"r"  # a record as a msgpack array of FIELDS' values

# The record's keys in the array's order (the most often present first). Append only: entries are stored.
FIELDS = (
    "id",
    "type",
    "rep",
    "occurred_at",
    "received_at",
    "source",
    "team",
    "amount",
    "currency",
    "category",
    "customer",
    "ref",
    "attrs",
)
MOMENTS = ("occurred_at", "received_at")
# Event types stored as their index. Append only: entries store the numbers.
TYPES = (
    "deal.won",
    "call.logged",
    "meeting.held",
    "deal.reversed",
    "deal.updated",
    "points.adjusted",
    "customer.new",
    "csat.recorded",
)
TYPE_CODES = {name: code for code, name in enumerate(TYPES)}
DEFAULT_SOURCE = "api"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = EPOCH.toordinal()
ZERO = timedelta(0)


def _moment(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _moment_text(micros: int) -> str:
    return _moment(micros).isoformat()


def _pack_moment(text: Any) -> Any:
    """An ISO moment as microseconds since the epoch when that reads back as the very same text (a UTC moment
    written as ``isoformat`` writes it), else as is."""
    if text.__class__ is not str or not text.endswith("+00:00"):
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return _micros(moment) if moment.isoformat() == text else text  # not: e.g. written with ".000000"


def pack(record: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """(stream field, bytes) for a log record: the compact array, or a map when the record has keys the array
    does not know or lacks one of the first six (never from ``Event.to_record``, kept lossless all the same)."""
    if (
        not set(record) <= set(FIELDS)
        or any(record.get(name) is None for name in FIELDS[:6])
        or not isinstance(record["type"], str)
    ):
        return MAP_FIELD, msgpack.packb(dict(record))
    values: list[Any] = [record.get(name) for name in FIELDS]
    values[1] = TYPE_CODES.get(values[1], values[1])
    values[3], values[4] = _pack_moment(values[3]), _pack_moment(values[4])
    values[5] = None if values[5] == DEFAULT_SOURCE else values[5]
    while values and values[-1] is None:
        values.pop()
    return COMPACT_FIELD, msgpack.packb(values)


def pack_event(event: Event) -> tuple[bytes, bytes]:
    """``pack(event.to_record())`` straight from the event's fields (this runs for every event ingested)."""
    if event.margin is not None or event.items:  # keys the array does not hold: the map keeps them
        return pack(event.to_record())
    values = [
        event.id,
        TYPE_CODES.get(event.type, event.type),
        event.rep,
        _micros(event.occurred_at),
        _micros(event.received_at),
        None if event.source == DEFAULT_SOURCE else event.source,
        event.team,
        None if event.amount is None else str(event.amount),
        event.currency,
        event.category,
        event.customer,
        event.ref,
        event.attrs or None,
    ]
    while values[-1] is None:
        values.pop()
    return COMPACT_FIELD, msgpack.packb(values)


def _micros(moment: datetime) -> int | str:
    """A moment as ``_pack_moment`` gives it: microseconds since the epoch for a UTC one (its ISO text then reads
    back the same), else its ISO text."""
    if moment.utcoffset() != ZERO:
        return moment.isoformat()
    seconds = (moment.toordinal() - EPOCH_ORDINAL) * 86_400 + moment.hour * 3_600 + moment.minute * 60 + moment.second
    return seconds * 1_000_000 + moment.microsecond


def unpack(fields: Mapping[bytes, bytes], *, parsed: bool = False) -> dict[str, Any]:
    """The record of one stream entry's fields, whichever form it was written in. With ``parsed``, the two moments
    come as datetimes (``Event.from_record`` and ``LogEvent.from_record`` take either): replays then skip
    writing and parsing ISO text for every entry."""
    raw = fields.get(COMPACT_FIELD)
    if raw is None:
        record: dict[str, Any] = msgpack.unpackb(fields[MAP_FIELD], raw=False)
        if parsed:
            for name in MOMENTS:
                record[name] = datetime.fromisoformat(record[name])
        return record
    values = msgpack.unpackb(raw, raw=False)
    event_id, kind, rep, occurred, received = values[:5]
    if parsed:
        occurred = _moment(occurred) if occurred.__class__ is int else datetime.fromisoformat(occurred)
        received = _moment(received) if received.__class__ is int else datetime.fromisoformat(received)
    else:
        occurred = _moment_text(occurred) if occurred.__class__ is int else occurred
        received = _moment_text(received) if received.__class__ is int else received
    source = values[5] if len(values) > 5 else None
    record = {
        "id": event_id,
        "type": TYPES[kind] if kind.__class__ is int else kind,
        "rep": rep,
        "occurred_at": occurred,
        "received_at": received,
        "source": DEFAULT_SOURCE if source is None else source,
    }
    for index in range(6, len(values)):
        value = values[index]
        if value is not None:
            record[FIELDS[index]] = value
    return record
