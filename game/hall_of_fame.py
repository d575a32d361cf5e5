"""The hall of fame (销售明星榜) slide's longest streaks and records, from plain facts — pure.

A streak counts consecutive working days with a won deal that still stands; days off neither count nor break it,
and a working weekend day (a 调休 make-up day) without a deal breaks it, as the streak badge judges
(``game/badges/streak.py``). Which days are working days is the caller's to say: the organisation's calendar
(``game/work_calendar.py``). Records are the months' biggest deals as the record-breaker badge decided them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

MAX_STREAKS = 5
MAX_RECORDS = 5
MAX_CHAMPIONS = 8


@dataclass(frozen=True)
class Streak:
    rep: str
    days: int
    last: date  # the streak's last working day with a deal


def longest_streak(days: set[date], working: Callable[[date], bool]) -> tuple[int, date | None]:
    """The longest run of consecutive working days in ``days`` (days off between them are skipped), and its
    last day; ``(0, None)`` without any working day."""
    best, best_end, run = 0, None, 0
    if not days:
        return 0, None
    day, last = min(days), max(days)
    while day <= last:
        if working(day):
            run = run + 1 if day in days else 0
            if run > best:
                best, best_end = run, day
        day += timedelta(days=1)
    return best, best_end


def longest_streaks(
    days_by_rep: Iterable[tuple[str, set[date]]], working: Callable[[date], bool], limit: int = MAX_STREAKS
) -> list[Streak]:
    """The reps with the longest streaks (at least two days), longest first; a tie goes to the later streak, then
    the rep id."""
    found = []
    for rep, days in days_by_rep:
        length, end = longest_streak(days, working)
        if length >= 2 and end is not None:
            found.append(Streak(rep, length, end))
    found.sort(key=lambda s: (-s.days, -s.last.toordinal(), s.rep))
    return found[:limit]
