"""Reward points' pure rules: which month and quarter an approval counts against, what prizes and badges owe and
under which ref (so crediting twice gives nothing twice), and how an over-budget refusal reads."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from game.errors import Collector
from game.rewards import (
    badge_credits,
    budget_periods,
    cents,
    checked_points,
    money,
    over_budget,
    prize_credits,
    valid_period,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_an_approval_counts_in_the_organisations_month_and_quarter() -> None:
    # 31 March 17:00 UTC is already 1 April in Shanghai: the second quarter
    assert budget_periods(datetime(2027, 3, 31, 17, tzinfo=UTC), SHANGHAI) == ("2027-04", "2027-Q2")
    assert budget_periods(datetime(2027, 3, 31, 15, tzinfo=UTC), SHANGHAI) == ("2027-03", "2027-Q1")
    assert budget_periods(datetime(2027, 12, 31, 12, tzinfo=UTC), SHANGHAI) == ("2027-12", "2027-Q4")


@pytest.mark.parametrize(("period", "valid"), [("2026-12", True), ("2026-Q4", True), ("2026-13", False),
                                                ("2026-Q0", False), ("2026-1", False), ("1999-01", False)])  # fmt: skip
def test_a_budget_period_is_a_month_or_a_quarter(period: str, valid: bool) -> None:
    assert valid_period(period) is valid


def test_money_is_counted_in_cents() -> None:
    assert cents(Decimal("199.995")) == 20000 and money(20000) == "200.00" and money(5) == "0.05"


def test_prizes_owe_their_winners_and_a_teams_members_under_refs_that_name_them() -> None:
    results = {
        "contest": "2026-12",
        "prizes": [
            {"id": "wang", "board": "reps", "prize": "¥5,000", "reward_points": 300},
            {"id": "li", "board": "reps", "prize": "¥2,000"},  # no reward points: nothing owed
            {"id": "east", "board": "teams", "prize": "团队聚餐", "reward_points": 50},
        ],
    }
    credits = prize_credits(results, {"east": ["wang", "zhao"]})
    assert [(c.rep, c.points, c.source) for c in credits] == [("wang", 300, "prize"), ("wang", 50, "prize"),
                                                              ("zhao", 50, "prize")]  # fmt: skip
    assert len({c.ref for c in credits}) == 3 and all(c.ref.startswith("2026-12:") for c in credits)
    assert prize_credits(results, {"east": ["wang", "zhao"]}) == credits  # kept again: the same refs


def test_badges_owe_each_award_once_and_take_nothing_back() -> None:
    changes = [
        {"action": "awarded", "rep": "wang", "badge": "first-deal", "period": "ever"},
        {"action": "awarded", "rep": "wang", "badge": "plain", "period": "2026-12"},
        {"action": "revoked", "rep": "wang", "badge": "first-deal", "period": "ever"},
        {"action": "awarded", "rep": "wang", "badge": "first-deal", "period": "ever"},
    ]
    credits = badge_credits(changes, {"first-deal": 20})
    assert [(c.rep, c.points) for c in credits] == [("wang", 20), ("wang", 20)]
    assert credits[0].ref == credits[1].ref  # awarded again: the same ref, credited once by the store


def test_reward_points_of_a_prize_or_badge_are_whole_and_bounded() -> None:
    errors = Collector()
    assert checked_points(None, errors, "x") is None and checked_points(5, errors, "x") == 5
    for bad in (0, -1, True, 2.5, "5", 10**7):
        assert checked_points(bad, errors, "reward_points") is None
    assert len(errors.errors) == 6


def test_an_over_budget_refusal_says_by_how_much() -> None:
    assert over_budget("2026-12", "points", 500, 450, 70) == (
        "approving this would exceed the 2026-12 budget of 500 points by 70 (spent 450)"
    )
    assert "budget of 1000.00 by 99.50" in over_budget("2026-Q4", "money", 100000, 95000, 9950)
