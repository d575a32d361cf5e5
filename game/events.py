"""The canonical event: one shape for every source (REST, CRM webhooks, CSV), checked once at the door.

Money is a ``Decimal`` from the wire onwards (JSON numbers are parsed as Decimal, msgpack floats go
through their shortest decimal repr); times are aware datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from game.errors import Collector
from game.line_items import LineItem, Margin, margin_from_text, parse_items, parse_margin, reconcile

MAX_ID_LENGTH = 128
MAX_AMOUNT = Decimal("1e12")
MAX_AMOUNT_PLACES = 4
MAX_ATTRS = 32
MAX_FUTURE_SECONDS = 300  # clocks drift; an event further in the future is a mistake
# No sales team scores deals from before this: an earlier time is a mistake (or a probe at the calendar's edge,
# which the XP windows and the log could not even hold).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# Whole-number attributes are kept as 64-bit integers (the log's msgpack, Redis, most readers).
MIN_ATTR_INT, MAX_ATTR_INT = -(2**63), 2**63 - 1
# Lone surrogates: JSON's grammar lets a string escape one, but no Unicode text (nor UTF-8) can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
# A points adjustment granted when a dispute is accepted: ``attrs`` names the contest and the points. Only the
# server writes one (source ``ADJUSTMENT_SOURCE``); no client may send it, so points change only in the open.
ADJUSTMENT_TYPE = "points.adjusted"
ADJUSTMENT_SOURCE = "dispute"
# A customer survey: ``attrs.score`` is its rating, a whole number on ``attrs.scale`` (``csat`` 1–5 by default, or
# ``nps`` 0–10). A survey without a score still counts as a survey (XP, activity); only rated ones make CSAT/NPS.
CSAT_TYPE = "csat.recorded"
RATING_SCALES = {"csat": (1, 5), "nps": (0, 10)}
MARGIN_TYPES = ("deal.won", "deal.updated")  # the events that may carry a margin or line items


def as_moment(value: str | datetime) -> datetime:
    """A record's moment: ISO text, or a datetime already (``game/log_record.py`` ``unpack(parsed=True)``)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    rep: str
    occurred_at: datetime
    received_at: datetime
    source: str = "api"
    amount: Decimal | None = None
    currency: str | None = None
    category: str | None = None
    customer: str | None = None
    ref: str | None = None
    # The rep's team when the event was received, so a replay credits the team it counted for then.
    team: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    # What margin-basis rules and per-product multipliers score (``game.line_items``); most events have neither.
    margin: Margin | None = None
    items: tuple[LineItem, ...] = ()

    @property
    def key(self) -> str:
        """Idempotency key: ids are unique per source, so two sources may reuse one id."""
        return f"{self.source}:{self.id}"

    @property
    def ref_key(self) -> str | None:
        return f"{self.source}:{self.ref}" if self.ref else None

    def to_record(self) -> dict[str, Any]:
        """A compact, lossless dict for the event log (msgpack-friendly: no Decimal, no datetime)."""
        record: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "rep": self.rep,
            "occurred_at": self.occurred_at.isoformat(),
            "received_at": self.received_at.isoformat(),
            "source": self.source,
        }
        for name in ("currency", "category", "customer", "ref", "team"):
            value = getattr(self, name)
            if value is not None:
                record[name] = value
        if self.amount is not None:
            record["amount"] = str(self.amount)
        if self.attrs:
            record["attrs"] = self.attrs
        if self.margin is not None:
            record["margin"] = str(self.margin)
        if self.items:
            record["items"] = [item.to_record() for item in self.items]
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Event:
        return cls(
            id=record["id"],
            type=record["type"],
            rep=record["rep"],
            occurred_at=as_moment(record["occurred_at"]),
            received_at=as_moment(record["received_at"]),
            source=record.get("source", "api"),
            amount=Decimal(record["amount"]) if "amount" in record else None,
            currency=record.get("currency"),
            category=record.get("category"),
            customer=record.get("customer"),
            ref=record.get("ref"),
            team=record.get("team"),
            attrs=record.get("attrs") or {},
            margin=margin_from_text(record["margin"]) if "margin" in record else None,
            items=tuple(LineItem.from_record(item) for item in record.get("items") or ()),
        )


def id_of_key(event_key: str) -> str:
    """``api:evt-1`` → ``evt-1``: an event's id as its source sent it (the inverse of ``Event.key``)."""
    return event_key.split(":", 1)[1] if ":" in event_key else event_key


def parse_time(value: Any, errors: Collector, name: str) -> datetime | None:
    """RFC 3339 with an offset; a naive time would be read in an unknown zone, so it is refused."""
    if not isinstance(value, str):
        errors.add(name, "must be an RFC 3339 time string with an offset, e.g. 2026-12-01T09:30:00+08:00")
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        errors.add(name, f"is not an RFC 3339 time: {value!r}")
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        errors.add(name, "needs a UTC offset (e.g. +08:00 or Z)")
        return None
    return parsed


