"""Record breaker: the month's single biggest deal that still stands; an earlier deal wins a tie."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from game.badges.facts import Fact


def record_holder(facts_by_rep: Iterable[tuple[str, Iterable[Fact]]]) -> tuple[str, Fact] | None:
    """(rep, deal) holding the month's record, or None when the month had no deal."""
    best: tuple[str, Fact] | None = None
    for rep, facts in facts_by_rep:
        for fact in facts:
            if best is None or (fact.amount, -fact.at.timestamp()) > (best[1].amount, -best[1].at.timestamp()):
                best = (rep, fact)
    return best


def late_months(moments: Iterable[datetime], zone: ZoneInfo, now: datetime) -> set[str]:
    """The months (in the zone) of a rep's changed ``moments`` that ended before ``now``: a deal that came or went
    after its month closed may move a record decided already."""
    month_began = now.astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return {f"{moment.astimezone(zone):%Y-%m}" for moment in moments if moment < month_began}
