"""The pure rules of goals: periods as local days, splits whose parts always add up, and pace by working days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.errors import ValidationError
from game.events import parse_event
from game.exchange_rates import Rates
from game.goals import (
    goal_rule,
    metric_totals,
    pace,
    parse_goal,
    period_days,
    points_target,
    previous_period,
    split_by_actuals,
    split_evenly,
)
from game.log_event import LogEvent
from game.rules import Rule
from game.work_calendar import calendar_of


def test_periods() -> None:
    assert period_days("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert period_days("2026-Q1") == (date(2026, 1, 1), date(2026, 4, 1))
    assert period_days("2026") == (date(2026, 1, 1), date(2027, 1, 1))
    assert [previous_period(p) for p in ("2026-01", "2026-Q1", "2026-Q3", "2026")] == [
        "2025-12",
        "2025-Q4",
        "2026-Q2",
        "2025",
    ]
    with pytest.raises(ValueError):
        period_days("2026-13")


@given(st.integers(1, 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_splits_always_add_up(total: int, weights: list[int]) -> None:
    owners = [f"o{i}" for i in range(len(weights))]
    assert sum(split_evenly(total, owners).values()) == total
    by_actuals = split_by_actuals(total, owners, dict(zip(owners, map(float, weights), strict=True)))
    assert sum(by_actuals.values()) == total and min(by_actuals.values()) >= 0


def test_last_periods_actuals_split_in_proportion() -> None:
    assert split_by_actuals(100, ["a", "b", "c"], {"a": 3.0, "b": 1.0}) == {"a": 75, "b": 25, "c": 0}
    assert split_by_actuals(10, ["a", "b", "c"], {}) == {"a": 4, "b": 3, "c": 3}  # nobody did anything: evenly


def test_pace_counts_working_days_only() -> None:
    # March 2027 (no public holiday in March): 23 weekdays; the 1st–5th off, Saturday the 6th worked
    calendar = calendar_of("CN", holidays=[date(2027, 3, d) for d in range(1, 6)], workdays=[date(2027, 3, 6)])
    early = pace(0, 1000, "2027-03", date(2027, 3, 5), calendar)
    assert (early.working_days, early.working_days_elapsed, early.expected) == (19, 0, 0)
    assert early.status == "on_track"
    saturday = pace(30, 1900, "2027-03", date(2027, 3, 6), calendar)
    assert (saturday.working_days_elapsed, saturday.expected, saturday.status) == (1, 100, "behind")
    assert pace(2000, 1900, "2027-03", date(2027, 3, 6), calendar).status == "reached"
    after = pace(0, 1900, "2027-03", date(2027, 4, 2), calendar)
    assert (after.working_days_elapsed, after.working_days_left, after.expected) == (19, 0, 1900)


def test_a_goal_names_every_field_at_fault() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_goal("bad id!", {"metric": "smiles", "period": "2026-Q5", "level": "company", "owner": "x", "target": 0})
    assert {e.field for e in refused.value.errors} == {"id", "metric", "period", "owner", "target"}


def test_only_a_rule_that_scores_revenue_one_for_one_turns_a_revenue_goal_into_points() -> None:
    """A margin rule scores margin: against a target counted in revenue its 100 % could never be reached."""
    revenue = Rule("deal.won", points_per=Decimal(100))
    assert points_target(60_000, "revenue", [revenue]) == 600
    assert points_target(60_000, "revenue", [Rule("deal.won", points_per=Decimal(100), basis="margin")]) is None
    assert points_target(60_000, "revenue", [Rule("deal.won", points=5, points_per=Decimal(100))]) is None
    assert points_target(60_000, "revenue", [revenue, Rule("deal.won", points_per=Decimal(50))]) is None
    assert points_target(30, "deals", [Rule("deal.won", points=2)]) == 60


def test_a_margin_goal_pairs_only_with_a_margin_rule_and_says_which_basis_fits() -> None:
    margin = Rule("deal.won", points_per=Decimal(100), basis="margin", multipliers={"product": {"A100": Decimal(2)}})
    assert points_target(25_000, "margin", [margin]) == 250
    assert goal_rule("margin", [margin]) is margin
    revenue = Rule("deal.won", points_per=Decimal(100))
    assert goal_rule("margin", [revenue]) == 'a margin goal needs its deal.won rule on "basis": "margin", not "revenue"'
    assert (
        goal_rule("revenue", [margin]) == 'a revenue goal needs its deal.won rule on "basis": "revenue", not "margin"'
    )
    assert "points_per" in str(goal_rule("margin", [Rule("deal.won", points=3, basis="margin")]))
    assert "2 found" in str(goal_rule("margin", [margin, revenue]))
    assert "flat" in str(goal_rule("calls", [Rule("call.logged", points_per=Decimal(1))]))


NOV = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
RATES = Rates("CNY", "Asia/Shanghai", {("USD", "2026-11"): Decimal("7.5")})


def standing(rep: str, **fields: object) -> LogEvent:
    raw = {
        "id": f"{rep}-{len(str(fields))}",
        "type": "deal.won",
        "rep": rep,
        "occurred_at": NOV.isoformat(),
        **fields,
    }
    return LogEvent.from_event(parse_event(raw, now=datetime(2026, 12, 5, tzinfo=UTC), default_currency="CNY"))


def test_a_margin_goal_counts_the_margin_scoring_counts_converted_at_the_months_rate() -> None:
    items = [
        {"product": "A100", "category": "hardware", "amount": "12000", "margin": "3000"},
        {"product": "S1", "category": "service", "amount": "8000", "margin": "50%"},
    ]
    events = [
        standing("wang", amount="36000", margin="25%"),  # 9,000
        standing("li", amount="20000", items=items),  # 3,000 + 4,000
        standing("li", amount="1000", currency="USD", margin="200"),  # $200 at 7.5
        standing("zhao", amount="5000"),  # no margin: nothing
        standing("zhao", type="call.logged"),
    ]
    assert metric_totals("margin", events, "CNY", RATES) == {"wang": 9000.0, "li": 8500.0}
    no_rate = metric_totals("margin", events, "CNY", Rates("CNY", "Asia/Shanghai"))
    assert no_rate == {"wang": 9000.0, "li": 7000.0}  # the dollar deal waits for its month's rate, as in scoring
    assert metric_totals("revenue", events, "CNY", RATES) == {"wang": 36000.0, "li": 20000.0, "zhao": 5000.0}
