"""The month sums kept as the log grows give what the full recomputation gives, figure for figure: goal totals
(``metric_totals`` over ``deal_history``) and scorecard facts (``facts_by_rep_and_team``), on random logs fed in
random slices, with reversals, updates, corrections that arrive before their originals and late events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from game.deal_history import deal_history
from game.exchange_rates import Rates
from game.goals import BASE_METRICS, metric_totals, period_days
from game.kpis import KpiFacts, facts_by_rep_and_team, kpi_values, lookback_start
from game.lift import Period
from game.line_items import Margin
from game.log_event import LogEvent
from game.period_parts import ORIGIN_NONE, Part, PartCodec, origin_code
from game.period_totals import MonthClock, PeriodTotals, month_index, period_months

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime.now(UTC)
THIS_MONTH = NOW.astimezone(ZONE).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
CURRENCY = "CNY"
REPS = ("wang", "li", "zhao", "gone")  # "gone" is not in the directory any more
TEAM_NOW = {"wang": "east", "li": "east", "zhao": "west"}
TYPES = ("deal.won", "deal.lost", "deal.created", "csat.recorded", "call.logged", "meeting.held", "customer.new")
METRICS = (*BASE_METRICS, "events:deal.lost", "events:customer.new")
GENERATE = (Phase.explicit, Phase.reuse, Phase.generate)


def _month_shift(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def _period_labels() -> list[str]:
    """Months, quarters and years around now, back to where the random events reach."""
    labels = {str(THIS_MONTH.year), str(THIS_MONTH.year - 1)}
    for back in (0, 1, 2, 5, 13):
        month = _month_shift(THIS_MONTH, -back)
        labels |= {f"{month.year}-{month.month:02d}", f"{month.year}-Q{(month.month - 1) // 3 + 1}"}
    return sorted(labels)


PERIODS = _period_labels()
RATES = Rates(
    CURRENCY,
    "Asia/Shanghai",
    {("USD", f"{_month_shift(THIS_MONTH, -back):%Y-%m}"): Decimal("7.1") for back in range(0, 14, 2)},
)


@dataclass(frozen=True)
class Step:
    """One log entry to make: an original (by its index among the originals) or a correction of one."""

    what: str  # original | reversal | update
    index: int
    fields: dict[str, Any]


@st.composite
def originals(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(TYPES))
    fields: dict[str, Any] = {
        "type": kind,
        "rep": draw(st.sampled_from(REPS)),
        "team": draw(st.sampled_from((None, None, "east", "west"))),
        # from 15 months ago (late events: received now, occurred long ago) to now
        "seconds_ago": draw(st.integers(0, 460 * 86400)),
        "customer": draw(st.sampled_from((None, "acme", "bolt", "cato"))),
        "new_customer": draw(st.booleans()),
    }
    if kind in ("deal.won", "deal.lost", "deal.created"):
        fields["amount"] = Decimal(draw(st.integers(0, 10**7))) / 100
        fields["currency"] = draw(st.sampled_from((CURRENCY, CURRENCY, "USD")))
        fields["margin"] = draw(
            st.sampled_from((None, Margin(Decimal("25"), True), Margin(Decimal("300")), Margin(Decimal("12.5"), True)))
        )
    if kind == "csat.recorded":
        scale = draw(st.sampled_from(("csat", "nps")))
        fields["attrs"] = {"scale": scale, "score": draw(st.integers(0, 10 if scale == "nps" else 6))}
    return fields


@st.composite
def logs(draw: st.DrawFn) -> list[Step]:
    count = draw(st.integers(1, 40))
    made = [draw(originals()) for _ in range(count)]
    steps = [Step("original", index, fields) for index, fields in enumerate(made)]
    for _ in range(draw(st.integers(0, 25))):
        target = draw(st.integers(0, count))  # ``count``: a key no original ever has
        if draw(st.booleans()):
            steps.append(Step("reversal", target, {}))
        else:
            update = draw(originals())
            update["type"] = "deal.updated"
            update.setdefault("amount", Decimal(draw(st.integers(0, 10**6))))
            update.setdefault("currency", CURRENCY)
            steps.append(Step("update", target, update))
    # any order: a correction may come before its original
    return draw(st.permutations(steps))


def log_event(step: Step, seq: int) -> LogEvent:
    fields = dict(step.fields)
    seconds_ago = fields.pop("seconds_ago", 3600)
    attrs = dict(fields.pop("attrs", {}))
    if fields.pop("new_customer", False):
        attrs["new_customer"] = True
    kind = {"reversal": "deal.reversed"}.get(step.what, fields.pop("type", "deal.updated"))
    return LogEvent(
        id=f"o{step.index}" if step.what == "original" else f"c{seq}",
        type=kind,
        rep=fields.pop("rep", "wang"),
        occurred_at=NOW - timedelta(seconds=seconds_ago),
        received_at=NOW,
        ref=None if step.what == "original" else f"o{step.index}",
        attrs=attrs,
        **fields,
    )


def expected_goal_totals(standing: list[LogEvent], metric: str, period: str, level: str) -> dict[str, Decimal]:
    first, after = period_days(period)
    start, end = datetime.combine(first, datetime.min.time(), ZONE), datetime.combine(after, datetime.min.time(), ZONE)
    mine = [e for e in standing if start <= e.occurred_at < end]
    if level == "rep":
        return metric_totals(metric, mine, CURRENCY, RATES)
    owners: dict[str, Decimal] = {}
    for event in mine:
        owner = (event.team or TEAM_NOW.get(event.rep)) if level == "team" else ""
        value = sum(metric_totals(metric, [event], CURRENCY, RATES).values(), Decimal(0))
        if owner is not None and value:
            owners[owner] = owners.get(owner, Decimal(0)) + value
    return owners


def same_facts(found: dict[str, KpiFacts], expected: dict[str, KpiFacts]) -> None:
    for group in found.keys() | expected.keys():
        mine, theirs = found.get(group) or KpiFacts(), expected.get(group) or KpiFacts()
        mine.ratings.sort()
        mine.nps_scores.sort()
        theirs.ratings.sort()
        theirs.nps_scores.sort()
        assert mine == theirs, group
        assert kpi_values(mine, basis="created") == kpi_values(theirs, basis="created")


def check(totals: PeriodTotals, events: list[LogEvent]) -> None:
    standing = list(deal_history(events).standing.values())
    for period in PERIODS:
        for metric in METRICS:
            for level in ("rep", "team", "company"):
                found = totals.goal_totals(metric, period_months(period), level, TEAM_NOW)
                assert found == expected_goal_totals(standing, metric, period, level), (period, metric, level)
        if "Q" in period or len(period) == 7:
            first, after = period_days(period)
            span = Period(
                datetime.combine(first, datetime.min.time(), ZONE), datetime.combine(after, datetime.min.time(), ZONE)
            )
            months = totals.clock.months_between(span.start, span.end)
            assert months is not None
            lookback = int(lookback_start(span).timestamp())
            by_rep, by_team = totals.facts_by_rep_and_team(months, lookback, TEAM_NOW)
            want_rep, want_team = facts_by_rep_and_team(events, span, CURRENCY, TEAM_NOW)
            same_facts(by_rep, want_rep)
            same_facts(by_team, want_team)


# no shrinking: a log of dozens of steps shrinks for minutes; the failing log is printed as it was drawn
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=GENERATE)
@given(steps=logs(), cuts=st.lists(st.integers(0, 70), max_size=3))
def test_the_sums_fed_slice_by_slice_equal_the_full_recomputation(steps: list[Step], cuts: list[int]) -> None:
    events = [log_event(step, seq) for seq, step in enumerate(steps)]
    totals = PeriodTotals(ZONE, CURRENCY, RATES)
    fed = 0
    for cut in sorted({min(cut, len(events)) for cut in cuts} | {len(events)}):
        totals.feed_all(events[fed:cut])
        fed = cut
        check(totals, events[:fed])
    assert totals.events == len(events)


def test_months_follow_local_midnight_not_utc() -> None:
    clock = MonthClock(ZONE)
    first = datetime(2026, 12, 1, tzinfo=ZONE)
    assert clock.month_of(int(first.timestamp())) == month_index(2026, 12)
    assert clock.month_of(int(first.timestamp()) - 1) == month_index(2026, 11)  # 15:59:59 UTC on Nov 30
    assert clock.months_between(first, datetime(2027, 1, 1, tzinfo=ZONE)) == range(
        month_index(2026, 12), month_index(2027, 1)
    )
    assert clock.months_between(first, datetime(2026, 12, 15, tzinfo=ZONE)) is None


def test_a_correction_takes_back_exactly_what_its_deal_added() -> None:
    won = LogEvent(
        id="d1",
        type="deal.won",
        rep="wang",
        occurred_at=NOW,
        received_at=NOW,
        amount=Decimal("500.10"),
        currency=CURRENCY,
        customer="acme",
    )
    update = LogEvent(
        id="u1",
        type="deal.updated",
        rep="li",
        occurred_at=NOW,
        received_at=NOW,
        ref="d1",
        amount=Decimal("80"),
        currency=CURRENCY,
    )
    reversal = LogEvent(id="r1", type="deal.reversed", rep="li", occurred_at=NOW, received_at=NOW, ref="d1")
    month = NOW.astimezone(ZONE)
    months = [month_index(month.year, month.month)]
    totals = PeriodTotals(ZONE, CURRENCY).feed_all([won])
    assert totals.goal_totals("revenue", months, "rep", TEAM_NOW) == {"wang": Decimal("500.10")}
    totals.feed(update)  # the deal moves to li at its new amount
    assert totals.goal_totals("revenue", months, "rep", TEAM_NOW) == {"li": Decimal(80)}
    totals.feed(reversal)
    assert totals.goal_totals("revenue", months, "company", TEAM_NOW) == {}
    totals.feed(won)  # a late copy of the original never stands again
    assert totals.goal_totals("deals", months, "company", TEAM_NOW) == {}


def test_a_packed_part_unpacks_to_an_equal_one() -> None:
    clock = MonthClock(ZONE)
    codec = PartCodec()
    at = int(NOW.timestamp())
    parts = [
        Part(
            clock.month_of(at),
            "wang",
            "",
            "deal.won",
            "deal.won",
            at,
            Decimal("1.2E+3"),
            Decimal("-0.50"),
            True,
            "acme",
            None,
        ),
        Part(
            clock.month_of(at - 86400 * 40),
            "li",
            "east",
            "csat.recorded",
            "csat.recorded",
            at - 86400 * 40,
            None,
            Decimal(0),
            False,
            None,
            ("nps", 0),
        ),
    ]
    for origin in (ORIGIN_NONE, origin_code("deal.won"), origin_code("call.logged")):
        for part in parts:
            record = codec.pack(origin, part)
            assert record[0] == origin
            assert codec.unpack(record, clock.month_of) == part
            assert str(codec.unpack(record, clock.month_of).margin) == str(part.margin)  # type: ignore[union-attr]
        assert codec.unpack(codec.pack(origin, None), clock.month_of) is None
