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


THIS_YEAR = date.today().year


def test_other_countries_take_their_public_holidays_and_weekend_from_the_holidays_package() -> None:
    us = WorkCalendar("US")
    independence = date(THIS_YEAR, 7, 4)
    assert us.covers(independence)
    assert not us.is_working_day(independence)
    # a Fourth of July on a weekend is observed on the Friday before or the Monday after
    observed = {5: independence - timedelta(days=1), 6: independence + timedelta(days=1)}.get(independence.weekday())
    if observed is not None:
        assert not us.is_working_day(observed)
    assert us.is_working_day(next(d for d in _days_of(THIS_YEAR, 9) if d.weekday() == 1))  # a Tuesday in September
    # Israel's weekend is Friday and Saturday
    israel = WorkCalendar("IL")
    weekend = [d for d in _days_of(THIS_YEAR, 3) if d.weekday() in (4, 5)]
    assert weekend and not any(israel.is_working_day(d) for d in weekend)
    sundays = [d for d in _days_of(THIS_YEAR, 3) if d.weekday() == 6]
    assert any(israel.is_working_day(d) for d in sundays)
    # China stays on chinese-calendar: its 调休 Saturday is a working day
    assert WorkCalendar("CN").is_working_day(MAKE_UP_SATURDAY_2025)
    # beyond the years the package's rules cover, weekends decide (goals say so with weekends_only)
    far = next(d for d in _days_of(2199, 1) if d.weekday() == 1)  # a Tuesday
    assert not us.covers(far) and us.is_working_day(far) and us.uncovered_between(far, far + timedelta(days=1))


def test_another_countrys_calendar_as_a_streak_badges_exceptions() -> None:
    us = calendar_of("US", holidays=[date(THIS_YEAR, 3, 10)])
    holidays, workdays = us.exceptions()
    plain = parse_badge({"id": "s", "kind": "streak", "days": 3, "name": {"zh-CN": "连", "en": "s"}})
    follows = on_calendar(plain, holidays, workdays)
    for day in _days_of(THIS_YEAR, 7) + _days_of(THIS_YEAR, 3):
        assert is_working_day(day, follows) == us.is_working_day(day)
    israel = WorkCalendar("IL")
    follows = on_calendar(plain, *israel.exceptions())
    for day in _days_of(THIS_YEAR, 5):
        assert is_working_day(day, follows) == israel.is_working_day(day)


def _days_of(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    return [first + timedelta(days=n) for n in range(28)]
