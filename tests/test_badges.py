"""Badge kinds as specifications: each judged purely from the deals that still stand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from game.badges import judge_live_badges
from game.badges.definitions import DEFAULT_BADGES, parse_badge
from game.badges.facts import Fact, months_needed, period_of
from game.badges.streak import is_working_day
from game.errors import ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def fact(deal: str, amount: str, local: str, new: bool = False) -> Fact:
    at = datetime.fromisoformat(local).replace(tzinfo=SHANGHAI).astimezone(UTC)
    return Fact(deal, Decimal(amount), at, new)


def held(badge: dict, facts: list[Fact], moment: str, lifetime: int = 0) -> dict:
    definition = parse_badge(badge)
    at = datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)
    _, earned = judge_live_badges([definition], facts, [at], SHANGHAI, lifetime)
    return earned


def test_first_deal_is_for_ever_and_goes_when_the_only_deal_is_reversed() -> None:
    badge = {"id": "first", "kind": "first_deal", "period": "ever", "name": {"zh-CN": "首单", "en": "First"}}
    assert list(held(badge, [], "2026-11-20T10:00", lifetime=1)) == ["first:ever"]
    assert held(badge, [], "2026-11-20T10:00", lifetime=0) == {}


def test_threshold_by_count_or_amount_in_the_period() -> None:
    by_count = {"id": "t", "kind": "threshold", "deals": 3, "name": {"zh-CN": "三单", "en": "Three"}}
    deals = [
        fact("a", "100", "2026-11-02T10:00"),
        fact("b", "100", "2026-11-15T10:00"),
        fact("c", "100", "2026-10-30T10:00"),
    ]  # the last one is October's
    assert held(by_count, deals, "2026-11-20T10:00") == {}
    deals.append(fact("d", "1", "2026-11-30T23:59"))
    award = held(by_count, deals, "2026-11-20T10:00")["t:2026-11"]
    assert award.basis == ("a", "b", "d")
    by_amount = {"id": "m", "kind": "threshold", "amount": "1000000", "name": {"zh-CN": "百万", "en": "Million"}}
    assert held(by_amount, [fact("a", "999999.99", "2026-11-02T10:00")], "2026-11-20T10:00") == {}
    assert "m:2026-11" in held(
        by_amount,
        [fact("a", "600000", "2026-11-02T10:00"), fact("b", "400000", "2026-11-03T10:00")],
        "2026-11-20T10:00",
    )


def test_big_deal_and_new_logo_hunter() -> None:
    big = {"id": "big", "kind": "big_deal", "amount": 100000, "name": {"zh-CN": "大单", "en": "Big"}}
    assert held(big, [fact("a", "99999", "2026-11-02T10:00")], "2026-11-02T10:00") == {}
    assert held(big, [fact("a", "100000", "2026-11-02T10:00")], "2026-11-02T10:00")["big:2026-11"].basis == ("a",)
    hunter = {"id": "nl", "kind": "new_logo", "customers": 2, "name": {"zh-CN": "开拓", "en": "Hunter"}}
    deals = [fact("a", "1", "2026-11-02T10:00", new=True), fact("b", "1", "2026-11-03T10:00")]
    assert held(hunter, deals, "2026-11-03T10:00") == {}
    deals.append(fact("c", "1", "2026-11-04T10:00", new=True))
    assert held(hunter, deals, "2026-11-03T10:00")["nl:2026-11"].basis == ("a", "c")


def test_hat_trick_counts_deals_on_one_local_day() -> None:
    trick = {"id": "hat", "kind": "hat_trick", "period": "day", "deals": 3, "name": {"zh-CN": "帽子", "en": "Hat"}}
    # 23:30 and 00:30 Shanghai time are different days even though they are the same UTC day.
    deals = [fact("a", "1", "2026-11-20T09:00"), fact("b", "1", "2026-11-20T23:30"), fact("c", "1", "2026-11-21T00:30")]
    assert held(trick, deals, "2026-11-20T12:00") == {}
    deals.append(fact("d", "1", "2026-11-20T15:00"))
    assert held(trick, deals, "2026-11-20T12:00")["hat:2026-11-20"].basis == ("a", "b", "d")


def test_streak_skips_weekends_and_holidays_but_counts_make_up_workdays() -> None:
    streak = {
        "id": "s",
        "kind": "streak",
        "days": 5,
        "name": {"zh-CN": "五连", "en": "Five"},
        "holidays": ["2026-10-01", "2026-10-02"],
        "workdays": ["2026-10-10"],
    }
    monday_to_friday = [fact(f"d{d}", "1", f"2026-11-{d:02d}T10:00") for d in (16, 17, 18, 19)]
    assert held(streak, monday_to_friday, "2026-11-19T10:00") == {}
    over_weekend = [*monday_to_friday[1:], fact("d20", "1", "2026-11-20T10:00"), fact("d23", "1", "2026-11-23T10:00")]
    assert "s:2026-11" in held(streak, over_weekend, "2026-11-23T10:00")  # Tue..Fri + Mon: the weekend skipped
    broken = [f for f in over_weekend if f.deal != "d20"]
    assert held(streak, broken, "2026-11-23T10:00") == {}
    # Mon-Wed 09-28..30, the National Day holidays Thu/Fri 10-01/02 and the weekend pass, Mon-Tue 10-05/06.
    across_holiday = [fact(f"s{d}", "1", f"2026-09-{d}T10:00") for d in (28, 29, 30)] + [
        fact("o5", "1", "2026-10-05T10:00"),
        fact("o6", "1", "2026-10-06T10:00"),
    ]
    assert "s:2026-10" in held(streak, across_holiday, "2026-10-06T10:00")
    # Saturday 10-10 is a make-up workday: a streak without a deal that day breaks.
    make_up = [fact(f"m{d}", "1", f"2026-10-{d:02d}T10:00") for d in (7, 8, 9, 12, 13)]
    assert held(streak, make_up, "2026-10-13T10:00") == {}
    assert "s:2026-10" in held(streak, [*make_up, fact("m10", "1", "2026-10-10T10:00")], "2026-10-13T10:00")
    badge = parse_badge(streak)
    assert not is_working_day(date(2026, 10, 1), badge) and is_working_day(date(2026, 10, 10), badge)


def test_a_streak_that_began_last_month_is_earned_in_the_month_it_completes() -> None:
    streak = {"id": "s", "kind": "streak", "days": 3, "name": {"zh-CN": "三连", "en": "Three"}}
    deals = [fact("a", "1", "2026-10-29T10:00"), fact("b", "1", "2026-10-30T10:00"), fact("c", "1", "2026-11-02T10:00")]
    earned = held(streak, deals, "2026-11-02T10:00")
    assert list(earned) == ["s:2026-11"] and earned["s:2026-11"].basis == ("a", "b", "c")
    assert held(streak, deals[:2], "2026-10-30T10:00") == {}


def test_periods_are_local_and_reads_cover_the_quarter_and_the_month_before() -> None:
    at = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # already 2027-01-01 in Shanghai
    assert period_of("month", at, SHANGHAI).key == "2027-01"
    assert period_of("week", at, SHANGHAI).key == "2026-W53"
    assert period_of("quarter", at, SHANGHAI).key == "2027-Q1"
    assert months_needed(at, SHANGHAI) == ["2026-12", "2027-01", "2027-02", "2027-03"]


def test_defaults_are_valid_and_bad_definitions_name_the_field() -> None:
    for badge in DEFAULT_BADGES:
        parse_badge(badge)
    with pytest.raises(ValidationError) as caught:
        parse_badge({"id": "x", "kind": "big_deal", "name": {"en": "only English"}})
    assert {"name", "amount"} <= {e.field for e in caught.value.errors}


def test_comeback_needs_the_bottom_half_then_the_top_three() -> None:
    from game.badges.comeback import bottom_half, came_back
    from game.ranking import competition_ranks

    board = competition_ranks([("a", 90), ("b", 80), ("c", 70), ("d", 10), ("e", 0), ("f", 0)])
    assert bottom_half(board) == ["d", "e", "f"]  # ranks 4, 5, 5 of 6
    later = competition_ranks([("e", 120), ("a", 90), ("b", 80), ("c", 70), ("d", 10), ("f", 0)])
    assert came_back(later, marked=["e", "f"]) == ["e"]
    assert came_back(competition_ranks([("e", 5), ("a", 4)]), marked=["e"]) == []  # too few reps


def test_record_holder_is_the_biggest_standing_deal_earlier_wins_a_tie() -> None:
    from game.badges.record_breaker import record_holder

    facts = [
        ("r1", [fact("a", "500000", "2026-11-10T10:00"), fact("b", "90000", "2026-11-11T10:00")]),
        ("r2", [fact("c", "500000", "2026-11-09T10:00")]),
    ]
    assert record_holder(facts) == ("r2", facts[1][1][0])
    assert record_holder([]) is None


def test_champion_and_every_active_member_of_the_best_team() -> None:
    from game.badges.champion import champion_awards
    from game.directory import Rep

    reps = [Rep("a", "A", "east"), Rep("b", "B", "east"), Rep("c", "C", "east", active=False), Rep("d", "D", "west")]
    assert champion_awards({"champion": "d", "best_team": "east"}, reps) == [
        ("d", "champion"),
        ("a", "best_team"),
        ("b", "best_team"),
    ]
    assert champion_awards({"champion": None, "best_team": None}, reps) == []


def test_late_months_are_the_closed_months_of_the_moments_in_the_organisations_zone() -> None:
    from game.badges.record_breaker import late_months

    # the organisation's months, not UTC's: 1 December 01:00 in Shanghai is 30 November in UTC
    now = datetime(2026, 12, 1, 1, 0, tzinfo=SHANGHAI)
    late = datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI)
    older = datetime(2026, 10, 31, 23, 59, tzinfo=SHANGHAI)
    today = datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI)
    assert late_months([late, today, older], SHANGHAI, now) == {"2026-11", "2026-10"}
    assert late_months([today], SHANGHAI, now) == set()  # this month's deal: nothing to check
