"""One logged event as replays see it: parsed once from the event log (or from an ``Event``), with what the
replay's hot path needs precomputed. The simulation, the lift report and the flags all read these."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from game.events import Event, as_moment
from game.line_items import LineItem, Margin, margin_from_text


class LogEvent:
    """One logged event, parsed once and shaped for replays: ``Event``'s fields plus what the hot path needs
    precomputed (the deal keys, the occurred second, the new-customer mark)."""

    __slots__ = (
        "amount",
        "at",
        "attrs",
        "category",
        "currency",
        "customer",
        "id",
        "items",
        "key",
        "margin",
        "new_customer",
        "occurred_at",
        "received_at",
        "ref",
        "ref_key",
        "rep",
        "source",
        "team",
        "type",
    )

    def __init__(
        self,
        *,
        id: str,
        type: str,
        rep: str,
        occurred_at: datetime,
        received_at: datetime,
        source: str = "api",
        amount: Decimal | None = None,
        currency: str | None = None,
        category: str | None = None,
        customer: str | None = None,
        ref: str | None = None,
        team: str | None = None,
        attrs: Mapping[str, Any] | None = None,
        margin: Margin | None = None,
        items: tuple[LineItem, ...] = (),
    ) -> None:
        self.id = id
        self.type = type
        self.rep = rep
        self.occurred_at = occurred_at
        self.received_at = received_at
        self.source = source
        self.amount = amount
        self.currency = currency
        self.category = category
        self.customer = customer
        self.ref = ref
        self.team = team
        self.attrs: Mapping[str, Any] = attrs or {}
        self.margin = margin
        self.items = items
        self.key = f"{source}:{id}"
        self.ref_key = f"{source}:{ref}" if ref else None
        self.at = int(occurred_at.timestamp())
        self.new_customer = bool(self.attrs.get("new_customer"))

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LogEvent:
        """From an event log entry (``Event.to_record``; moments as text or datetimes), without building an
        ``Event`` first."""
        self = cls.__new__(cls)
        get = record.get
        self.id = event_id = record["id"]
        self.type = record["type"]
        self.rep = record["rep"]
        self.occurred_at = occurred_at = as_moment(record["occurred_at"])
        self.received_at = as_moment(record["received_at"])
        self.source = source = get("source", "api")
        amount = get("amount")
        self.amount = Decimal(amount) if amount is not None else None
        self.currency = get("currency")
        self.category = get("category")
        self.customer = get("customer")
        self.ref = ref = get("ref")
        self.team = get("team")
        self.attrs = attrs = get("attrs") or {}
        margin = get("margin")
        self.margin = margin_from_text(margin) if margin is not None else None
        items = get("items")
        self.items = tuple(LineItem.from_record(item) for item in items) if items else ()
        self.key = f"{source}:{event_id}"
        self.ref_key = f"{source}:{ref}" if ref else None
        self.at = int(occurred_at.timestamp())
        self.new_customer = bool(attrs.get("new_customer")) if attrs else False
        return self

    @classmethod
    def from_event(cls, event: Event) -> LogEvent:
        return cls(
            id=event.id,
            type=event.type,
            rep=event.rep,
            occurred_at=event.occurred_at,
            received_at=event.received_at,
            source=event.source,
            amount=event.amount,
            currency=event.currency,
            category=event.category,
            customer=event.customer,
            ref=event.ref,
            team=event.team,
            attrs=event.attrs,
            margin=event.margin,
            items=event.items,
        )

    def __repr__(self) -> str:
        return f"LogEvent({self.key!r}, {self.type!r}, rep={self.rep!r}, at={self.occurred_at.isoformat()})"
