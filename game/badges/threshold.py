"""Threshold: N deals, or an amount won, within the period."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from game.badges.definitions import BadgeDefinition
from game.badges.facts import Fact, Period


def judge(
    badge: BadgeDefinition, facts: Sequence[Fact], period: Period, lifetime_deals: int, zone: ZoneInfo
) -> tuple[str, ...] | None:
    if badge.deals is not None and len(facts) >= badge.deals:
        return tuple(sorted(f.deal for f in facts))
    if badge.amount is not None and sum(f.amount for f in facts) >= badge.amount:
        return tuple(sorted(f.deal for f in facts))
    return None
