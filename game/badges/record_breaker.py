"""Record breaker: the month's single biggest deal that still stands; an earlier deal wins a tie."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
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


def late_months(moments: Iterable[datetime], facts: Iterable[Fact], zone: ZoneInfo, now: datetime) -> dict[str, float]:
    """Months that ended before ``now`` (in the zone) among a rep's changed ``moments``, each with the rep's
    biggest standing deal there (0 when none stands): a deal that came or went after its month closed may
    move a record decided already."""
    current = f"{now.astimezone(zone):%Y-%m}"
    late = {month: 0.0 for moment in moments if (month := f"{moment.astimezone(zone):%Y-%m}") < current}
    if not late:
        return late  # the usual case: this month's deals (no fact looked at)
    bounds = [(month, *month_bounds(month, zone)) for month in late]
    for fact in facts:
        for month, start, end in bounds:
            if start <= fact.at < end:
                late[month] = max(late[month], float(fact.amount))
    return late


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A month (``2026-11``) as the instants it starts and ends at in the zone."""
    first = date.fromisoformat(f"{month}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time(0), zone), datetime.combine(following, time(0), zone)
