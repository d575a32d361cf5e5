"""Scoring rules: which events a rule scores and how many points, parsed from contest JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from game.errors import Collector
from game.events import TYPE_PATTERN, parse_amount

MAX_POINTS_PER_EVENT = 1_000_000
# A deal's category multiplies the whole deal, or each line by its own category (``game.line_items``); a
# product multiplies the lines of that product.
MULTIPLIER_ATTRIBUTES = ("category", "product")
# What ``points_per`` counts: the deal's amount (revenue) or its margin.
BASES = ("revenue", "margin")
RULE_FIELDS = frozenset(
    {
        "on",
        "points",
        "points_per",
        "basis",
        "multipliers",
        "cap_per_day",
        "category",
        "min_amount",
        "new_customer_only",
        "label",
    }
)


@dataclass(frozen=True)
class Rule:
    on: str
    points: int = 0
    points_per: Decimal | None = None
    multipliers: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    cap_per_day: int | None = None
    category: tuple[str, ...] = ()
    min_amount: Decimal | None = None
    new_customer_only: bool = False
    basis: str = "revenue"


def parse_multipliers(raw: Any, errors: Collector, name: str) -> dict[str, dict[str, Decimal]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.add(name, 'must be an object such as {"category": {"high_margin": 1.5}, "product": {"A100": 2}}')
        return {}
    parsed: dict[str, dict[str, Decimal]] = {}
    for attribute, table in raw.items():
        if attribute not in MULTIPLIER_ATTRIBUTES:
            errors.add(f"{name}.{attribute}", f"unknown attribute; use one of {', '.join(MULTIPLIER_ATTRIBUTES)}")
            continue
        if not isinstance(table, dict) or not table:
            errors.add(f"{name}.{attribute}", 'must map values to factors, e.g. {"high_margin": 1.5}')
            continue
        parsed[attribute] = {}
        for value, factor in table.items():
            amount = parse_amount(factor, errors, f"{name}.{attribute}.{value}")
            if amount is not None and not Decimal(0) <= amount <= Decimal(100):
                errors.add(f"{name}.{attribute}.{value}", "must be between 0 and 100")
            elif amount is not None:
                parsed[attribute][str(value)] = amount
    return parsed


def parse_rule(raw: Any, errors: Collector) -> Rule | None:
    if not isinstance(raw, dict):
        errors.add("", 'must be an object such as {"on": "deal.won", "points_per": 1000}')
        return None
    on = raw.get("on")
    if not isinstance(on, str) or not TYPE_PATTERN.match(on):
        errors.add("on", "is required: the event type this rule scores, e.g. deal.won")
    points = raw.get("points", 0)
    if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= MAX_POINTS_PER_EVENT:
        errors.add("points", f"must be a whole number from 0 to {MAX_POINTS_PER_EVENT:,}")
        points = 0
    points_per = None
    if raw.get("points_per") is not None:
        points_per = parse_amount(raw["points_per"], errors, "points_per")
        if points_per is not None and points_per <= 0:
            errors.add("points_per", "must be a positive amount (money per point)")
            points_per = None
    if not points and points_per is None and "points" not in raw:
        errors.add("points", "a rule needs points (flat per event) and/or points_per (money per point)")
    cap = raw.get("cap_per_day")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap <= 0):
        errors.add("cap_per_day", "must be a positive whole number of points")
        cap = None
    category = raw.get("category")
    categories: tuple[str, ...] = ()
    if category is not None:
        values = [category] if isinstance(category, str) else category
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            errors.add("category", "must be a category name or a list of them")
        else:
            categories = tuple(values)
    min_amount = None
    if raw.get("min_amount") is not None:
        min_amount = parse_amount(raw["min_amount"], errors, "min_amount")
    new_only = raw.get("new_customer_only", False)
    if not isinstance(new_only, bool):
        errors.add("new_customer_only", "must be true or false")
        new_only = False
    basis = "revenue" if raw.get("basis") is None else raw["basis"]
    if basis not in BASES:
        errors.add("basis", 'must be "revenue" (points per amount) or "margin" (points per margin)')
        basis = "revenue"
    unknown = set(raw) - RULE_FIELDS
    for name in sorted(unknown):
        errors.add(name, "is not a rule field")
    return Rule(
        on=str(on),
        points=int(points),
        points_per=points_per,
        multipliers=parse_multipliers(raw.get("multipliers"), errors, "multipliers"),
        cap_per_day=cap,
        category=categories,
        min_amount=min_amount,
        new_customer_only=new_only,
        basis=str(basis),
    )
