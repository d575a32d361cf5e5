"""A deal's margin and line items: what a margin-basis rule scores, and what per-product multipliers act on.

A margin is an amount in the event's currency (``"1200.50"``) or a percent of the amount (``"35%"``); it lies
between 0 and the amount it belongs to. Line items (at most ``MAX_ITEMS``) split a deal by product: their
amounts must add up to the deal's amount exactly (a deal sent without an amount takes their sum), and when one
line carries a margin every line must, and a deal-level margin must then equal their sum (a deal without one
takes it). A deal-level percent margin applies to every line that has none. Anything else is refused with the
field at fault, so a deal is never scored on numbers that disagree with each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from game.errors import Collector

MAX_ITEMS = 50
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Margin:
    """``value`` is money, or a percent of the amount when ``percent``."""

    value: Decimal
    percent: bool = False

    def of(self, amount: Decimal) -> Decimal:
        """The margin as money for ``amount`` (exact: a percent of a 4-place amount has at most 8 places)."""
        return amount * self.value / HUNDRED if self.percent else self.value

    def __str__(self) -> str:
        return f"{self.value}%" if self.percent else str(self.value)


@dataclass(frozen=True)
class LineItem:
    product: str
    amount: Decimal
    category: str | None = None
    margin: Margin | None = None

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"product": self.product, "amount": str(self.amount)}
        if self.category is not None:
            record["category"] = self.category
        if self.margin is not None:
            record["margin"] = str(self.margin)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LineItem:
        margin = record.get("margin")
        return cls(
            product=record["product"],
            amount=Decimal(record["amount"]),
            category=record.get("category"),
            margin=margin_from_text(margin) if margin is not None else None,
        )


def margin_from_text(text: str) -> Margin:
    """A stored margin back (``str(Margin)``); trusted text, already checked at the door."""
    return Margin(Decimal(text[:-1]), True) if text.endswith("%") else Margin(Decimal(text))


def parse_margin(value: Any, errors: Collector, name: str) -> Margin | None:
    """``"35%"`` (0–100 %, at most 4 places) or money (a decimal string or number, not negative)."""
    from game.events import parse_amount  # events imports this module

    if isinstance(value, str) and value.strip().endswith("%"):
        percent = parse_amount(value.strip()[:-1], errors, name)
        if percent is not None and not Decimal(0) <= percent <= HUNDRED:
            errors.add(name, "a percent margin must lie between 0% and 100%")
            return None
        return Margin(percent, True) if percent is not None else None
    amount = parse_amount(value, errors, name)
    if amount is not None and amount < 0:
        errors.add(name, 'must not be negative: a deal sold at a loss is sent with margin "0"')
        return None
    return Margin(amount) if amount is not None else None


def check_margin(margin: Margin, amount: Decimal | None, errors: Collector, name: str) -> None:
    if not margin.percent and amount is not None and margin.value > amount:
        errors.add(name, f"{margin.value} is more than the amount {amount}: a margin is part of the amount")
    if not margin.percent and amount is None:
        errors.add(name, "a margin in money needs the amount it belongs to")


def parse_items(raw: Any, errors: Collector) -> tuple[LineItem, ...]:
    """Line items given as plain documents (a CRM's mapping, the API's decoded body)."""
    if raw is None:
        return ()
    if not isinstance(raw, (list, tuple)) or not raw:
        errors.add("items", "must be a non-empty list of {product, category, amount, margin}")
        return ()
    if len(raw) > MAX_ITEMS:
        errors.add("items", f"at most {MAX_ITEMS} lines per deal")
        return ()
    items: list[LineItem] = []
    from game.events import parse_amount

    for index, item in enumerate(raw):
        name = f"items[{index}]"
        if not isinstance(item, dict):
            errors.add(name, "must be an object {product, category, amount, margin}")
            continue
        product = item.get("product")
        if not isinstance(product, str) or not product.strip() or len(product) > 64:
            errors.add(f"{name}.product", "is required: the product's name or code (at most 64 characters)")
            continue
        category = item.get("category")
        if category is not None and (not isinstance(category, str) or not category.strip() or len(category) > 64):
            errors.add(f"{name}.category", "must be a non-empty string of at most 64 characters")
            continue
        if item.get("amount") is None:
            errors.add(f"{name}.amount", "is required: the line's amount in the event's currency")
            continue
        amount = parse_amount(item["amount"], errors, f"{name}.amount")
        if amount is None:
            continue
        if amount < 0:
            errors.add(f"{name}.amount", "must not be negative")
            continue
        margin = None
        if item.get("margin") is not None:
            margin = parse_margin(item["margin"], errors, f"{name}.margin")
            if margin is not None:
                check_margin(margin, amount, errors, f"{name}.margin")
        unknown = set(item) - {"product", "category", "amount", "margin"}
        if unknown:
            errors.add(name, f"unknown fields {', '.join(sorted(map(str, unknown)))}")
            continue
        items.append(LineItem(product.strip(), amount, category.strip() if category else None, margin))
    return tuple(items)


def reconcile(
    amount: Decimal | None, margin: Margin | None, items: Sequence[LineItem], errors: Collector
) -> tuple[Decimal | None, Margin | None]:
    """The deal's amount and margin once its lines agree with them (see the module's rules)."""
    if margin is not None:
        check_margin(margin, amount if amount is not None or not items else sum_amounts(items), errors, "margin")
    if not items:
        return amount, margin
    total = sum_amounts(items)
    if amount is None:
        amount = total
    elif total != amount:
        errors.add("items", f"the lines add up to {total} but the deal's amount is {amount}: they must be equal")
    with_margin = [item for item in items if item.margin is not None]
    if with_margin and len(with_margin) != len(items):
        missing = next(i for i, item in enumerate(items) if item.margin is None)
        errors.add(f"items[{missing}].margin", "is required when another line carries a margin")
    elif with_margin:
        lines_margin = sum((item.margin.of(item.amount) for item in with_margin if item.margin), Decimal(0))
        if margin is None:
            margin = Margin(lines_margin)
        elif margin.of(amount) != lines_margin:
            errors.add("margin", f"is {margin.of(amount)} but the lines' margins add up to {lines_margin}")
    elif margin is not None and not margin.percent:
        errors.add("margin", 'give each line its margin, or the deal\'s margin as a percent ("35%")')
    return amount, margin


def sum_amounts(items: Sequence[LineItem]) -> Decimal:
    return sum((item.amount for item in items), Decimal(0))
