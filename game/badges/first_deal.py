"""First deal: the rep's first won deal (ever, or in the badge's period)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from game.badges.definitions import BadgeDefinition
from game.badges.facts import Fact, Period


def judge(
    badge: BadgeDefinition, facts: Sequence[Fact], period: Period, lifetime_deals: int, zone: ZoneInfo
) -> tuple[str, ...] | None:
    if period.kind == "ever":
        return ("lifetime",) if lifetime_deals >= 1 else None
    return (min(facts, key=lambda f: f.at).deal,) if facts else None
