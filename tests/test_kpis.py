"""Ratio KPIs and the scorecard, as pure functions: each ratio from what stands at the end of the log, the
small-sample rule, weights rescaled around KPIs without data, and definitions refused with the field at fault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from game.errors import ValidationError
from game.events import new_event
from game.kpis import (
    NOT_ENOUGH_DATA,
    KpiFacts,
    kpi_value,
    kpi_values,
    repeat_customers,
    standing_events,
    tally,
)
from game.lift import Period
from game.log_event import LogEvent
from game.scorecard import parse_definition, parse_period, score_card

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 20, 12, tzinfo=UTC)
DECEMBER = Period(datetime(2026, 12, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI))
_ids = count()


def event(kind: str, rep: str = "wang", days_ago: int = 1, **fields: Any) -> LogEvent:
    fields.setdefault("id", f"e{next(_ids)}")
    if kind == "deal.won":
        fields.setdefault("amount", Decimal(1000))
    return LogEvent.from_event(
        new_event(
            type=kind, rep=rep, now=NOW, default_currency="CNY", occurred_at=NOW - timedelta(days=days_ago), **fields
        )
    )


def facts_of(events: list[LogEvent], rep: str = "wang") -> KpiFacts:
    standing = standing_events(events)
    return tally(standing, DECEMBER, "CNY", lambda e: e.rep, repeat_customers(standing, DECEMBER)).get(rep, KpiFacts())


def test_conversion_is_won_over_closed_and_respects_reversals() -> None:
    won = [event("deal.won") for _ in range(3)]
    lost = [event("deal.lost") for _ in range(3)]
    reversal = event("deal.reversed", ref=won[0].id)
    facts = facts_of([*won, *lost, reversal])
    value = kpi_value("conversion", facts, minimum=5)
    assert (facts.won, facts.lost, value.sample) == (2, 3, 5)
    assert value.value == Decimal(40)
    # a reversed loss is no loss either: below five closed opportunities the rate does not count
    short = kpi_value("conversion", facts_of([*won, *lost, reversal, event("deal.reversed", ref=lost[0].id)]), 5)
    assert (short.value, short.reason, short.sample) == (None, NOT_ENOUGH_DATA, 4)


def test_conversion_on_created_basis() -> None:
    events = [event("deal.created") for _ in range(8)] + [event("deal.won") for _ in range(2)]
    assert kpi_value("conversion", facts_of(events), 5, basis="created").value == Decimal(25)


def test_one_deal_out_of_one_is_not_enough_data_not_100_percent() -> None:
    values = kpi_values(facts_of([event("deal.won")]))
    assert values["conversion"].value is None and values["conversion"].reason == NOT_ENOUGH_DATA
    assert values["aov"].value is None and values["aov"].sample == 1
    assert kpi_value("aov", facts_of([event("deal.won")]), minimum=1).value == Decimal(1000)


def test_average_order_value_counts_updates_and_only_the_org_currency() -> None:
    deals = [event("deal.won", amount=Decimal(amount)) for amount in (1000, 2000, 3000)]
    update = event("deal.updated", ref=deals[0].id, amount=Decimal(4000))
    dollars = event("deal.won", amount=Decimal(99999), currency="USD")
    value = kpi_value("aov", facts_of([*deals, update, dollars]), minimum=3)
    assert value.value == Decimal(3000) and value.sample == 3


def test_retention_is_repeat_customers_share_of_revenue() -> None:
    before = [event("deal.won", customer="acme", days_ago=60, rep="li")]  # acme bought before the period: repeat
    old_reversed = event("deal.won", customer="globex", days_ago=60)
    during = [
        event("deal.won", customer="acme", amount=Decimal(3000)),
        event("deal.won", customer="globex", amount=Decimal(1000)),
        event("deal.won", amount=Decimal(5000)),  # no customer: cannot be judged
    ]
    events = [*before, old_reversed, event("deal.reversed", ref=old_reversed.id), *during]
    value = kpi_value("retention", facts_of(events), minimum=2)
    assert value.value == Decimal(75) and value.sample == 2


def test_csat_is_the_mean_rating_and_nps_promoters_minus_detractors() -> None:
    ratings = [event("csat.recorded", attrs={"score": s}) for s in (5, 4, 4, 3, 5)]
    unrated = event("csat.recorded")
    withdrawn = event("csat.recorded", attrs={"score": 1})
    nps = [event("csat.recorded", attrs={"scale": "nps", "score": s}) for s in (10, 9, 8, 3, 10)]
    facts = facts_of([*ratings, unrated, withdrawn, event("deal.reversed", ref=withdrawn.id), *nps])
    assert kpi_value("csat", facts).value == Decimal("4.2")
    assert kpi_value("nps", facts).value == Decimal(40)


@pytest.mark.parametrize(
    ("attrs", "field"),
    [({"score": 6}, "attrs.score"), ({"score": "5"}, "attrs.score"), ({"scale": "nps", "score": 11}, "attrs.score"),
     ({"scale": "stars", "score": 3}, "attrs.scale"), ({"score": True}, "attrs.score")],
)  # fmt: skip
def test_a_survey_rating_outside_its_scale_is_refused(attrs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        event("csat.recorded", attrs=attrs)
    assert [e.field for e in refused.value.errors] == [field]


def test_events_outside_the_period_do_not_count() -> None:
    events = [event("deal.won", days_ago=40) for _ in range(5)] + [event("deal.lost") for _ in range(5)]
    assert kpi_value("conversion", facts_of(events)).value == Decimal(0)


@given(won=st.integers(0, 30), lost=st.integers(0, 30), minimum=st.integers(1, 10))
def test_conversion_counts_only_from_its_minimum_and_stays_within_0_and_100(won: int, lost: int, minimum: int) -> None:
    value = kpi_value("conversion", KpiFacts(won=won, lost=lost), minimum)
    if won + lost < minimum:
        assert value.value is None and value.reason == NOT_ENOUGH_DATA
    else:
        assert value.value is not None and 0 <= value.value <= 100
        assert value.value == Decimal(100 * won) / (won + lost)


@given(st.lists(st.integers(1, 5), max_size=20), st.integers(1, 10))
def test_csat_is_within_the_scale_or_not_enough_data(ratings: list[int], minimum: int) -> None:
    value = kpi_value("csat", KpiFacts(ratings=ratings), minimum)
    assert (value.value is None) == (len(ratings) < minimum)
    if value.value is not None:
        assert min(ratings) <= value.value <= max(ratings)


DEFINITION = {
    "kpis": [
        {"kpi": "conversion", "weight": 40, "target": 30},
        {"kpi": "aov", "weight": 30, "target": "2000"},
        {"kpi": "csat", "weight": 30, "target": 4.5, "min_events": 3},
    ]
}


def test_the_card_weighs_kpis_against_targets() -> None:
    events = [event("deal.won", amount=Decimal(1000)) for _ in range(6)] + [event("deal.lost") for _ in range(14)]
    events += [event("csat.recorded", attrs={"score": 5}) for _ in range(3)]
    card = score_card(parse_definition(DEFINITION), kpi_values(facts_of(events), parse_definition(DEFINITION).minimums))
    rows = {row["kpi"]: row for row in card["kpis"]}
    # conversion 30 % = full marks; aov 1000 of 2000 = 50; csat 5 ≥ 4.5 = full marks
    assert (rows["conversion"]["points"], rows["aov"]["points"], rows["csat"]["points"]) == (100, 50, 100)
    assert card["total"] == 85.0 and not card["rescaled"] and card["left_out"] == []


def test_a_kpi_without_enough_data_is_left_out_and_the_rest_rescaled() -> None:
    events = [event("deal.won", amount=Decimal(1000)) for _ in range(6)] + [event("deal.lost") for _ in range(14)]
    definition = parse_definition(DEFINITION)
    card = score_card(definition, kpi_values(facts_of(events), definition.minimums))
    rows = {row["kpi"]: row for row in card["kpis"]}
    assert card["left_out"] == ["csat"] and card["rescaled"]
    assert rows["csat"]["value"] is None and rows["csat"]["reason"] == NOT_ENOUGH_DATA
    assert rows["conversion"]["effective_weight"] == pytest.approx(57.14)
    assert card["total"] == pytest.approx((40 * 100 + 30 * 50) / 70, abs=0.01)


def test_no_data_at_all_gives_no_total() -> None:
    card = score_card(parse_definition(DEFINITION), kpi_values(None))
    assert card["total"] is None and card["left_out"] == ["conversion", "aov", "csat"]


@given(st.lists(st.integers(0, 100), min_size=1, max_size=5), st.lists(st.booleans(), min_size=5, max_size=5))
def test_the_total_stays_between_0_and_100(weights: list[int], enough: list[bool]) -> None:
    kpis = ["conversion", "aov", "retention", "csat", "nps"][: len(weights)]
    document = {"kpis": [{"kpi": k, "weight": w, "target": 1} for k, w in zip(kpis, weights, strict=False)]}
    if sum(weights) != 100:
        with pytest.raises(ValidationError):
            parse_definition(document)
        return
    definition = parse_definition(document)
    facts = KpiFacts(won=5 if enough[0] else 0, priced_deals=5 if enough[1] else 0, revenue=Decimal(3))
    card = score_card(definition, kpi_values(facts))
    assert card["total"] is None or 0 <= card["total"] <= 100


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"kpis": [{"kpi": "conversion", "weight": 60, "target": 30}]}, "kpis"),
        ({"kpis": [{"kpi": "conversion", "weight": -5, "target": 30}, {"kpi": "aov", "weight": 105, "target": 1}]},
         "kpis[0].weight"),
        ({"kpis": [{"kpi": "aov", "weight": 50, "target": 30}, {"kpi": "aov", "weight": 50, "target": 1}]},
         "kpis[1].kpi"),
        ({"kpis": [{"kpi": "speed", "weight": 100, "target": 1}]}, "kpis[0].kpi"),
        ({"kpis": [{"kpi": "conversion", "weight": 100, "target": 0}]}, "kpis[0].target"),
        ({"kpis": [{"kpi": "csat", "weight": 100, "target": 6}]}, "kpis[0].target"),
        ({"kpis": [{"kpi": "csat", "weight": 100, "target": 4, "min_events": 0}]}, "kpis[0].min_events"),
        ({"kpis": []}, "kpis"),
    ],
)  # fmt: skip
def test_bad_definitions_name_the_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_definition(document)
    assert field in [e.field for e in refused.value.errors]


def test_periods_are_local_months_and_quarters() -> None:
    label, period = parse_period("2026-Q4", SHANGHAI, NOW)
    assert (label, period.start.isoformat(), period.end.isoformat()) == (
        "2026-Q4", "2026-10-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00",
    )  # fmt: skip
    assert parse_period(None, SHANGHAI, datetime(2026, 11, 30, 17, tzinfo=UTC))[0] == "2026-12"  # 01:00 local
    for bad in ("2026-13", "2026-Q5", "26-12", "december"):
        with pytest.raises(ValidationError):
            parse_period(bad, SHANGHAI, NOW)


@given(
    kinds=st.lists(st.sampled_from(["deal.won", "deal.lost", "deal.created", "csat.recorded"]), max_size=25),
    reversed_mask=st.lists(st.booleans(), min_size=25, max_size=25),
    early=st.booleans(),
)
def test_reversing_events_equals_never_sending_them(kinds: list[str], reversed_mask: list[bool], early: bool) -> None:
    """Whatever is reversed (before or after it arrives) counts exactly as if it had never been sent."""
    events = [
        event(kind, attrs={"score": 1 + n % 5} if kind == "csat.recorded" else {}) for n, kind in enumerate(kinds)
    ]
    taken_back = [e for e, gone in zip(events, reversed_mask, strict=False) if gone]
    reversals = [event("deal.reversed", ref=e.id) for e in taken_back]
    log = [*reversals, *events] if early else [*events, *reversals]
    kept = [e for e in events if e not in taken_back]
    assert kpi_values(facts_of(log), basis="closed") == kpi_values(facts_of(kept), basis="closed")
    assert kpi_values(facts_of(log), basis="created") == kpi_values(facts_of(kept), basis="created")
