"""Which days are working days: the organisation's overrides first, then the country's public calendar, then
weekends.

For China the public holidays and the 调休 make-up working days (a Saturday or Sunday worked to bridge a long
holiday) come from the ``chinese-calendar`` package, which knows the years the State Council has published.
Beyond those years, and for other countries, Monday to Friday are working days: ``WorkCalendar.covers`` says
whether a day was judged by the public calendar, so a page can say the pace is by weekends only. An admin's
overrides (extra holidays, extra make-up days) always win, so a company closed on its founding day or a year
not yet published can still be paced right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

COUNTRIES = ("CN", "OTHER")  # CN: the published Chinese calendar; OTHER: weekends and the overrides only
MAX_OVERRIDES = 400  # days an organisation may list as holidays or make-up days, each
MAX_SPAN_DAYS = 3 * 366  # the longest range counted at once (a year's goal, with room)


@lru_cache(maxsize=4096)
def _chinese_working_day(day: date) -> bool | None:
    """The published Chinese calendar's answer, or None for a year it does not know."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@lru_cache(maxsize=1)
def _chinese_exceptions() -> tuple[frozenset[date], frozenset[date]]:
    """Every published weekday holiday and every weekend make-up working day."""
    off = frozenset(day for day in chinese_calendar.holidays if day.weekday() < 5)
    on = frozenset(day for day in chinese_calendar.workdays if day.weekday() >= 5)
    return off, on


@dataclass(frozen=True)
class WorkCalendar:
    country: str = "CN"
    holidays: frozenset[date] = field(default_factory=frozenset)  # the organisation's extra days off
    workdays: frozenset[date] = field(default_factory=frozenset)  # the organisation's extra working days

    def covers(self, day: date) -> bool:
        """Whether the public calendar (not the weekend fallback) judged ``day``."""
        return self.country == "CN" and _chinese_working_day(day) is not None

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if self.country == "CN":
            published = _chinese_working_day(day)
            if published is not None:
                return published
        return day.weekday() < 5

    def working_days_between(self, start: date, end: date) -> int:
        """Working days from ``start`` up to but not including ``end`` (0 when ``end`` is not after it)."""
        span = min((end - start).days, MAX_SPAN_DAYS)
        return sum(1 for offset in range(max(span, 0)) if self.is_working_day(start + timedelta(days=offset)))

    def nth_working_day(self, start: date, n: int) -> date:
        """The ``n``-th working day counting ``start`` as the first candidate (n ≥ 1)."""
        if n < 1:
            raise ValueError("n counts from 1")
        day, found = start, 0
        for _ in range(MAX_SPAN_DAYS):
            if self.is_working_day(day):
                found += 1
                if found == n:
                    return day
            day += timedelta(days=1)
        raise ValueError(f"no {n}th working day within {MAX_SPAN_DAYS} days of {start}")

    def exceptions(self) -> tuple[frozenset[date], frozenset[date]]:
        """The calendar as two finite sets over Monday–Friday: weekdays off and weekend days worked, every year the
        public calendar knows plus the overrides (the shape a streak badge's own ``holidays``/``workdays`` take)."""
        public_off, public_on = _chinese_exceptions() if self.country == "CN" else (frozenset(), frozenset())
        off = (public_off | self.holidays) - self.workdays
        on = (public_on - self.holidays) | self.workdays
        return frozenset(off), frozenset(on)

    def uncovered_between(self, start: date, end: date) -> bool:
        """Whether some day of ``[start, end)`` fell back to weekends (a year the public calendar does not know)."""
        span = min((end - start).days, MAX_SPAN_DAYS)
        return any(not self.covers(start + timedelta(days=offset)) for offset in range(max(span, 0)))


def calendar_of(country: str, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> WorkCalendar:
    return WorkCalendar(country, frozenset(holidays), frozenset(workdays))
