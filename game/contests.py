"""Contest definitions: JSON data in, a validated immutable ``Contest`` out.

Every problem is reported with the path of the field at fault (``rules[1].points_per``), all at once,
so a manager fixing a definition sees the whole list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from game.errors import Collector
from game.events import TYPE_PATTERN, parse_amount, parse_time
from game.ranking import MAX_CONTEST_SECONDS

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
KINDS = ("individual", "team")
MAX_RULES = 20
MAX_POINTS_PER_EVENT = 1_000_000
MULTIPLIER_ATTRIBUTES = ("category",)


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


@dataclass(frozen=True)
class TeamScore:
    mode: str  # "sum" | "average" | "best"
    best_n: int = 0

    def __str__(self) -> str:
        return f"best:{self.best_n}" if self.mode == "best" else self.mode


@dataclass(frozen=True)
class Contest:
    id: str
    name: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    currency: str
    rules: tuple[Rule, ...]
    team_score: TeamScore
    teams: frozenset[str] | None = None
    reps: frozenset[str] | None = None
    definition: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def status_at(self, now: datetime) -> str:
        if now < self.starts_at:
            return "scheduled"
        return "live" if now < self.ends_at else "ended"

    def covers(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at

    def includes(self, rep_id: str, team_id: str | None) -> bool:
        if self.reps is not None and rep_id in self.reps:
            return True
        if self.teams is not None:
            return team_id is not None and team_id in self.teams
        return self.reps is None


def _parse_multipliers(raw: Any, errors: Collector, name: str) -> dict[str, dict[str, Decimal]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.add(name, 'must be an object such as {"category": {"high_margin": 1.5}}')
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


def _parse_rule(raw: Any, errors: Collector) -> Rule | None:
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
    unknown = set(raw) - {
        "on",
        "points",
        "points_per",
        "multipliers",
        "cap_per_day",
        "category",
        "min_amount",
        "new_customer_only",
        "label",
    }
    for name in sorted(unknown):
        errors.add(name, "is not a rule field")
    return Rule(
        on=str(on),
        points=int(points),
        points_per=points_per,
        multipliers=_parse_multipliers(raw.get("multipliers"), errors, "multipliers"),
        cap_per_day=cap,
        category=categories,
        min_amount=min_amount,
        new_customer_only=new_only,
    )


def _parse_team_score(raw: Any, errors: Collector) -> TeamScore:
    if raw is None or raw == "sum":
        return TeamScore("sum")
    if raw == "average":
        return TeamScore("average")
    if isinstance(raw, str) and (match := re.fullmatch(r"best:([1-9][0-9]{0,2})", raw)):
        return TeamScore("best", int(match.group(1)))
    errors.add("team_score", 'must be "sum", "average" or "best:N" (N from 1 to 999)')
    return TeamScore("sum")


def _id_set(raw: Any, errors: Collector, name: str) -> frozenset[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
        errors.add(name, "must be a list of ids")
        return None
    return frozenset(raw)


def parse_contest(raw: Any, *, default_timezone: str, default_currency: str) -> Contest:
    """Validate a contest definition; raise ValidationError listing every field at fault."""
    errors = Collector()
    if not isinstance(raw, dict):
        errors.add("", "a contest definition must be a JSON object")
        errors.raise_if_any()
    contest_id = raw.get("id")
    if not isinstance(contest_id, str) or not ID_PATTERN.match(contest_id):
        errors.add("id", "is required: 1-64 letters, digits, _ or -, starting with a letter or digit")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 120:
        errors.add("name", "is required: a display name of at most 120 characters")
    kind = raw.get("kind", "individual")
    if kind not in KINDS:
        errors.add("kind", f"must be one of {', '.join(KINDS)}")
    starts_at = parse_time(raw.get("starts_at"), errors, "starts_at")
    ends_at = parse_time(raw.get("ends_at"), errors, "ends_at")
    if starts_at and ends_at:
        if ends_at <= starts_at:
            errors.add("ends_at", "must be after starts_at")
        elif (ends_at - starts_at).total_seconds() > MAX_CONTEST_SECONDS:
            errors.add("ends_at", f"a contest may last at most {MAX_CONTEST_SECONDS // 86400} days")
    timezone = raw.get("timezone", default_timezone)
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        errors.add("timezone", f"is not a known time zone: {timezone!r}")
        timezone = default_timezone
    currency = raw.get("currency", default_currency)
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        errors.add("currency", "must be a three-letter ISO 4217 code")
        currency = default_currency
    rules_raw = raw.get("rules")
    rules: list[Rule] = []
    if not isinstance(rules_raw, list) or not rules_raw:
        errors.add("rules", "is required: a non-empty list of scoring rules")
    elif len(rules_raw) > MAX_RULES:
        errors.add("rules", f"at most {MAX_RULES} rules")
    else:
        for index, rule_raw in enumerate(rules_raw):
            rule_errors = Collector(f"rules[{index}]")
            rule = _parse_rule(rule_raw, rule_errors)
            errors.errors.extend(rule_errors.errors)
            if rule is not None:
                rules.append(rule)
    contest_multipliers = _parse_multipliers(raw.get("multipliers"), errors, "multipliers")
    if contest_multipliers:
        rules = [
            Rule(**{**rule.__dict__, "multipliers": {**contest_multipliers, **rule.multipliers}}) for rule in rules
        ]
    team_score = _parse_team_score(raw.get("team_score"), errors)
    teams = _id_set(raw.get("teams"), errors, "teams")
    reps = _id_set(raw.get("reps"), errors, "reps")
    errors.raise_if_any()
    assert starts_at is not None and ends_at is not None
    return Contest(
        id=str(contest_id),
        name=str(name).strip(),
        kind=str(kind),
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=str(timezone),
        currency=str(currency).upper(),
        rules=tuple(rules),
        team_score=team_score,
        teams=teams,
        reps=reps,
        definition=dict(raw),
    )