def parse_amount(value: Any, errors: Collector, name: str = "amount") -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        errors.add(name, "must be a decimal string or a number")
        return None
    try:
        if isinstance(value, float):
            amount = Decimal(repr(value))
        else:  # an int straight, never through its text: Python refuses the text of one with 4,300 digits
            amount = Decimal(value) if isinstance(value, int) else Decimal(str(value).strip())
    except InvalidOperation:
        errors.add(name, f"is not a decimal number: {value!r}")
        return None
    return check_amount(amount, errors, name)


def check_amount(amount: Decimal, errors: Collector, name: str = "amount") -> Decimal | None:
    """Finite, at most ``MAX_AMOUNT`` either way, at most ``MAX_AMOUNT_PLACES`` decimal places."""
    if not amount.is_finite():
        errors.add(name, "must be finite")
        return None
    if abs(amount) > MAX_AMOUNT:
        errors.add(name, f"must be at most {MAX_AMOUNT:,.0f} in absolute value")
        return None
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_AMOUNT_PLACES:
        errors.add(name, f"has more than {MAX_AMOUNT_PLACES} decimal places")
        return None
    return amount


def _optional_text(raw: dict[str, Any], name: str, errors: Collector, limit: int = 128) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        errors.add(name, "must be a non-empty string")
        return None
    if len(value) > limit:
        errors.add(name, f"must be at most {limit} characters")
        return None
    return value.strip()


def parse_event(raw: Any, *, now: datetime, default_currency: str, source: str = "api") -> Event:
    """Check one incoming event given as a plain document (a CRM webhook's mapping, a CSV row) and return it in
    canonical form; raise ValidationError naming each bad field. The HTTP API decodes its events into a typed
    declaration instead (``server/api/events.py``) and calls ``new_event`` itself."""
    errors = Collector()
    if not isinstance(raw, dict):
        errors.add("", "an event must be a JSON object")
        errors.raise_if_any()
    event_id = raw.get("id")
    if not isinstance(event_id, str) or not event_id.strip():
        errors.add("id", "is required: a non-empty string, unique per source")
    event_type = raw.get("type")
    if not isinstance(event_type, str) or not TYPE_PATTERN.match(event_type) or len(event_type) > 64:
        errors.add("type", "is required: e.g. deal.won, deal.reversed, call.logged or a custom dotted name")
    rep = raw.get("rep")
    if not isinstance(rep, str) or not NAME_PATTERN.match(rep):
        errors.add("rep", "is required: the rep id (letters, digits, _ . : @ -, at most 128)")
    occurred_at = parse_time(raw["occurred_at"], errors, "occurred_at") if raw.get("occurred_at") is not None else None
    amount = parse_amount(raw["amount"], errors) if raw.get("amount") is not None else None
    currency = raw.get("currency")
    if currency is not None and not isinstance(currency, str):
        errors.add("currency", "must be a three-letter ISO 4217 code such as CNY or USD")
    texts = {name: _optional_text(raw, name, errors, limit) for name, limit in TEXT_LIMITS.items()}
    margin = parse_margin(raw["margin"], errors, "margin") if raw.get("margin") is not None else None
    items = parse_items(raw.get("items"), errors)
    attrs = raw.get("attrs") or {}
    if not isinstance(attrs, dict) or len(attrs) > MAX_ATTRS:
        errors.add("attrs", f"must be an object with at most {MAX_ATTRS} keys")
    elif any(not isinstance(v, (str, int, bool)) or (isinstance(v, str) and len(v) > 256) for v in attrs.values()):
        errors.add("attrs", "values must be strings (at most 256 characters), whole numbers or booleans")
    errors.raise_if_any()
    return new_event(
        id=str(event_id),
        type=str(event_type),
        rep=str(rep),
        now=now,
        default_currency=default_currency,
        source=source,
        occurred_at=occurred_at,
        amount=amount,
        currency=currency,
        new_customer=raw.get("new_customer") is True,
        attrs=attrs,
        margin=margin,
        items=items,
        **texts,
    )


TEXT_LIMITS = {"category": 64, "customer": 128, "ref": MAX_ID_LENGTH}


