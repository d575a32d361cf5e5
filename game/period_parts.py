"""What one standing event key adds to the month sums (``game/period_totals.py``), and its compact stored form.

The sums keep, for every event key since their origin, what a later correction must take back: at the log's cap
that is millions of keys in every process. A ``Part`` object with its own strings and ``Decimal``s cost about a
kilobyte a key; stored packed instead, one ``bytes`` per key (fixed-width integers, every name once in a shared
table, the two amounts as their exact decimal text), it costs a tenth of that and unpacks to an equal ``Part``
only when a correction arrives (one event in twenty). The first byte of each record says what the key's original
was (``ORIGIN_*``), which the sums need for every key seen, standing or not.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from game.events import CSAT_TYPE
from game.kpis import CREATED, LOST, WON

# an original of these types gives its kind to the content that stands under its key (``game.kpis``)
KIND_ORIGINALS = (WON, LOST, CREATED, CSAT_TYPE)
ORIGIN_NONE = 0  # only corrections of the key were seen so far
ORIGIN_OTHER = 1  # an original of a type that gives no kind
_ORIGIN_CODES = {kind: code for code, kind in enumerate(KIND_ORIGINALS, 2)}
_ORIGIN_BYTES = [bytes([code]) for code in range(len(KIND_ORIGINALS) + 2)]
# at, rep, team, type, kind, customer + 1 (0: none), rating scale + 1 (0: none), rating score, new customer
_FIXED = struct.Struct("<qIIIIIIiB")


def origin_code(kind: str) -> int:
    return _ORIGIN_CODES.get(kind, ORIGIN_OTHER)


def origin_kind(code: int) -> str | None:
    """The original's type when it gives a kind, else None."""
    return KIND_ORIGINALS[code - 2] if code >= 2 else None


@dataclass(frozen=True, slots=True)
class Part:
    """What one standing event key adds: its content's facts and the kind its original gives it."""

    month: int
    rep: str
    team: str  # recorded on the event, "" when none
    type: str  # the content's type (what goals count)
    kind: str  # the original's type, as the scorecard's ratios count it
    at: int
    priced: Decimal | None  # the amount when in the organisation's currency
    margin: Decimal  # a deal's gross margin as margin rules score it
    new_customer: bool
    customer: str | None
    rating: tuple[str, int] | None


class PartCodec:
    """Packs ``Part``s into ``bytes`` records and back; each name (rep, team, type, customer, scale) is stored
    once in a table and referred to by its number."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._numbers: dict[str, int] = {}

    def _number(self, text: str) -> int:
        number = self._numbers.get(text)
        if number is None:
            number = self._numbers[text] = len(self._names)
            self._names.append(text)
        return number

    def _optional(self, text: str | None) -> int:
        return 0 if text is None else self._number(text) + 1

    def pack(self, origin: int, part: Part | None) -> bytes:
        """A key's record: its original's code, then what it adds when something stands under it."""
        if part is None:
            return _ORIGIN_BYTES[origin]
        scale, score = part.rating if part.rating is not None else (None, 0)
        fixed = _FIXED.pack(
            part.at,
            self._number(part.rep),
            self._number(part.team),
            self._number(part.type),
            self._number(part.kind),
            self._optional(part.customer),
            self._optional(scale),
            score,
            part.new_customer,
        )
        amounts = f"{'' if part.priced is None else part.priced}|{part.margin}".encode("ascii")
        return _ORIGIN_BYTES[origin] + fixed + amounts

    def unpack(self, record: bytes, month_of: Callable[[int], int]) -> Part | None:
        """The ``Part`` a record stores (its month found again from its second), None when none stands."""
        if len(record) == 1:
            return None
        at, rep, team, kind, original, customer, scale, score, new = _FIXED.unpack_from(record, 1)
        priced, margin = record[1 + _FIXED.size :].decode("ascii").split("|")
        names = self._names
        return Part(
            month_of(at),
            names[rep],
            names[team],
            names[kind],
            names[original],
            at,
            Decimal(priced) if priced else None,
            Decimal(margin),
            bool(new),
            names[customer - 1] if customer else None,
            (names[scale - 1], score) if scale else None,
        )
