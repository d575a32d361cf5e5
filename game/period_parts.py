"""What one standing event key adds to the month sums (``game/period_totals.py``), and its compact stored form.

The sums keep, for every event key since their origin, what a later correction must take back: at the log's cap
that is millions of keys in every process. A ``Part`` object per key with its own ``Decimal``s made the sums
cost about 350 bytes an event; stored packed instead, one ``bytes`` per key (fixed-width integers, what repeats
once in a shared table, the two amounts as their exact decimal text), they cost about 180, and a record unpacks
to an equal ``Part`` only when a correction arrives (one event in twenty). The first byte of each record says what
the key's original was (``ORIGIN_*``), which the sums need for every key seen, standing or not.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from game.events import CSAT_TYPE
from game.kpis import CREATED, LOST, WON

# an original of these types gives its kind to the content that stands under its key (``game.kpis``)
KIND_ORIGINALS = (WON, LOST, CREATED, CSAT_TYPE)
ORIGIN_NONE = 0  # only corrections of the key were seen so far
ORIGIN_OTHER = 1  # an original of a type that gives no kind
_ORIGIN_CODES = {kind: code for code, kind in enumerate(KIND_ORIGINALS, 2)}
_ORIGIN_BYTES = [bytes([code]) for code in range(len(KIND_ORIGINALS) + 2)]
_FIXED = struct.Struct("<qII")  # the occurred second, the profile's number, the customer's number
Profile = tuple[str, str, str, str, bool, tuple[str, int] | None]  # rep, team, type, kind, new customer, rating


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
    """Packs ``Part``s into ``bytes`` records and back. What repeats across keys is stored once in a table and
    referred to by its number: the customer, and the profile (rep, team, type, kind, new customer, rating)."""

    def __init__(self) -> None:
        self._values: list[Hashable] = []
        self._numbers: dict[Hashable, int] = {}

    def _number(self, value: Hashable) -> int:
        number = self._numbers.get(value)
        if number is None:
            number = self._numbers[value] = len(self._values)
            self._values.append(value)
        return number

    def pack(self, origin: int, part: Part | None) -> bytes:
        """A key's record: its original's code, then what it adds when something stands under it."""
        if part is None:
            return _ORIGIN_BYTES[origin]
        profile = (part.rep, part.team, part.type, part.kind, part.new_customer, part.rating)
        fixed = _FIXED.pack(part.at, self._number(profile), self._number(part.customer))
        amounts = f"{'' if part.priced is None else part.priced}|{part.margin}".encode("ascii")
        return _ORIGIN_BYTES[origin] + fixed + amounts

    def unpack(self, record: bytes, month_of: Callable[[int], int]) -> Part | None:
        """The ``Part`` a record stores (its month found again from its second), None when none stands."""
        if len(record) == 1:
            return None
        at, profile, customer = _FIXED.unpack_from(record, 1)
        priced, margin = record[1 + _FIXED.size :].decode("ascii").split("|")
        rep, team, kind, original, new, rating = cast(Profile, self._values[profile])
        return Part(
            month_of(at),
            rep,
            team,
            kind,
            original,
            at,
            Decimal(priced) if priced else None,
            Decimal(margin),
            new,
            cast(str | None, self._values[customer]),
            rating,
        )
