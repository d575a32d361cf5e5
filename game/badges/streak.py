"""Streak: deals on N consecutive working days. Weekends and holidays neither count nor break a streak;
weekend days worked by decree (调休, ``workdays``) count as working days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from game.badges.definitions import BadgeDefinition
from game.badges.facts import Fact, Period


def is_working_day(day: date, badge: BadgeDefinition) -> bool:
    if day in badge.workdays:
        return True
    return day.weekday() < 5 and day not in badge.holidays


def on_calendar(badge: BadgeDefinition, holidays: frozenset[date], workdays: frozenset[date]) -> BadgeDefinition:
    """A streak badge that lists no days of its own follows the organisation's calendar (public holidays, 调休 and
    the organisation's own days: ``WorkCalendar.exceptions``); one that lists any keeps exactly its own."""
    if badge.kind != "streak" or badge.holidays or badge.workdays:
        return badge
    return replace(badge, holidays=holidays, workdays=workdays)


def streaks_reaching(days_with_deals: set[date], length: int, badge: BadgeDefinition) -> list[list[date]]:
    """Every run of consecutive working days with deals at the moment it reaches ``length`` days."""
    found: list[list[date]] = []
    run: list[date] = []
    day, last = min(days_with_deals), max(days_with_deals)
    while day <= last:
        if is_working_day(day, badge):
            run = [*run, day] if day in days_with_deals else []
            if len(run) == length:
                found.append(run)
        day += timedelta(days=1)
    return found


def judge(
    badge: BadgeDefinition, facts: Sequence[Fact], period: Period, lifetime_deals: int, zone: ZoneInfo
) -> tuple[str, ...] | None:
    """Earned in the period in which a streak reaches N days (it may have begun in the period before)."""
    assert badge.days is not None
    by_day: dict[date, list[str]] = {}
    for fact in facts:
        by_day.setdefault(fact.at.astimezone(zone).date(), []).append(fact.deal)
    if not by_day:
        return None
    for run in streaks_reaching(set(by_day), badge.days, badge):
        if period.start <= run[-1] < period.end:
            return tuple(sorted(deal for day in run for deal in by_day[day]))
    return None