def new_event(
    *,
    id: str,
    type: str,
    rep: str,
    now: datetime,
    default_currency: str,
    source: str = "api",
    occurred_at: datetime | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
    category: str | None = None,
    customer: str | None = None,
    ref: str | None = None,
    new_customer: bool = False,
    attrs: dict[str, Any] | None = None,
    margin: Margin | None = None,
    items: tuple[LineItem, ...] = (),
) -> Event:
    """An event whose fields have the right types, checked by what no schema says: its id and texts trimmed,
    not in the future, an amount within bounds and never negative, what each type needs (a deal's amount, the
    original a reversal names); the organisation's currency by default. Raises ValidationError."""
    errors = Collector()
    event_id = id.strip()
    if not event_id:
        errors.add("id", "is required: a non-empty string, unique per source")
    elif len(event_id) > MAX_ID_LENGTH:
        errors.add("id", f"must be at most {MAX_ID_LENGTH} characters")
    occurred_at = occurred_at or now
    if occurred_at < EARLIEST:
        errors.add("occurred_at", f"must be on or after {EARLIEST.date().isoformat()}")
    elif (occurred_at - now).total_seconds() > MAX_FUTURE_SECONDS:
        errors.add("occurred_at", "is in the future")
    if amount is not None:
        amount = check_amount(amount, errors)
        if amount is not None and amount < 0:
            errors.add("amount", "must not be negative; send deal.reversed to take a deal back")
    if margin is not None or items:
        if type not in MARGIN_TYPES:
            what = "items" if items else "margin"
            errors.add(what, f"only {' and '.join(MARGIN_TYPES)} carry a margin or line items")
        given = amount is not None
        amount, margin = reconcile(amount, margin, items, errors)
        if amount is not None and not given:
            amount = check_amount(amount, errors)
        for index, item in enumerate(items):
            if not all(is_unicode(text) for text in (item.product, item.category or "")):
                errors.add(f"items[{index}]", NOT_UNICODE)
    if currency is None:
        currency = default_currency if amount is not None else None
    elif not re.fullmatch(r"[A-Za-z]{3}", currency):
        errors.add("currency", "must be a three-letter ISO 4217 code such as CNY or USD")
    category, customer, ref = (v.strip() or None if v is not None else None for v in (category, customer, ref))
    if type in ("deal.reversed", "deal.updated") and not ref:
        errors.add("ref", f"is required for {type}: the id of the original deal event")
    if type == "deal.won" and amount is None:
        errors.add("amount", "is required for deal.won")
    if type == CSAT_TYPE and attrs:
        check_rating(attrs, errors)
    if type == ADJUSTMENT_TYPE and source != ADJUSTMENT_SOURCE:
        errors.add("type", f"{ADJUSTMENT_TYPE} is reserved: adjustments come from resolved disputes")
    for name, text in (("id", event_id), ("category", category), ("customer", customer), ("ref", ref)):
        if text is not None and not is_unicode(text):
            errors.add(name, NOT_UNICODE)
    if attrs:
        check_attrs(attrs, errors)
    errors.raise_if_any()
    attrs = dict(attrs or {})
    if new_customer:
        attrs["new_customer"] = True
    return Event(
        id=event_id,
        type=type,
        rep=rep,
        occurred_at=occurred_at,
        received_at=now,
        source=source,
        amount=amount,
        currency=currency.upper() if currency else None,
        category=category,
        customer=customer,
        ref=ref,
        attrs=attrs,
        margin=margin,
        items=items,
    )


NOT_UNICODE = "is not Unicode text: it holds a lone surrogate (\\ud800-\\udfff)"


def is_unicode(text: str) -> bool:
    """True unless ``text`` holds a lone surrogate, which no store, log or page could encode."""
    return text.isascii() or _SURROGATE.search(text) is None


def check_attrs(attrs: dict[str, Any], errors: Collector) -> None:
    """What every store can keep: Unicode keys and texts, whole numbers within 64 bits."""
    for key, value in attrs.items():
        if not isinstance(key, str) or not is_unicode(key):
            errors.add("attrs", f"keys must be Unicode text: {NOT_UNICODE}")
            return
        if isinstance(value, str) and not is_unicode(value):
            errors.add("attrs", f"{key}: {NOT_UNICODE}")
            return
        if isinstance(value, int) and not MIN_ATTR_INT <= value <= MAX_ATTR_INT:
            errors.add("attrs", f"{key}: whole numbers must lie within -2^63 and 2^63 - 1")
            return


def check_rating(attrs: dict[str, Any], errors: Collector) -> None:
    """A survey's ``scale`` is one of ``RATING_SCALES`` and its ``score`` a whole number within the scale."""
    scale = attrs.get("scale", "csat")
    if scale not in RATING_SCALES:
        errors.add("attrs.scale", f"must be one of {', '.join(RATING_SCALES)} (default csat)")
        return
    score = attrs.get("score")
    low, high = RATING_SCALES[scale]
    if score is not None and (isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high):
        errors.add("attrs.score", f"must be a whole number from {low} to {high} on the {scale} scale")


def rating_of(attrs: Any) -> tuple[str, int] | None:
    """A logged survey's (scale, score), or None when it carries no valid rating."""
    if not attrs:
        return None
    scale, score = attrs.get("scale", "csat"), attrs.get("score")
    bounds = RATING_SCALES.get(scale) if isinstance(scale, str) else None
    if bounds is None or isinstance(score, bool) or not isinstance(score, int) or not bounds[0] <= score <= bounds[1]:
        return None
    return scale, score
