"""A rule's points for one event in integer arithmetic wherever that is provably the same as the ``Decimal``
arithmetic of ``game.scoring.rule_points`` (falling back to it where it is not): the replay's hot path."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from game.rules import Rule

# Decimal keeps 28 significant digits; three roundings stay far below this relative margin (see exact_points).
DECIMAL_MARGIN = 10**26


@dataclass(frozen=True, slots=True)
class CompiledRule:
    index: int
    rule: Rule
    flat: int
    per: tuple[int, int] | None  # points_per as a reduced fraction
    factors: dict[str, tuple[int, int]]  # category -> multiplier as a reduced fraction
    cap: int
    categories: frozenset[str] | None
    min_amount: Decimal | None
    new_only: bool


def compile_rule(index: int, rule: Rule) -> CompiledRule:
    # a product multiplier acts only on line items, which the replay scores by ``game.deal_points``
    unknown = set(rule.multipliers) - {"category", "product"}
    if unknown:  # parse_multipliers allows only "category"; anything else would need the slow path
        raise ValueError(f"multiplier attributes {sorted(unknown)} are not supported by the replay")
    table = rule.multipliers.get("category", {})
    return CompiledRule(
        index=index,
        rule=rule,
        flat=rule.points,
        per=rule.points_per.as_integer_ratio() if rule.points_per is not None else None,
        factors={value: factor.as_integer_ratio() for value, factor in table.items()},
        cap=rule.cap_per_day or 0,
        categories=frozenset(rule.category) if rule.category else None,
        min_amount=rule.min_amount,
        new_only=rule.new_customer_only,
    )


def _decimal_points(rule: Rule, amount: Decimal | None, currency_matches: bool, category: str | None) -> int:
    """``game.scoring.rule_points`` on the replay's fields (the reference the fast path must equal)."""
    points = Decimal(rule.points)
    if rule.points_per is not None and amount is not None and currency_matches:
        points += amount / rule.points_per
    factor = Decimal(1)
    table = rule.multipliers.get("category", {})
    if category is not None and category in table:
        factor *= table[category]
    return int((points * factor).to_integral_value(rounding=ROUND_FLOOR))


_ratios: dict[Decimal, tuple[int, int]] = {}


def _ratio(amount: Decimal) -> tuple[int, int]:
    ratio = _ratios.get(amount)
    if ratio is None:
        if len(_ratios) > 100_000:
            _ratios.clear()
        ratio = _ratios[amount] = amount.as_integer_ratio()
    return ratio


def exact_points(rule: CompiledRule, amount: Decimal | None, currency_matches: bool, category: str | None) -> int:
    """Points of one rule for one event, equal to ``rule_points`` (floor of ``(flat + amount/per) × factor``).

    With integers the value is the exact fraction N/D. Decimal rounds the quotient, the sum and the product
    to 28 significant digits, an error below 2·10⁻²⁷ of the value; so when the exact value is an integer
    reached without rounding (``per`` divides the amount) or lies farther than 10⁻²⁶ of itself from every
    integer, both floors agree. Otherwise (a third of a point times three, say) Decimal decides.
    """
    fn, fd = 1, 1
    if rule.factors and category is not None:
        factor = rule.factors.get(category)
        if factor is not None:
            fn, fd = factor
            if fn == 0:
                return 0
    if rule.per is not None and amount is not None and currency_matches:
        an, ad = _ratio(amount)
        pn, pd = rule.per
        num, den = an * pd, ad * pn
        if num >= 0:
            if num % den == 0:
                return ((rule.flat + num // den) * fn) // fd
            big_n = (rule.flat * den + num) * fn
            big_d = den * fd
            rem = big_n % big_d
            if rem and min(rem, big_d - rem) * DECIMAL_MARGIN > big_n + big_d:
                return big_n // big_d
        return _decimal_points(rule.rule, amount, currency_matches, category)
    return (rule.flat * fn) // fd
