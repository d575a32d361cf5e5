"""A rule's points for a deal line by line: margin basis, per-product and per-line category multipliers, and
the monthly rate of a deal in another currency. Pure; ``game.scoring.rule_points`` comes here only for deals
that need it, so every other event keeps the one-line formula it always had.

Rounding: as everywhere, once per rule and event, down. A deal without lines is one line and scores
``(flat + basis / points_per) × factor``, exactly the formula of ``rule_points``; a deal with lines scores
``flat × factor of the deal's category + Σ line basis / points_per × factor of the line`` (product and the
line's category, or the deal's when the line has none). The basis is the amount (``revenue``) or the margin
(``margin``) in the contest's currency; a line without a known margin has no margin basis and scores no money
points under a margin rule (the ingest answer warns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Protocol

from game.exchange_rates import Conversion, Rates
from game.line_items import LineItem, Margin
from game.rules import Rule

ONE = Decimal(1)


class Deal(Protocol):
    """What scoring reads of an event (``Event`` and the replays' ``LogEvent`` both have it)."""

    @property
    def amount(self) -> Decimal | None: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def margin(self) -> Margin | None: ...
    @property
    def items(self) -> Sequence[LineItem]: ...


@dataclass(frozen=True)
class Line:
    """One line of a deal as a rule scored it (amounts in the contest's currency)."""

    product: str | None
    category: str | None
    revenue: Decimal
    margin: Decimal | None
    factor: Decimal
    basis: Decimal | None  # what points_per divided; None: a margin rule and no margin known
    points: Decimal  # basis / points_per × factor, before the rule's rounding


@dataclass(frozen=True)
class Breakdown:
    points: int
    flat: Decimal  # the rule's flat points times the deal's factor
    lines: tuple[Line, ...]
    conversion: Conversion | None = None
    waiting_for: str | None = None  # a currency whose rate for the deal's month is not set
    month: str | None = None  # that month


def needs_breakdown(rule: Rule, deal: Deal, currency: str) -> bool:
    """Whether the one-line formula of ``rule_points`` would score this deal wrongly."""
    if rule.points_per is None or deal.amount is None:
        return False
    return bool(deal.items) or rule.basis == "margin" or deal.currency != currency


def factor_of(rule: Rule, product: str | None, category: str | None) -> Decimal:
    factor = ONE
    if category is not None and (value := rule.multipliers.get("category", {}).get(category)) is not None:
        factor *= value
    if product is not None and (value := rule.multipliers.get("product", {}).get(product)) is not None:
        factor *= value
    return factor


def line_counts(rule: Rule, deal_category: str | None, item: LineItem) -> bool:
    """A rule with a category filter scores only the lines of those categories."""
    return not rule.category or (item.category or deal_category) in rule.category


def breakdown(rule: Rule, deal: Deal, currency: str, rates: Rates | None) -> Breakdown:
    """Every line's share of one rule's points for one deal (see the module's rounding rule)."""
    deal_factor = factor_of(rule, None, deal.category)
    flat = Decimal(rule.points) * deal_factor
    amount, per = deal.amount, rule.points_per
    if amount is None or per is None:
        return Breakdown(_floor(flat), flat, ())
    conversion: Conversion | None = None
    source = deal.currency or currency
    if source != currency:
        conversion = rates.conversion(source, currency, deal.occurred_at) if rates is not None else None
        if conversion is None:
            waiting = (rates.missing(source, currency, deal.occurred_at) if rates is not None else None) or source
            month = rates.month_of(deal.occurred_at) if rates is not None else None
            return Breakdown(_floor(flat), flat, (), None, waiting, month)
    convert = conversion.apply if conversion is not None else (lambda value: value)
    if not deal.items:
        margin = convert(deal.margin.of(amount)) if deal.margin is not None else None
        revenue = convert(amount)
        basis = revenue if rule.basis == "revenue" else margin
        share = basis / per if basis is not None else Decimal(0)
        line = Line(None, deal.category, revenue, margin, deal_factor, basis, share * deal_factor)
        total = (Decimal(rule.points) + share) * deal_factor
        return Breakdown(_floor(total), flat, (line,), conversion)
    lines = []
    total = flat
    for item in deal.items:
        if not line_counts(rule, deal.category, item):
            continue
        given = item.margin or (deal.margin if deal.margin is not None and deal.margin.percent else None)
        margin = convert(given.of(item.amount)) if given is not None else None
        revenue = convert(item.amount)
        basis = revenue if rule.basis == "revenue" else margin
        factor = factor_of(rule, item.product, item.category or deal.category)
        points = basis / per * factor if basis is not None else Decimal(0)
        lines.append(Line(item.product, item.category or deal.category, revenue, margin, factor, basis, points))
        total += points
    return Breakdown(_floor(total), flat, tuple(lines), conversion)


# A margin rule at one point per unit of money: its lines' margins are each line's margin as scoring reads it.
MARGIN_AS_SCORED = Rule("deal.won", points_per=ONE, basis="margin")


def deal_margin(deal: Deal, currency: str, rates: Rates | None) -> Decimal:
    """The deal's gross margin in ``currency`` exactly as a margin rule scores it (``breakdown``: line by line, a
    deal-level percent for lines without their own, converted at the month's rate): what a margin goal counts.
    Lines without a known margin, and a deal whose month has no rate yet, count nothing."""
    lines = breakdown(MARGIN_AS_SCORED, deal, currency, rates).lines
    return sum((line.margin for line in lines if line.margin is not None), Decimal(0))


def _floor(points: Decimal) -> int:
    return int(points.to_integral_value(rounding=ROUND_FLOOR))


def deal_matches(rule: Rule, deal: Deal, currency: str, rates: Rates | None) -> bool:
    """The filters of ``game.scoring.rule_matches`` that read money or lines: ``category`` (any line's, for a
    deal with lines) and ``min_amount`` (in the contest's currency when the deal's month has a rate)."""
    if rule.category:
        categories = {item.category or deal.category for item in deal.items} if deal.items else {deal.category}
        if not categories & set(rule.category):
            return False
    if rule.min_amount is None:
        return True
    if deal.amount is None:
        return False
    amount = deal.amount
    source = deal.currency or currency
    if source != currency and rates is not None:
        conversion = rates.conversion(source, currency, deal.occurred_at)
        if conversion is not None:
            amount = conversion.apply(amount)
    return amount >= rule.min_amount
