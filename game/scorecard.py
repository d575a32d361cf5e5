"""The KPI scorecard (绩效考核): ratio KPIs weighed against targets into one score out of 100.

A team's manager defines it: which KPIs count, each with a weight (whole numbers, together exactly 100), a
target that earns full marks (conversion 30 = 30 %, aov in the organisation's currency, retention in percent,
csat on 1–5, nps on −100…100) and a minimum number of events before the KPI counts. A KPI scores
``min(value ÷ target, 1) × 100`` (never below 0). A KPI without enough data is left out and the weights of the
rest are rescaled to 100, and the card says so; with none left there is no total.

Periods are calendar months (``2026-12``) or quarters (``2026-Q4``) in the organisation's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from game.errors import Collector, ValidationError
from game.kpis import CONVERSION_BASES, DEFAULT_MIN_EVENTS, KPIS, UNITS, KpiValue
from game.lift import Period

WEIGHT_TOTAL = 100
MAX_MIN_EVENTS = 10_000
MAX_TARGETS = {"conversion": 100, "aov": 10**12, "retention": 100, "csat": 5, "nps": 100}
_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")
PLACES = Decimal("0.01")


@dataclass(frozen=True)
class KpiTerm:
    kpi: str
    weight: int
    target: Decimal
    min_events: int = DEFAULT_MIN_EVENTS


@dataclass(frozen=True)
class ScorecardDefinition:
    terms: tuple[KpiTerm, ...]
    conversion_basis: str = "closed"

    @property
    def minimums(self) -> dict[str, int]:
        return {term.kpi: term.min_events for term in self.terms}

    def as_dict(self) -> dict[str, Any]:
        return {
            "kpis": [
                {"kpi": t.kpi, "weight": t.weight, "target": str(t.target), "min_events": t.min_events}
                for t in self.terms
            ],
            "conversion_basis": self.conversion_basis,
        }


def parse_definition(document: Mapping[str, Any]) -> ScorecardDefinition:
    """A definition from its stored or sent form; raises ``ValidationError`` naming every fault (weights that
    do not add up to 100, a KPI twice, a target that is not positive or beyond what the KPI can reach)."""
    errors = Collector()
    raw_terms = document.get("kpis")
    if not isinstance(raw_terms, list) or not raw_terms:
        raise ValidationError.single("kpis", "is required: a list of {kpi, weight, target}")
    terms: list[KpiTerm] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_terms):
        at = Collector(f"kpis[{index}]")
        term = _term(raw, at, seen)
        errors.errors.extend(at.errors)
        if term is not None:
            terms.append(term)
    if len(terms) == len(raw_terms) and sum(t.weight for t in terms) != WEIGHT_TOTAL:
        errors.add("kpis", f"the weights add up to {sum(t.weight for t in terms)}: they must add up to {WEIGHT_TOTAL}")
    basis = document.get("conversion_basis", "closed")
    if basis not in CONVERSION_BASES:
        errors.add("conversion_basis", f"must be one of {', '.join(CONVERSION_BASES)}")
    errors.raise_if_any()
    return ScorecardDefinition(tuple(terms), basis)


def _term(raw: Any, errors: Collector, seen: set[str]) -> KpiTerm | None:
    if not isinstance(raw, Mapping):
        errors.add("", "must be an object {kpi, weight, target}")
        return None
    kpi, weight, min_events = raw.get("kpi"), raw.get("weight"), raw.get("min_events", DEFAULT_MIN_EVENTS)
    if kpi not in KPIS:
        errors.add("kpi", f"must be one of {', '.join(KPIS)}")
    elif kpi in seen:
        errors.add("kpi", f"{kpi} is listed twice")
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= WEIGHT_TOTAL:
        errors.add("weight", f"must be a whole number from 0 to {WEIGHT_TOTAL}")
    if isinstance(min_events, bool) or not isinstance(min_events, int) or not 1 <= min_events <= MAX_MIN_EVENTS:
        errors.add("min_events", f"must be a whole number from 1 to {MAX_MIN_EVENTS}")
    target = _target(raw.get("target"), kpi, errors)
    if errors.errors or target is None or not isinstance(kpi, str):
        return None
    seen.add(kpi)
    return KpiTerm(kpi, int(weight), target, int(min_events))  # type: ignore[arg-type]


def _target(value: Any, kpi: Any, errors: Collector) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        errors.add("target", "is required: a positive number (full marks at or above it)")
        return None
    try:
        target = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except ArithmeticError:
        errors.add("target", f"is not a number: {value!r}")
        return None
    ceiling = MAX_TARGETS.get(kpi) if isinstance(kpi, str) else None
    if not target.is_finite() or target <= 0:
        errors.add("target", "must be a positive number")
        return None
    if ceiling is not None and target > ceiling:
        errors.add("target", f"must be at most {ceiling} for {kpi} ({UNITS[kpi]})")
        return None
    return target


def parse_period(text: str | None, zone: tzinfo, now: datetime) -> tuple[str, Period]:
    """``2026-12`` (a month) or ``2026-Q4`` (a quarter) in ``zone``; None: the month of ``now`` there.
    Raises ``ValidationError`` on ``period``."""
    if text is None:
        local = now.astimezone(zone)
        text = f"{local.year:04d}-{local.month:02d}"
    found = _PERIOD.fullmatch(text.strip())
    if found is None or not 2000 <= int(found.group(1)) <= 2999:
        raise ValidationError.single("period", "must be a month (2026-12) or a quarter (2026-Q4)")
    year = int(found.group(1))
    first = int(found.group(2)) if found.group(2) else 3 * int(found.group(3)) - 2
    months = 1 if found.group(2) else 3
    after = first + months
    start = datetime(year, first, 1, tzinfo=zone)
    end = datetime(year + (after - 1) // 12, (after - 1) % 12 + 1, 1, tzinfo=zone)
    return text.strip(), Period(start, end)


def kpi_points(value: Decimal, target: Decimal) -> Decimal:
    """Marks out of 100 for one KPI: full marks at or above its target, none at or below zero."""
    return min(max(value / target, Decimal(0)), Decimal(1)) * 100


def _number(value: Decimal | None) -> float | None:
    return float(value.quantize(PLACES, rounding=ROUND_HALF_UP)) if value is not None else None


def score_card(definition: ScorecardDefinition | None, values: Mapping[str, KpiValue]) -> dict[str, Any]:
    """One card: every KPI's value (the defined ones first, with weight, target, marks and the weight it
    carried after rescaling), the weighted total out of 100 and what was left out for want of data."""
    terms: Sequence[KpiTerm] = definition.terms if definition else ()
    counted = [t for t in terms if values[t.kpi].counts]
    counted_weight = sum(t.weight for t in counted)
    rows: list[dict[str, Any]] = []
    total = Decimal(0)
    for term in terms:
        value = values[term.kpi]
        row = _row(value)
        row.update(weight=term.weight, target=float(term.target), points=None, effective_weight=0.0)
        if value.value is not None and counted_weight:
            points = kpi_points(value.value, term.target)
            share = Decimal(term.weight) * WEIGHT_TOTAL / counted_weight
            total += points * share / WEIGHT_TOTAL
            row.update(points=_number(points), effective_weight=_number(share))
        rows.append(row)
    defined = {t.kpi for t in terms}
    rows.extend(_row(values[kpi]) for kpi in KPIS if kpi not in defined)
    left_out = [t.kpi for t in terms if not values[t.kpi].counts and t.weight]
    return {
        "defined": definition is not None,
        "total": _number(total) if counted_weight else None,
        "rescaled": bool(left_out) and counted_weight > 0,
        "left_out": left_out,
        "kpis": rows,
    }


def _row(value: KpiValue) -> dict[str, Any]:
    return {
        "kpi": value.kpi,
        "unit": UNITS[value.kpi],
        "value": _number(value.value),
        "sample": value.sample,
        "min_events": value.minimum,
        "reason": value.reason,
    }
