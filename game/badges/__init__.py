"""Badges: one module per kind, each a pure judge of a rep's standing facts in one period.

A badge is awarded once per period (its instance key is ``<badge id>:<period key>``) and, because it is
always judged from the deals that still stand, a reversal that takes away its basis revokes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from game.badges import big_deal, first_deal, hat_trick, new_logo, streak, threshold
from game.badges.definitions import LIVE_KINDS, BadgeDefinition
from game.badges.facts import Fact, Period, period_of

Judge = Callable[[BadgeDefinition, Sequence[Fact], Period, int, ZoneInfo], "tuple[str, ...] | None"]

JUDGES: dict[str, Judge] = {
    "first_deal": first_deal.judge,
    "threshold": threshold.judge,
    "big_deal": big_deal.judge,
    "hat_trick": hat_trick.judge,
    "streak": streak.judge,
    "new_logo": new_logo.judge,
}
assert set(JUDGES) == set(LIVE_KINDS)


@dataclass(frozen=True)
class Award:
    badge: str
    period: str
    basis: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.badge}:{self.period}"


def judge_live_badges(
    definitions: Sequence[BadgeDefinition],
    facts: Sequence[Fact],
    moments: Iterable[datetime],
    zone: ZoneInfo,
    lifetime_deals: int,
) -> tuple[set[str], dict[str, Award]]:
    """The live badges a rep holds for the periods around ``moments``.

    Each (badge, period) is judged once however many moments fall into it, so a burst of deals costs
    one judgement per period. Returns the instance keys judged (stored awards among them that are not
    earned any more are to be revoked) and the awards earned.
    """
    # One instant per local day is enough: every period kind is a whole number of days.
    instants = list({instant.astimezone(zone).date(): instant for instant in moments}.values())
    by_day: dict[date, list[Fact]] = {}
    for fact in facts:  # local days once, not once per badge and period
        by_day.setdefault(fact.at.astimezone(zone).date(), []).append(fact)
    periods_of: dict[tuple[str, datetime], Period] = {}
    judged: set[str] = set()
    earned: dict[str, Award] = {}
    for badge in definitions:
        judge = JUDGES.get(badge.kind)
        if judge is None:
            continue
        periods = {}
        for instant in instants:
            period = periods_of.get((badge.period, instant))
            if period is None:
                period = periods_of[(badge.period, instant)] = period_of(badge.period, instant, zone)
            periods[period.key] = period
        for period in periods.values():
            if badge.kind == "streak":
                in_period: Sequence[Fact] = facts
            else:
                in_period = [
                    f for day, day_facts in by_day.items() if period.start <= day < period.end for f in day_facts
                ]
            key = f"{badge.id}:{period.key}"
            judged.add(key)
            basis = judge(badge, in_period, period, lifetime_deals, zone)
            if basis:
                earned[key] = Award(badge.id, period.key, basis)
    return judged, earned
