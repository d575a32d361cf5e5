"""Badge definitions are data: validated here, with the defaults every new workspace starts with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from game.errors import Collector, ValidationError
from game.events import parse_amount
from game.rewards import checked_points

PERIODS = ("day", "week", "month", "quarter", "ever")
LIVE_KINDS = ("first_deal", "threshold", "big_deal", "hat_trick", "streak", "new_logo")
CLOSING_KINDS = ("record_breaker", "champion", "best_team", "comeback")
KINDS = LIVE_KINDS + CLOSING_KINDS


@dataclass(frozen=True)
class BadgeDefinition:
    id: str
    kind: str
    name_zh: str
    name_en: str
    period: str = "month"
    deals: int | None = None
    amount: Decimal | None = None
    days: int | None = None
    customers: int | None = None
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # weekend days worked (调休)
    reward_points: int | None = None  # reward points credited with each award (``game/rewards.py``)

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


def _dates(raw: Any, errors: Collector, name: str) -> frozenset[date]:
    if raw is None:
        return frozenset()
    try:
        return frozenset(date.fromisoformat(d) for d in raw)
    except (TypeError, ValueError):
        errors.add(name, "must be a list of dates such as 2026-10-01")
        return frozenset()


def _count(raw: dict[str, Any], key: str, errors: Collector) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        errors.add(key, "must be a whole number from 1 to 10,000")
        return None
    return value


def parse_badge(raw: Any) -> BadgeDefinition:
    errors = Collector()
    if not isinstance(raw, dict):
        raise ValidationError.single("", "a badge definition must be an object")
    badge_id = raw.get("id")
    if not isinstance(badge_id, str) or not badge_id or len(badge_id) > 64:
        errors.add("id", "is required: at most 64 characters")
    kind = raw.get("kind")
    if kind not in KINDS:
        errors.add("kind", f"must be one of {', '.join(KINDS)}")
    names = raw.get("name") or {}
    if not isinstance(names, dict) or not names.get("zh-CN") or not names.get("en"):
        errors.add("name", 'needs both languages: {"zh-CN": "大单王", "en": "Big Deal"}')
        names = {}
    period = raw.get("period", "month")
    if period not in PERIODS:
        errors.add("period", f"must be one of {', '.join(PERIODS)}")
    amount = parse_amount(raw["amount"], errors, "amount") if raw.get("amount") is not None else None
    definition = BadgeDefinition(
        id=str(badge_id),
        kind=str(kind),
        name_zh=str(names.get("zh-CN", "")),
        name_en=str(names.get("en", "")),
        period=str(period),
        deals=_count(raw, "deals", errors),
        amount=amount,
        days=_count(raw, "days", errors),
        customers=_count(raw, "customers", errors),
        holidays=_dates(raw.get("holidays"), errors, "holidays"),
        workdays=_dates(raw.get("workdays"), errors, "workdays"),
        reward_points=checked_points(raw.get("reward_points"), errors, "reward_points"),
    )
    needs = {
        "threshold": ("deals", "amount"),
        "big_deal": ("amount",),
        "streak": ("days",),
        "new_logo": ("customers",),
    }.get(str(kind), ())
    if needs and all(getattr(definition, n) is None for n in needs):
        errors.add(needs[0], f"a {kind} badge needs {' or '.join(needs)}")
    errors.raise_if_any()
    return definition


DEFAULT_BADGES: list[dict[str, Any]] = [
    {"id": "first-deal", "kind": "first_deal", "period": "ever", "name": {"zh-CN": "首单", "en": "First Deal"}},
    {
        "id": "ten-deals-month",
        "kind": "threshold",
        "period": "month",
        "deals": 10,
        "name": {"zh-CN": "月度十单", "en": "Ten in a Month"},
    },
    {
        "id": "million-month",
        "kind": "threshold",
        "period": "month",
        "amount": 1000000,
        "name": {"zh-CN": "百万月", "en": "Million Month"},
    },
    {
        "id": "big-deal",
        "kind": "big_deal",
        "period": "month",
        "amount": 100000,
        "name": {"zh-CN": "大单王", "en": "Big Deal"},
    },
    {
        "id": "hat-trick",
        "kind": "hat_trick",
        "period": "day",
        "deals": 3,
        "name": {"zh-CN": "帽子戏法", "en": "Hat Trick"},
    },
    {
        "id": "streak-5",
        "kind": "streak",
        "period": "month",
        "days": 5,
        "name": {"zh-CN": "五连胜", "en": "5-Day Streak"},
    },
    {
        "id": "new-logo-hunter",
        "kind": "new_logo",
        "period": "month",
        "customers": 3,
        "name": {"zh-CN": "开拓者", "en": "New-Logo Hunter"},
    },
    {
        "id": "record-breaker",
        "kind": "record_breaker",
        "period": "month",
        "name": {"zh-CN": "破纪录", "en": "Record Breaker"},
    },
    {"id": "comeback", "kind": "comeback", "period": "month", "name": {"zh-CN": "逆袭", "en": "Comeback"}},
    {"id": "champion", "kind": "champion", "period": "month", "name": {"zh-CN": "月度最佳销售", "en": "Top Seller"}},
    {"id": "best-team", "kind": "best_team", "period": "month", "name": {"zh-CN": "最佳团队", "en": "Best Team"}},
]
