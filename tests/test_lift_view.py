"""What the lift page shows: each number under the label of what it is, periods on the org's calendar days
(Asia/Shanghai, not UTC), an interim report while the contest runs, and bar labels that fit their chart."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from game.contests import parse_contest
from game.directory import Directory, Rep, Team
from game.lift import Period, interim_period, lift_report
from game.log_event import LogEvent
from server.web.lift_text import TEXT
from server.web.lift_view import (
    CHART_WIDTH,
    LABEL_WIDTH,
    change_bars,
    day_range,
    kpi_figures,
    pair_bars,
    period_days,
    shorten,
    slope_chart,
    text_width,
)
from tests.support.calendar import SHANGHAI, Calendar


def month_of(calendar: Calendar) -> Period:
    """This month in Shanghai: from local midnight on the 1st to local midnight on the next 1st (exclusive)."""
    start = calendar.this_month
    following = (start.date().replace(day=28) + timedelta(days=4)).replace(day=1)
    return Period(start, datetime.combine(following, time(0), SHANGHAI))


def test_a_local_month_ends_on_its_last_local_day_not_on_the_utc_date(now: datetime) -> None:
    month = month_of(Calendar(now))
    as_utc = Period(month.start.astimezone(UTC), month.end.astimezone(UTC))
    first, last = as_utc.local_days(SHANGHAI)
    assert first == month.start.date() and first.day == 1
    assert last == month.end.date() - timedelta(days=1)
    # read on UTC's calendar the same month starts on the last day of the month before
    assert as_utc.start.date() == first - timedelta(days=1)
    text = day_range({"from": as_utc.start.isoformat(), "to": as_utc.end.isoformat()}, SHANGHAI)
    assert text == f"{first.isoformat()} – {last.isoformat()}"


def test_an_interim_period_ends_today_on_the_local_calendar(now: datetime) -> None:
    calendar = Calendar(now)
    # 07:30 in Shanghai is still the day before in UTC
    morning = datetime.combine(calendar.today, time(7, 30), SHANGHAI)
    start = morning - timedelta(days=5)
    contest = parse_contest(
        {
            "id": "running",
            "name": "本周赛",
            "starts_at": start.isoformat(),
            "ends_at": (morning + timedelta(days=9)).isoformat(),
            "rules": [{"on": "call.logged", "points": 1}],
        },
        default_timezone="Asia/Shanghai",
        default_currency="CNY",
    )
    period = interim_period(contest, morning.astimezone(UTC))
    assert period.end == morning and period.start == contest.starts_at
    assert period_days(period.as_dict(), SHANGHAI) == (start.date(), calendar.today)
    assert morning.astimezone(UTC).date() == calendar.today - timedelta(days=1)
    assert interim_period(contest, contest.ends_at + timedelta(days=1)) == Period(contest.starts_at, contest.ends_at)


def test_an_interim_report_compares_the_contest_so_far_with_as_long_before_it(now: datetime) -> None:
    start = now - timedelta(days=4)
    contest = parse_contest(
        {
            "id": "running",
            "name": "本周赛",
            "starts_at": start.isoformat(),
            "ends_at": (now + timedelta(days=10)).isoformat(),
            "rules": [{"on": "call.logged", "points": 1}],
        },
        default_timezone="Asia/Shanghai",
        default_currency="CNY",
    )
    people = Directory(reps={"a": Rep("a", "甲", "t")}, teams={"t": Team("t", "T")})
    events = [
        LogEvent(id=f"e{n}", type="call.logged", rep="a", occurred_at=at, received_at=at)
        for n, at in enumerate([start - timedelta(days=1), start - timedelta(days=6), now - timedelta(hours=1)])
    ]
    report = lift_report(contest, events, people, until=now)
    assert report["interim"] is True
    assert datetime.fromisoformat(report["period"]["to"]) == now
    assert datetime.fromisoformat(report["baseline"]["from"]) == start - (now - start)
    calls = report["kpis"][0]["overall"]
    assert (calls["baseline"], calls["contest"]) == (1, 1)  # the call six days before is outside the baseline
    assert lift_report(contest, events, people)["interim"] is False


def kpi(**estimate: Any) -> dict[str, Any]:
    """A revenue KPI like the one that showed its estimate under the average's label: 12 reps, +25,092,100."""
    return {
        "money": True,
        "overall": {
            "reps": 12,
            "baseline": 10_000_000.0,
            "contest": 35_092_100.0,
            "change": 25_092_100.0,
            "change_pct": 250.92,
            "improved": 12,
        },
        "comparison": {"reps": 8, "baseline": 8_000_000.0, "contest": 31_000_000.0},
        "estimate": {
            "method": "difference_in_differences",
            "per_rep": -389_266.67,
            "ci95": [-900_000.0, 121_466.66],
            "relative_pct": None,
            **estimate,
        },
    }


