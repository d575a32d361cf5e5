"""The working-day calendar: China's published holidays and 调休 make-up days, weekends beyond the years the
public calendar knows, and the organisation's own overrides on top of both."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from game.badges.definitions import parse_badge
from game.badges.streak import is_working_day, on_calendar
from game.work_calendar import WorkCalendar, calendar_of

CN = WorkCalendar("CN")
NATIONAL_DAY_2025 = date(2025, 10, 1)  # Wednesday, a holiday
MAKE_UP_SATURDAY_2025 = date(2025, 10, 11)  # a Saturday worked to bridge the National Day week
UNPUBLISHED = date(2099, 1, 5)  # a Monday in a year no calendar knows yet


def test_chinese_holidays_and_make_up_days() -> None:
    assert not CN.is_working_day(NATIONAL_DAY_2025)
    assert CN.is_working_day(MAKE_UP_SATURDAY_2025)
    assert CN.covers(NATIONAL_DAY_2025)
    # 1–8 October 2025 are off; the 9th and 10th are worked, and so is Saturday the 11th
    assert CN.working_days_between(date(2025, 10, 1), date(2025, 10, 12)) == 3
    assert CN.nth_working_day(date(2025, 10, 1), 1) == date(2025, 10, 9)
    assert CN.nth_working_day(date(2025, 10, 1), 3) == MAKE_UP_SATURDAY_2025


def test_beyond_the_published_years_weekends_decide() -> None:
    assert not CN.covers(UNPUBLISHED)
    assert CN.is_working_day(UNPUBLISHED) and not CN.is_working_day(UNPUBLISHED - timedelta(days=2))
    assert CN.working_days_between(UNPUBLISHED, UNPUBLISHED + timedelta(days=14)) == 10
    assert CN.uncovered_between(UNPUBLISHED, UNPUBLISHED + timedelta(days=1))
    assert not CN.uncovered_between(NATIONAL_DAY_2025, NATIONAL_DAY_2025 + timedelta(days=7))


def test_the_organisations_overrides_win() -> None:
    saturday = UNPUBLISHED - timedelta(days=2)
    own = calendar_of("OTHER", holidays=[UNPUBLISHED], workdays=[saturday, MAKE_UP_SATURDAY_2025])
    assert own.is_working_day(saturday) and not own.is_working_day(UNPUBLISHED)
    assert own.is_working_day(MAKE_UP_SATURDAY_2025)
    # another country knows no Chinese holiday: 1 October 2025 is a plain Wednesday there
    assert own.is_working_day(NATIONAL_DAY_2025) and not own.covers(NATIONAL_DAY_2025)


def test_edges() -> None:
    assert CN.working_days_between(UNPUBLISHED, UNPUBLISHED) == 0
    assert CN.working_days_between(UNPUBLISHED, UNPUBLISHED - timedelta(days=3)) == 0
    with pytest.raises(ValueError):
        CN.nth_working_day(UNPUBLISHED, 0)
    with pytest.raises(ValueError):
        calendar_of("OTHER", holidays=[UNPUBLISHED + timedelta(days=n) for n in range(3 * 366)]).nth_working_day(
            UNPUBLISHED, 1
        )


def test_streak_badges_without_days_of_their_own_follow_the_calendar() -> None:
    own = calendar_of("CN", holidays=[UNPUBLISHED], workdays=[UNPUBLISHED - timedelta(days=2)])
    holidays, workdays = own.exceptions()
    plain = parse_badge({"id": "s", "kind": "streak", "days": 3, "name": {"zh-CN": "连", "en": "s"}})
    follows = on_calendar(plain, holidays, workdays)
    for day in (NATIONAL_DAY_2025, MAKE_UP_SATURDAY_2025, UNPUBLISHED, UNPUBLISHED - timedelta(days=2)):
        assert is_working_day(day, follows) == own.is_working_day(day)
    listed = parse_badge(
        {"id": "s", "kind": "streak", "days": 3, "name": {"zh-CN": "连", "en": "s"}, "holidays": ["2025-10-02"]}
    )
    assert on_calendar(listed, holidays, workdays) is listed  # its own days, exactly
    assert is_working_day(NATIONAL_DAY_2025, listed)  # 1 October is not among them
