"""Hat trick: N deals (3 by default) on one day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from game.badges.definitions import BadgeDefinition
from game.badges.facts import Fact, Period


def judge(
    badge: BadgeDefinition, facts: Sequence[Fact], period: Period, lifetime_deals: int, zone: ZoneInfo
) -> tuple[str, ...] | None:
    needed = badge.deals or 3
    by_day: dict[date, list[str]] = defaultdict(list)
    for fact in facts:
        by_day[fact.at.astimezone(zone).date()].append(fact.deal)
    for day in sorted(by_day):
        if len(by_day[day]) >= needed:
            return tuple(sorted(by_day[day]))
    return None
