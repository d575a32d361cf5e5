"""Awards and the hall of fame's streaks as pure rules: which crowns a result gives, which of them are news against
what was crowned before (none twice; a corrected winner moves the crown), and streaks over working days."""

from __future__ import annotations

from game.awards import Crown, check_awards, crown_moves, crowns, newest_first
from game.errors import Collector
from game.hall_of_fame import longest_streak, longest_streaks
from game.work_calendar import calendar_of
from tests.support.calendar import Calendar

AWARDS = {"awards": [{"kind": "best_team", "title": "年度铁军"}, {"kind": "best_seller"}]}


def test_a_result_crowns_the_awards_the_contest_lists() -> None:
    given = crowns("c1", AWARDS, {"champion": "wang", "best_team": "east"})
    assert given == [Crown("c1", "best_team", "east", "年度铁军"), Crown("c1", "best_seller", "wang", None)]
    assert crowns("c1", {}, {"champion": "wang"}) == []
    assert crowns("c1", AWARDS, {"champion": None, "best_team": None})[1].winner is None


def test_a_crown_is_news_once_and_moves_with_the_winner() -> None:
    first = crowns("c1", AWARDS, {"champion": "wang", "best_team": "east"})
    assert crown_moves({}, first) == first
    kept = {c.key: {"winner": c.winner} for c in first}
    assert crown_moves(kept, first) == []  # a second close or a rescore that changes nothing
    corrected = crowns("c1", AWARDS, {"champion": "li", "best_team": "east"})
    assert crown_moves(kept, corrected) == [Crown("c1", "best_seller", "li", None, previous="wang")]
    emptied = crowns("c1", AWARDS, {"champion": None, "best_team": "east"})
    assert crown_moves(kept, emptied) == [Crown("c1", "best_seller", None, None, previous="wang")]
    assert crown_moves({}, emptied) == [emptied[0]]  # nobody earned it: nothing to crown


def test_the_awards_field_is_checked() -> None:
    def problems(raw: object) -> list[str]:
        errors = Collector()
        check_awards(raw, errors)
        return [e.field for e in errors.errors]

    assert problems(None) == [] and problems(AWARDS["awards"]) == []
    assert problems([{"kind": "best_seller"}, {"kind": "best_seller"}]) == ["awards[1].kind"]
    assert problems([{"kind": "mvp"}]) == ["awards[0].kind"]
    assert problems([{"kind": "best_team", "title": " "}]) == ["awards[0].title"]
    assert problems([{"kind": "best_team", "title": "x" * 61}]) == ["awards[0].title"]
    assert problems([{"kind": "best_team", "points": 5}]) == ["awards[0]"]
    assert problems("best_seller") == ["awards"]


def test_crowns_of_one_close_list_the_best_seller_first() -> None:
    at = "2026-12-01T00:00:00+00:00"
    later = "2026-12-02T00:00:00+00:00"
    listed = newest_first(
        [{"award": "best_team", "at": at}, {"award": "best_seller", "at": at}, {"award": "x", "at": later}]
    )
    assert [c["award"] for c in listed] == ["x", "best_seller", "best_team"]


def test_a_streak_skips_the_weekend_and_breaks_on_a_working_day_without_a_deal() -> None:
    d = Calendar.from_clock().past_week()
    weekdays = calendar_of("OTHER").is_working_day
    assert longest_streak({d["thu"], d["fri"], d["next_mon"], d["next_tue"]}, weekdays) == (4, d["next_tue"])
    assert longest_streak({d["thu"], d["fri"], d["next_tue"]}, weekdays) == (2, d["fri"])  # Monday without a deal
    assert longest_streak({d["sat"]}, weekdays) == (0, None)  # a Saturday alone is no working day
    assert longest_streak(set(), weekdays) == (0, None)
    streaks = longest_streaks(
        [("a", {d["thu"], d["fri"]}), ("b", {d["thu"], d["fri"], d["next_mon"]}), ("c", {d["fri"]})], weekdays
    )
    assert [(s.rep, s.days) for s in streaks] == [("b", 3), ("a", 2)]  # one day is no streak


def test_a_streak_follows_the_organisations_holidays_and_make_up_days() -> None:
    d = Calendar.from_clock().past_week()
    # Wednesday is a holiday, Saturday a 调休 make-up working day
    calendar = calendar_of("OTHER", holidays=[d["wed"]], workdays=[d["sat"]]).is_working_day
    around_the_holiday = {d["mon"], d["tue"], d["thu"], d["fri"]}
    assert longest_streak(around_the_holiday, calendar) == (4, d["fri"])  # the holiday does not break it
    assert longest_streak(around_the_holiday, calendar_of("OTHER").is_working_day) == (2, d["tue"])
    # the make-up Saturday without a deal breaks the streak; with one it counts
    assert longest_streak({d["thu"], d["fri"], d["next_mon"], d["next_tue"]}, calendar) == (2, d["fri"])
    assert longest_streak({d["thu"], d["fri"], d["sat"], d["next_mon"]}, calendar) == (4, d["next_mon"])
    assert longest_streak({d["sun"]}, calendar) == (0, None)  # the Sunday stays a day off
