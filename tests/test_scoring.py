"""The pure engine, as specifications: which contests an event changes and by how much."""

from __future__ import annotations

from decimal import Decimal

import pytest

from game.contests import parse_contest
from game.directory import initials
from game.errors import ValidationError
from game.events import parse_event
from game.scoring import decide, rule_points
from tests.support.scoring_examples import DIRECTORY, NOW, contest, event


def test_revenue_points_round_down_per_rule_and_event() -> None:
    [change] = decide(event(), [contest()], DIRECTORY)
    assert [(h.rule, h.points) for h in change.hits] == [(0, 12)]
    assert change.team == "east" and change.day == "2026-11-20"


def test_category_multiplier_on_the_contest_or_overridden_on_the_rule() -> None:
    c = contest(
        multipliers={"category": {"high_margin": 1.5}},
        rules=[
            {"on": "deal.won", "points_per": 1000},
            {"on": "deal.won", "points": 10, "multipliers": {"category": {"high_margin": 3}}},
        ],
    )
    hits = decide(event(category="high_margin", amount="10000"), [c], DIRECTORY)[0].hits
    assert [h.points for h in hits] == [15, 30]


def test_money_is_decimal_never_float() -> None:
    e = event(amount=0.1)
    assert e.amount == Decimal("0.1")
    assert rule_points(contest().rules[0], event(amount="999.99"), contest()) == 0


def test_events_outside_the_window_or_from_non_participants_score_nothing() -> None:
    assert decide(event(occurred_at="2026-10-31T23:59:59+08:00"), [contest()], DIRECTORY) == []
    assert decide(event(rep="li"), [contest(teams=["east"])], DIRECTORY) == []
    assert decide(event(rep="solo"), [contest(reps=["solo"])], DIRECTORY)[0].team is None


def test_filters_category_min_amount_and_new_customers() -> None:
    c = contest(
        rules=[
            {"on": "deal.won", "points": 50, "min_amount": 50000},
            {"on": "deal.won", "points": 20, "new_customer_only": True},
            {"on": "deal.won", "points": 5, "category": ["saas", "hardware"]},
        ]
    )
    assert [h.rule for h in decide(event(amount="60000"), [c], DIRECTORY)[0].hits] == [0]
    assert [h.rule for h in decide(event(new_customer=True, category="saas"), [c], DIRECTORY)[0].hits] == [1, 2]


def test_reversal_goes_to_every_contest_and_names_the_original() -> None:
    changes = decide(
        event(id="r1", type="deal.reversed", ref="e1", amount=None), [contest(), contest(id="q4")], DIRECTORY
    )
    assert [(c.contest_id, c.deal_key, c.undo, c.hits) for c in changes] == [
        ("nov", "api:e1", True, ()),
        ("q4", "api:e1", True, ()),
    ]


def test_update_undoes_the_original_and_applies_the_new_amount() -> None:
    [change] = decide(event(id="u1", type="deal.updated", ref="e1", amount="5000"), [contest()], DIRECTORY)
    assert change.undo and change.deal_key == "api:e1" and change.hits[0].points == 5


def test_other_currency_gets_no_revenue_points() -> None:
    assert decide(event(currency="USD"), [contest()], DIRECTORY)[0].hits[0].points == 0


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"id": "", "type": "deal.won", "rep": "wang", "amount": "1"}, "id"),
        ({"id": "x" * 129, "type": "deal.won", "rep": "wang", "amount": "1"}, "id"),
        ({"id": "a", "type": "Deal Won", "rep": "wang", "amount": "1"}, "type"),
        ({"id": "a", "type": "deal.won", "rep": "wang", "amount": "-5"}, "amount"),
        ({"id": "a", "type": "deal.won", "rep": "wang", "amount": "1.23456"}, "amount"),
        ({"id": "a", "type": "deal.won", "rep": "wang", "amount": "NaN"}, "amount"),
        ({"id": "a", "type": "deal.won", "rep": "wang", "amount": "1", "currency": "yuan"}, "currency"),
        ({"id": "a", "type": "deal.reversed", "rep": "wang"}, "ref"),
        ({"id": "a", "type": "deal.won", "rep": "wang", "amount": "1", "occurred_at": "yesterday"}, "occurred_at"),
    ],
)
def test_bad_events_name_the_field(raw: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(raw, now=NOW, default_currency="CNY")
    assert field in [e.field for e in caught.value.errors]


def test_contest_validation_lists_every_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_contest(
            {
                "id": "-",
                "kind": "league",
                "starts_at": "2026-11-01T00:00:00+08:00",
                "ends_at": "2028-11-01T00:00:00+08:00",
                "rules": [{"on": "deal.won", "bogus": 1}],
                "timezone": "Mars/Olympus",
            },
            default_timezone="Asia/Shanghai",
            default_currency="CNY",
        )
    fields = {e.field for e in caught.value.errors}
    assert {"id", "name", "kind", "ends_at", "timezone", "rules[0].bogus", "rules[0].points"} <= fields


def test_initials_for_opted_out_reps() -> None:
    assert initials("Alice Chen") == "A.C."
    assert initials("王芳") == "王."
