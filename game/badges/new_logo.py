"""New-logo hunter: N deals with new customers within the period."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from game.badges.definitions import BadgeDefinition
from game.badges.facts import Fact, Period


def judge(
    badge: BadgeDefinition, facts: Sequence[Fact], period: Period, lifetime_deals: int, zone: ZoneInfo
) -> tuple[str, ...] | None:
    assert badge.customers is not None
    new = sorted(f.deal for f in facts if f.new_customer)
    return tuple(new) if len(new) >= badge.customers else None
