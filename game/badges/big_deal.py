"""Big deal: a single deal of at least the amount within the period."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from game.badges.definitions import BadgeDefinition
from game.badges.facts import Fact, Period


def judge(
    badge: BadgeDefinition, facts: Sequence[Fact], period: Period, lifetime_deals: int, zone: ZoneInfo
) -> tuple[str, ...] | None:
    assert badge.amount is not None
    big = sorted(f.deal for f in facts if f.amount >= badge.amount)
    return tuple(big) if big else None
