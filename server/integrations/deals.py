"""From "this CRM deal is (not) won now" to canonical events, with ids stable across redeliveries — pure.

CRMs report state, not increments: a deal is in a won stage or it is not, and the same state may be
reported many times (retries, unrelated edits, batches). We keep per deal how many times it was won and
whether the last win stands, and turn each observation into at most one event:

* not won → won: win number ``n + 1``, event ``<deal>:won:<n+1>`` (a deal won again after a reversal
  needs a new id: the store would treat the old one as a duplicate);
* won → not won (lost, reopened, deleted): ``<deal>:reversed:<n>`` with ``ref`` ``<deal>:won:<n>``;
* no change: the event of the current state is sent again. It is a duplicate when it was written, and
  it completes the write when the process died between saving the state and writing the event.

Observations carry the CRM's modification time when it has one; an observation older than the last
one applied is stale (deliveries arrive out of order) and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DealState:
    wins: int = 0
    won: bool = False
    # The CRM user credited with the latest win (a reversal goes to whoever got the points).
    owner: str | None = None
    # Modification time (epoch seconds) of the latest observation applied; None when the CRM gives none.
    as_of: float | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str | None) -> DealState:
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(int(data.get("wins", 0)), bool(data.get("won")), data.get("owner"), data.get("as_of"))


@dataclass(frozen=True)
class Observation:
    """The state of one deal as a CRM reported it."""

    deal_id: str
    won: bool
    owner: str | None = None
    amount: str | None = None
    currency: str | None = None
    occurred_at: str | None = None  # RFC 3339: when the deal was won (close date)
    as_of: float | None = None  # epoch seconds of the CRM's modification time, for ordering
    customer: str | None = None  # the customer's name or id, when the CRM sends it


@dataclass(frozen=True)
class Routed:
    """A canonical event without its rep yet: ``owners`` are CRM users to try, in order of preference."""

    owners: tuple[str, ...]
    event: dict[str, Any] = field(default_factory=dict)


def won_event_id(deal_id: str, win: int) -> str:
    return f"{deal_id}:won:{win}"


def observe(state: DealState, seen: Observation) -> tuple[DealState, list[Routed]]:
    """The deal's next state and the events that bring the boards in line with the observation."""
    if state.as_of is not None and seen.as_of is not None and seen.as_of < state.as_of:
        return state, []
    as_of = seen.as_of if seen.as_of is not None else state.as_of
    if seen.won:
        win = state.wins if state.won else state.wins + 1
        owner = state.owner if state.won else seen.owner
        event: dict[str, Any] = {
            "id": won_event_id(seen.deal_id, win),
            "type": "deal.won",
            "amount": seen.amount if seen.amount not in (None, "") else "0",
            "attrs": {"crm_deal": seen.deal_id},
        }
        if seen.currency:
            event["currency"] = seen.currency
        if seen.occurred_at:
            event["occurred_at"] = seen.occurred_at
        if seen.customer:
            event["customer"] = seen.customer[:128]
        owners: tuple[str, ...] = (seen.owner,) if seen.owner else ()
        if state.won and state.owner and state.owner != seen.owner:
            owners = (state.owner, *owners)
        return DealState(win, True, owner, as_of), [Routed(owners or ("",), event)]
    if state.wins == 0:
        return DealState(0, False, None, as_of), []
    reversal = {
        "id": f"{seen.deal_id}:reversed:{state.wins}",
        "type": "deal.reversed",
        "ref": won_event_id(seen.deal_id, state.wins),
        "attrs": {"crm_deal": seen.deal_id},
    }
    owners = tuple(dict.fromkeys(o for o in (state.owner, seen.owner) if o)) or ("",)
    return DealState(state.wins, False, state.owner, as_of), [Routed(owners, reversal)]


def normalise_amount(value: Any) -> str | None:
    """CRM amounts as a decimal string ("1000.0" stays exact); None when empty. Floats never appear:
    JSON bodies are parsed with Decimal."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return text  # left for the event check to refuse with a clear message
    if not amount.is_finite():
        return text
    return str(int(amount)) if amount == amount.to_integral_value() else format(amount.normalize(), "f")


def normalise_time(value: Any, zone: ZoneInfo) -> str | None:
    """An RFC 3339 string from the forms CRMs send: ISO times (``Z`` or offset; naive ones are UTC, as
    Pipedrive's ``2026-11-20 10:00:00``), bare dates (midnight in the organisation's zone), epoch ms."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(int(value) / 1000, tz=ZoneInfo("UTC")).isoformat()
        except (ArithmeticError, ValueError, OSError):  # beyond any calendar: left for the event check to refuse
            return str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone).isoformat()
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo("UTC"))
    return parsed.isoformat()


def epoch_seconds(value: Any) -> float | None:
    """Ordering time of an observation from an ISO time or epoch seconds/milliseconds; None if unknown."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        try:
            number = float(value)
        except OverflowError:
            return None  # no calendar holds it: an observation without an order
        return number / 1000 if number > 1e11 else number
    text = normalise_time(value, ZoneInfo("UTC"))
    return datetime.fromisoformat(text).timestamp() if text else None
