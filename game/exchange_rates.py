"""Monthly exchange rates a manager sets: an event in another currency scores at the rate of the month it
occurred in (in the organisation's time zone), never at 0 and never at a rate looked up from outside.

A rate says what one unit of a currency is worth in the organisation's currency (``USD`` 2026-12: ``7.1234``
CNY). A contest kept in another currency than the organisation's converts through it (amount × rate of the
event's currency ÷ rate of the contest's). Everything is ``Decimal``; a month without the rate it needs gives
``None``, and the caller reports the event as waiting for that rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from game.errors import Collector

MONTH_PATTERN = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
MAX_RATE = Decimal(1_000_000)
MAX_RATE_PLACES = 8
MAX_CURRENCIES = 50


@dataclass(frozen=True)
class Conversion:
    """How an amount was brought into a contest's currency: ``amount × rate ÷ divisor`` (the divisor is the contest
    currency's own rate, 1 when it is the organisation's), multiplied before dividing so that exact results stay
    exact."""

    source: str
    target: str
    month: str
    rate: Decimal
    divisor: Decimal = Decimal(1)

    def apply(self, amount: Decimal) -> Decimal:
        converted = amount * self.rate
        return converted if self.divisor == 1 else converted / self.divisor


@dataclass(frozen=True)
class Rates:
    """Rates per (currency, month) into ``base``, the organisation's currency; months are read in ``timezone``."""

    base: str = "CNY"
    timezone: str = "UTC"
    table: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    def month_of(self, moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m")

    def rate(self, currency: str, month: str) -> Decimal | None:
        return Decimal(1) if currency == self.base else self.table.get((currency, month))

    def conversion(self, source: str, target: str, moment: datetime) -> Conversion | None:
        """From ``source`` to ``target`` at ``moment``'s month; ``None`` when a rate it needs is not set."""
        month = self.month_of(moment)
        into_base, out_of_base = self.rate(source, month), self.rate(target, month)
        if into_base is None or out_of_base is None:
            return None
        return Conversion(source, target, month, into_base, out_of_base)

    def missing(self, source: str, target: str, moment: datetime) -> str | None:
        """The currency whose rate the conversion lacks (``None`` when it can convert)."""
        month = self.month_of(moment)
        for currency in (source, target):
            if self.rate(currency, month) is None:
                return currency
        return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    try:
        rate = Decimal(value) if isinstance(value, int) else Decimal(value.strip())
    except InvalidOperation:
        return None
    return rate if rate.is_finite() else None


def parse_month(month: str, errors: Collector, name: str = "month") -> str | None:
    if not MONTH_PATTERN.match(month):
        errors.add(name, "must be a month as YYYY-MM, e.g. 2026-12")
        return None
    return month


def parse_month_rates(raw: Any, base: str, errors: Collector) -> dict[str, Decimal]:
    """``{"USD": "7.1234", ...}``: one month's rates into ``base`` (positive, at most 8 places, Decimal)."""
    if not isinstance(raw, dict) or not raw:
        errors.add("rates", f'must map currencies to their value in {base}, e.g. {{"USD": "7.1234"}}')
        return {}
    if len(raw) > MAX_CURRENCIES:
        errors.add("rates", f"at most {MAX_CURRENCIES} currencies a month")
        return {}
    rates: dict[str, Decimal] = {}
    for currency, value in raw.items():
        name = f"rates.{currency}"
        code = str(currency).upper()
        if not CURRENCY_PATTERN.match(code):
            errors.add(name, "must be a three-letter ISO 4217 code such as USD")
            continue
        if code == base:
            errors.add(name, f"{base} is the organisation's currency: its rate is always 1")
            continue
        if isinstance(value, float):
            errors.add(name, 'send the rate as a decimal string such as "7.1234" (no binary floats for money)')
            continue
        rate = _decimal(value)
        if rate is None or not Decimal(0) < rate <= MAX_RATE:
            errors.add(name, f"must be a positive decimal up to {MAX_RATE:,} with at most {MAX_RATE_PLACES} places")
            continue
        exponent = rate.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_RATE_PLACES:
            errors.add(name, f"has more than {MAX_RATE_PLACES} decimal places")
            continue
        rates[code] = rate
    return rates
