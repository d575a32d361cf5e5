"""Margin commission, line items and monthly exchange rates in the pure engine, as specifications."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from game.contest_replay import ContestReplay
from game.contests import parse_contest
from game.deal_points import breakdown
from game.directory import Directory, Rep, Team
from game.errors import ValidationError
from game.events import Event, parse_event
from game.exchange_rates import Rates
from game.log_event import LogEvent
from game.log_record import pack_event, unpack
from game.scoring import decide, scoring_warnings

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
DIRECTORY = Directory(reps={"wang": Rep("wang", "王芳", "east")}, teams={"east": Team("east", "华东战队")})
RATES = Rates("CNY", "Asia/Shanghai", {("USD", "2026-11"): Decimal("7.1234"), ("EUR", "2026-11"): Decimal("7.5")})


def contest(**overrides: object):
    definition = {
        "id": "nov",
        "name": "十一月毛利赛",
        "starts_at": "2026-11-01T00:00:00+08:00",
        "ends_at": "2026-12-01T00:00:00+08:00",
        "rules": [{"on": "deal.won", "points_per": 1000}],
    }
    definition.update(overrides)
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


def event(**fields: object) -> Event:
    raw = {"id": "e1", "type": "deal.won", "rep": "wang", "amount": "20000", "occurred_at": "2026-11-20T10:00:00+08:00"}
    raw.update(fields)
    return parse_event(raw, now=NOW, default_currency="CNY")


ITEMS = [
    {"product": "A100", "category": "hardware", "amount": "12000", "margin": "3000"},
    {"product": "S1", "category": "service", "amount": "8000", "margin": "50%"},
]
MARGIN_RULE = {"on": "deal.won", "points_per": 100, "basis": "margin", "multipliers": {"product": {"A100": 1.5}}}


def points(c, e: Event, rates: Rates | None = None) -> list[int]:
    return [hit.points for change in decide(e, [c], DIRECTORY, rates) for hit in change.hits]


def test_a_revenue_contest_scores_exactly_as_before_margin_and_items() -> None:
    plain, lined = event(), event(items=ITEMS)
    assert points(contest(), plain) == points(contest(), lined) == [20]
    assert points(contest(multipliers={"category": {"x": 2}}), event(category="x")) == [40]


def test_margin_basis_scores_each_line_on_its_margin_with_its_product_multiplier() -> None:
    c = contest(rules=[MARGIN_RULE])
    # A100: 3000 / 100 × 1.5 = 45; S1: 50 % of 8000 = 4000 / 100 = 40
    assert points(c, event(items=ITEMS)) == [85]
    scored = breakdown(c.rules[0], event(items=ITEMS), "CNY", None)
    assert [(line.product, line.margin, line.factor, line.points) for line in scored.lines] == [
        ("A100", Decimal("3000"), Decimal("1.5"), Decimal("45.0")),
        ("S1", Decimal("4000"), Decimal("1"), Decimal("40")),
    ]


def test_a_deal_level_margin_as_money_or_percent() -> None:
    c = contest(rules=[{"on": "deal.won", "points_per": 100, "basis": "margin"}])
    assert points(c, event(margin="1200.50")) == [12]
    assert points(c, event(margin="35%")) == [70]
    # a percent margin applies to lines without their own
    assert points(c, event(margin="10%", items=[dict(i, margin=None) for i in ITEMS])) == [20]


def test_per_line_category_multipliers_and_category_filters() -> None:
    c = contest(
        rules=[
            {"on": "deal.won", "points_per": 1000, "multipliers": {"category": {"hardware": 2}}},
            {"on": "deal.won", "points": 5, "points_per": 1000, "category": "service"},
        ]
    )
    # rule 1: 12 × 2 + 8 = 32; rule 2: only the service line, 5 + 8
    assert points(c, event(items=ITEMS)) == [32, 13]


def test_a_margin_rule_without_margin_scores_flat_points_and_warns() -> None:
    c = contest(rules=[{"on": "deal.won", "points": 3, "points_per": 100, "basis": "margin"}])
    assert points(c, event()) == [3]
    [warning] = scoring_warnings(event(), [c], DIRECTORY, RATES)
    assert warning.startswith("margin: nov scores on margin")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"items": [dict(ITEMS[1], amount="1")]}, "items", "add up to"),
        ({"margin": "25000"}, "margin", "more than the amount"),
        ({"margin": "-1"}, "margin", "must not be negative"),
        ({"margin": "101%"}, "margin", "between 0% and 100%"),
        ({"items": [ITEMS[0], dict(ITEMS[1], margin=None)]}, "items[1].margin", "is required"),
        ({"items": ITEMS, "margin": "7000.01"}, "margin", "add up to 7000"),
        ({"items": [{"product": "A", "amount": "1"}] * 51}, "items", "at most 50"),
        ({"type": "call.logged", "margin": "10%"}, "margin", "only deal.won"),
    ],
)
def test_deals_whose_numbers_disagree_are_refused_with_the_field_at_fault(
    fields: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        event(**fields)
    assert any(e.field == field and words in e.message for e in refused.value.errors), refused.value.errors


def test_a_deal_without_an_amount_takes_the_sum_of_its_lines_and_their_margin() -> None:
    e = event(amount=None, items=ITEMS)
    assert e.amount == Decimal("20000") and e.margin is not None and e.margin.of(e.amount) == Decimal("7000")


def test_another_currency_converts_at_its_months_rate_and_waits_without_one() -> None:
    c = contest(ends_at="2027-01-01T00:00:00+08:00", rules=[{"on": "deal.won", "points": 1, "points_per": 1000}])
    usd = event(currency="USD", amount="1000")
    assert points(c, usd) == [1]  # no rates at all: the flat points only, as before
    assert points(c, usd, RATES) == [8]  # 1 + 7,123.4 / 1000
    december = event(currency="USD", amount="1000", occurred_at="2026-11-30T16:30:00+00:00")  # Dec 1st in Shanghai
    assert points(c, december, RATES) == [1]
    [warning] = scoring_warnings(december, [c], DIRECTORY, RATES)
    assert "no USD rate for 2026-12" in warning and "PUT /api/v1/rates/2026-12" in warning
    assert scoring_warnings(usd, [c], DIRECTORY, RATES) == []


def test_a_contest_in_another_currency_converts_through_the_organisations() -> None:
    c = contest(currency="EUR", rules=[{"on": "deal.won", "points_per": 1}])
    # 1000 USD = 7123.4 CNY = 949.78.. EUR
    assert points(c, event(currency="USD", amount="1000"), RATES) == [949]
    assert points(c, event(currency="CNY", amount="750"), RATES) == [100]


def test_margin_and_lines_convert_too() -> None:
    c = contest(rules=[MARGIN_RULE])
    usd = event(currency="USD", items=ITEMS)
    scored = breakdown(c.rules[0], usd, "CNY", RATES)
    assert scored.conversion is not None and scored.conversion.rate == Decimal("7.1234")
    rate = Decimal("7.1234")
    assert scored.points == int(3000 * rate / 100 * Decimal("1.5") + 4000 * rate / 100)


def test_the_log_keeps_margin_and_lines_and_the_replay_scores_them_as_live() -> None:
    c = contest(rules=[MARGIN_RULE, {"on": "deal.won", "points_per": 1000, "min_amount": 100000}])
    events = [
        event(id="a", items=ITEMS),
        event(id="b", currency="USD", margin="40%", amount="15000"),
        event(id="c", currency="EUR", amount="2000", items=[{"product": "A100", "amount": "2000", "margin": "900"}]),
        event(id="d", amount="3000"),
    ]
    replay = ContestReplay(c, DIRECTORY, rates=RATES)
    for e in events:
        field, packed = pack_event(e)
        logged = Event.from_record(unpack({field: packed}))
        assert logged == e
        replay.feed(LogEvent.from_record(unpack({field: packed}, parsed=True)))
    live = {e.id: sum(points(c, e, RATES)) for e in events}
    assert replay.rep_totals["wang"] == sum(live.values())
    assert live["b"] == 427 + 106  # 40 % of 15,000 USD = 42,740.4 CNY / 100; 106,851 CNY reaches the minimum


def test_a_reversal_takes_back_exactly_what_the_lined_deal_gave() -> None:
    c = contest(rules=[MARGIN_RULE])
    replay = ContestReplay(c, DIRECTORY, rates=RATES)
    replay.feed(LogEvent.from_event(event(id="a", items=ITEMS, currency="USD")))
    assert replay.rep_totals["wang"] > 0
    reversal = parse_event(
        {"id": "r", "type": "deal.reversed", "rep": "wang", "ref": "a", "occurred_at": "2026-11-21T10:00:00+08:00"},
        now=NOW,
        default_currency="CNY",
    )
    replay.feed(LogEvent.from_event(reversal))
    assert replay.rep_totals["wang"] == 0


def test_an_update_of_a_lined_deal_replaces_exactly_what_it_gave() -> None:
    c = contest(rules=[MARGIN_RULE])
    replay = ContestReplay(c, DIRECTORY, rates=RATES)
    replay.feed(LogEvent.from_event(event(id="a", items=ITEMS)))
    assert replay.rep_totals["wang"] == 85
    smaller = [dict(ITEMS[0], amount="4000", margin="1000")]
    update = event(id="u", type="deal.updated", ref="a", amount="4000", items=smaller)
    replay.feed(LogEvent.from_event(update))
    assert replay.rep_totals["wang"] == 15 == points(c, update)[0]  # 1,000 / 100 × 1.5
