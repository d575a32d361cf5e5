"""Which days are working days: the organisation's overrides first, then the country's public calendar, then
weekends.

For China the public holidays and the 调休 make-up working days (a Saturday or Sunday worked to bridge a long
holiday) come from the ``chinese-calendar`` package, which knows the years the State Council has published.
Other countries (any ISO 3166 code the ``holidays`` package knows: US, GB, DE, JP, SG, HK, TW, …) take their
public holidays, their own weekend (Friday–Saturday in some) and any make-up working days it lists from that
package, for the years its rules cover. Beyond those years, and for ``OTHER``, Monday to Friday are working days:
``WorkCalendar.covers`` says whether a day was judged by a public calendar, so a page can say the pace is by
weekends only. An admin's overrides (extra holidays, extra make-up days) always win, so a company closed on its
founding day or a year not yet published can still be paced right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
import holidays as public_holidays
from holidays.registry import COUNTRIES as COUNTRY_REGISTRY

CHINA = "CN"  # the published Chinese calendar (chinese-calendar), which knows 调休 make-up days
NO_COUNTRY = "OTHER"  # weekends and the organisation's overrides only
WEEKEND = frozenset({5, 6})  # Saturday and Sunday (date.weekday())
MAX_OVERRIDES = 400  # days an organisation may list as holidays or make-up days, each
MAX_SPAN_DAYS = 3 * 366  # the longest range counted at once (a year's goal, with room)


@lru_cache(maxsize=4096)
def _chinese_working_day(day: date) -> bool | None:
    """The published Chinese calendar's answer, or None for a year it does not know."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def known_countries() -> frozenset[str]:
    """Every country code the organisation's calendar may name."""
    return _country_codes() | {NO_COUNTRY}


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(public_holidays.list_supported_countries(include_aliases=False)) | {CHINA}


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Each country code of the ``holidays`` package with its English name ("SG": "Singapore"), by code."""
    names = {entry[1]: re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0]) for entry in COUNTRY_REGISTRY.values()}
    return {code: names.get(code, code) for code in sorted(_country_codes())}


@dataclass(frozen=True)
class _PublicYear:
    """One year of a country's calendar from the ``holidays`` package."""

    off: frozenset[date]  # public holidays (observed days included)
    weekend: frozenset[int]  # the country's weekend days (date.weekday())
    worked: frozenset[date]  # weekend days worked to make up for a bridged holiday


@lru_cache(maxsize=512)
def _public_year(country: str, year: int) -> _PublicYear | None:
    """The ``holidays`` package's calendar of ``country`` for ``year``, or None for a year its rules do not cover."""
    try:
        table = public_holidays.country_holidays(country, years=year)
    except NotImplementedError:  # a code the installed package no longer knows: weekends decide, and say so
        return None
    if not table.start_year <= year <= table.end_year:
        return None
    worked = frozenset(day for day in getattr(table, "weekend_workdays", ()) if day.year == year)
    return _PublicYear(frozenset(table), frozenset(table.weekend or WEEKEND), worked)


def _public_working_day(country: str, day: date) -> bool | None:
    """A non-Chinese public calendar's answer, or None for a year it does not cover."""
    calendar = _public_year(country, day.year)
    if calendar is None:
        return None
    if day in calendar.worked:
        return True
    return day not in calendar.off and day.weekday() not in calendar.weekend


# The years a non-Chinese calendar lists its exceptions for (a streak badge needs finite sets): a streak is judged
# over recent days, so these reach well back and well ahead of any day a badge is awarded for.
EXCEPTION_YEARS = range(2015, 2041)


@lru_cache(maxsize=64)
def _public_exceptions(country: str) -> tuple[frozenset[date], frozenset[date]]:
    """Weekdays off and weekend days worked by ``country``'s calendar (its own weekend said in those terms)."""
    off: set[date] = set()
    on: set[date] = set()
    for year in EXCEPTION_YEARS:
        day = date(year, 1, 1)
        while day.year == year:
            working = _public_working_day(country, day)
            if working is not None and working != (day.weekday() < 5):
                (on if working else off).add(day)
            day += timedelta(days=1)
    return frozenset(off), frozenset(on)


@lru_cache(maxsize=1)
def _chinese_exceptions() -> tuple[frozenset[date], frozenset[date]]:
    """Every published weekday holiday and every weekend make-up working day."""
    off = frozenset(day for day in chinese_calendar.holidays if day.weekday() < 5)
    on = frozenset(day for day in chinese_calendar.workdays if day.weekday() >= 5)
    return off, on


@dataclass(frozen=True)
class WorkCalendar:
    country: str = CHINA
    holidays: frozenset[date] = field(default_factory=frozenset)  # the organisation's extra days off
    workdays: frozenset[date] = field(default_factory=frozenset)  # the organisation's extra working days

    def covers(self, day: date) -> bool:
        """Whether the public calendar (not the weekend fallback) judged ``day``."""
        return self._public(day) is not None

    def _public(self, day: date) -> bool | None:
        if self.country == CHINA:
            return _chinese_working_day(day)
        if self.country == NO_COUNTRY:
            return None
        return _public_working_day(self.country, day)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        published = self._public(day)
        return day.weekday() < 5 if published is None else published

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
        public calendar knows (``EXCEPTION_YEARS`` for a country of the ``holidays`` package) plus the overrides (the
        shape a streak badge's own ``holidays``/``workdays`` take)."""
        if self.country == CHINA:
            public_off, public_on = _chinese_exceptions()
        elif self.country == NO_COUNTRY:
            public_off, public_on = frozenset(), frozenset()
        else:
            public_off, public_on = _public_exceptions(self.country)
        off = (public_off | self.holidays) - self.workdays
        on = (public_on - self.holidays) | self.workdays
        return frozenset(off), frozenset(on)

    def uncovered_between(self, start: date, end: date) -> bool:
        """Whether some day of ``[start, end)`` fell back to weekends (a year the public calendar does not know)."""
        span = min((end - start).days, MAX_SPAN_DAYS)
        return any(not self.covers(start + timedelta(days=offset)) for offset in range(max(span, 0)))


def calendar_of(country: str, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> WorkCalendar:
    return WorkCalendar(country, frozenset(holidays), frozenset(workdays))