def test_each_number_is_labelled_for_what_it_is() -> None:
    for locale in ("zh-CN", "en"):
        t = TEXT[locale]
        figures = {f["key"]: f for f in kpi_figures(kpi(), t, interim=False)}
        assert figures["change"]["label"] == t["total_change"] and figures["change"]["value"].startswith("+25,092,100")
        assert figures["average"]["label"] == t["average_change"]
        assert figures["average"]["value"] == "+2,091,008"  # 25,092,100 / 12: the participants' own average
        assert figures["estimate"]["label"] == t["did_estimate"]
        assert figures["estimate"]["value"] == "-389,267"
        assert figures["estimate"]["note"] == f"{t['ci']}: [-900,000, +121,467]"
        assert figures["improved"]["label"] == t["share_improved"] and figures["improved"]["value"] == "100 %"
        assert "12" in figures["improved"]["note"]
        assert figures["contest"]["label"] == t["contest_total"]
        assert kpi_figures(kpi(), t, interim=True)[1]["label"] == t["contest_to_date"]
        before_after = {f["key"]: f for f in kpi_figures(kpi(method="before_after"), t, interim=False)}
        assert before_after["estimate"]["label"] == t["before_after_estimate"]
    assert TEXT["zh-CN"]["did_estimate"] == "每人提升估计（双重差分）"
    assert TEXT["zh-CN"]["average_change"] == "每人平均变化"


def test_the_chart_adds_the_interval_to_what_was_expected_without_the_contest() -> None:
    slope = slope_chart(kpi())
    assert slope is not None
    participants, comparison = slope["participants"], slope["comparison"]
    assert participants == [round(10_000_000 / 12, 2), round(35_092_100 / 12, 2)]
    assert comparison == [1_000_000.0, 3_875_000.0]
    expected = participants[0] + comparison[1] - comparison[0]
    assert slope["expected"] == [participants[0], round(expected, 2)]
    assert slope["ci"] == [round(expected - 900_000, 2), round(expected + 121_466.66, 2)]
    alone = slope_chart(kpi(method="before_after"))
    assert alone is not None and alone["expected"] == [participants[0], participants[0]]


def test_bar_labels_fit_inside_their_chart() -> None:
    long_name = "华东大区第一销售战队（上海浦东）"
    assert text_width(shorten(long_name)) <= LABEL_WIDTH - 14 and shorten(long_name).endswith("…")
    assert shorten("East") == "East"
    pairs = pair_bars([("参赛销售", 10_000_000, 35_092_100), (long_name, 1, 25_092_100)])
    for row in pairs["rows"]:
        for bar in row["bars"]:
            assert bar["value_x"] + text_width(bar["value"]) <= CHART_WIDTH
        assert pairs["label_x"] - text_width(row["label"]) >= 0
    reps = [
        {"name": "王小明", "change": 25_092_100.0},
        {"name": "李四", "change": -12_345_678.0},
        {"name": long_name, "change": 0.0},
    ]
    changes = change_bars(reps)
    for row in changes["rows"]:
        if row["up"]:
            assert row["value_x"] + text_width(row["value"]) <= CHART_WIDTH
        else:
            assert row["value_x"] - text_width(row["value"]) >= LABEL_WIDTH
