"""A contest's points day by day: days are the organisation's local dates, corrections count where the boards
count them, teams follow the contest's team score, and the document stays bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from game.contest_replay import ContestReplay
from game.contest_series import MAX_TOP, contest_series, days_so_far, pace_line
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.log_event import LogEvent
from game.simulation import replay

SHANGHAI = ZoneInfo("Asia/Shanghai")
# a contest of ten Shanghai days: local midnight of the 1st is 16:00 UTC on the day before
START = datetime(2026, 3, 1, tzinfo=SHANGHAI)
END = START + timedelta(days=10)


def people() -> Directory:
    reps = {
        "ann": Rep("ann", "Ann 安", "north"),
        "bo": Rep("bo", "Bo 波", "north"),
        "cy": Rep("cy", "Cy 赛", "south"),
    }
    return Directory(reps=reps, teams={"north": Team("north", "北区"), "south": Team("south", "南区")})


def contest(**extra: Any):  # type: ignore[no-untyped-def]
    definition = {
        "id": "march",
        "name": "三月销冠赛",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
        "teams": ["north", "south"],
        "rules": [{"on": "deal.won", "points_per": 1000}],
        **extra,
    }
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


def deal(event_id: str, rep: str, at: datetime, amount: int, **fields: Any) -> LogEvent:
    return LogEvent(
        id=event_id,
        type=fields.pop("type", "deal.won"),
        rep=rep,
        occurred_at=at,
        received_at=at,
        amount=Decimal(amount),
        currency="CNY",
        **fields,
    )


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def series_of(
    definition: Contest, events: list[LogEvent], directory: Directory, now: datetime, **options: Any
) -> dict[str, Any]:
    """The chart document of the contest after replaying ``events``."""
    return contest_series(definition, replay(definition, events, directory), directory, now, **options)


def line(document: dict[str, Any], who: str) -> dict[str, Any]:
    return next(series for series in document["series"] if series["id"] == who)


def test_a_day_is_the_local_date_not_the_utc_one() -> None:
    # 15:59 UTC on the 2nd is 23:59 on the 2nd in Shanghai; 16:01 UTC is 00:01 on the 3rd
    events = [deal("a", "ann", utc(2, 15, 59), 5000), deal("b", "ann", utc(2, 16, 1), 7000)]
    now = datetime(2026, 3, 4, 12, tzinfo=SHANGHAI)
    document = series_of(contest(), events, people(), now)
    assert document["days"] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    assert line(document, "ann")["daily"] == [0, 5, 7, 0]
    assert line(document, "ann")["cumulative"] == [0, 5, 12, 12]
    # each day sits at its local midnight
    assert document["x"][0] == int(START.timestamp())
    assert document["x"][1] - document["x"][0] == 86400
    assert document["timezone"] == "Asia/Shanghai"


def test_the_first_minutes_of_the_contest_are_its_first_day() -> None:
    # 16:30 UTC on Feb 28 is 00:30 on March 1st in Shanghai: inside the contest, on its first day
    events = [deal("a", "bo", datetime(2026, 2, 28, 16, 30, tzinfo=UTC), 3000)]
    document = series_of(contest(), events, people(), START + timedelta(hours=2))
    assert document["days"] == ["2026-03-01"]
    assert line(document, "bo")["daily"] == [3]


def test_a_reversal_takes_the_points_back_from_the_day_they_were_won() -> None:
    events = [
        deal("a", "ann", utc(1, 4), 9000),
        deal("b", "bo", utc(2, 4), 4000),
        deal("r", "ann", utc(3, 4), 0, type="deal.reversed", ref="a"),
    ]
    document = series_of(contest(), events, people(), datetime(2026, 3, 3, 20, tzinfo=SHANGHAI))
    assert line(document, "ann")["daily"] == [0, 0, 0]
    assert line(document, "bo")["cumulative"] == [0, 4, 4]
    assert document["total"]["cumulative"] == [0, 4, 4]


def test_an_update_counts_its_latest_amount_on_the_day_the_deal_occurred() -> None:
    events = [
        deal("a", "cy", utc(1, 4), 2000),
        deal("u", "cy", utc(1, 4), 6000, type="deal.updated", ref="a"),
    ]
    document = series_of(contest(), events, people(), datetime(2026, 3, 2, 20, tzinfo=SHANGHAI))
    assert line(document, "cy")["daily"] == [6, 0]


def test_the_series_ends_where_the_boards_end() -> None:
    events = [
        deal("a", "ann", utc(1, 1), 12000),
        deal("b", "bo", utc(2, 1), 3000),
        deal("c", "cy", utc(5, 1), 8000),
        deal("d", "ann", utc(6, 1), 0, type="deal.reversed", ref="a"),
        LogEvent(id="x", type="call.logged", rep="bo", occurred_at=utc(3, 1), received_at=utc(3, 1)),
    ]
    now = END + timedelta(days=3)
    document = series_of(contest(), events, people(), now, top=MAX_TOP)
    boards = replay(contest(), events, people())
    for series in document["series"]:
        assert series["cumulative"][-1] == boards.points.get(series["id"], 0)
    assert len(document["days"]) == 10  # never beyond the contest, whatever now is


def test_top_keeps_the_leaders_and_lead_changes_name_the_days() -> None:
    events = [
        deal("a", "ann", utc(1, 4), 5000),
        deal("b", "bo", utc(2, 4), 9000),
        deal("c", "ann", utc(3, 4), 6000),
    ]
    names = {"ann": "Ann 安", "bo": "Bo 波"}
    document = series_of(contest(), events, people(), utc(3, 12), top=1, names=names)
    assert [s["id"] for s in document["series"]] == ["ann"]
    assert line(document, "ann")["name"] == "Ann 安"
    assert [(c["day"], c["leader"], c["name"]) for c in document["lead_changes"]] == [
        ("2026-03-01", "ann", "Ann 安"),
        ("2026-03-02", "bo", "Bo 波"),
        ("2026-03-03", "ann", "Ann 安"),
    ]


def test_teams_follow_the_contests_team_score() -> None:
    events = [deal("a", "ann", utc(1, 4), 6000), deal("b", "bo", utc(2, 4), 2000), deal("c", "cy", utc(2, 4), 5000)]
    now = utc(2, 12)
    summed = series_of(contest(), events, people(), now, by="team")
    assert line(summed, "north")["cumulative"] == [6, 8]
    assert line(summed, "south")["cumulative"] == [0, 5]
    averaged = series_of(contest(team_score="average"), events, people(), now, by="team")
    assert line(averaged, "north")["cumulative"] == [3, 4]  # two members
    assert line(averaged, "north")["daily"] == [3, 1]


def test_the_pace_line_reaches_the_goal_at_the_end() -> None:
    document = series_of(contest(goal=100), [], people(), END + timedelta(days=1))
    assert document["target"] == 100
    assert document["pace"][0] == 10 and document["pace"][-1] == 100
    assert pace_line(contest(goal=100), 100, ["2026-03-05"]) == [50]
    assert series_of(contest(), [], people(), END)["pace"] is None


def test_a_reps_own_line_paces_to_their_target() -> None:
    definition = {"scoring": "percent_of_target", "targets": {"ann": 40, "bo": 20, "cy": 20}}
    events = [deal("a", "ann", utc(1, 4), 4000)]
    document = series_of(contest(**definition), events, people(), utc(2, 12), rep="ann")
    assert [s["id"] for s in document["series"]] == ["ann"]
    assert document["target"] == 40
    assert document["pace"] == [4, 8]
    everyone = series_of(contest(**definition), events, people(), utc(2, 12))
    assert everyone["target"] == 80


def test_nothing_before_the_start() -> None:
    assert days_so_far(contest(), START - timedelta(seconds=1)) == []
    early = series_of(contest(), [deal("a", "ann", utc(1, 4), 9000)], people(), START - timedelta(days=1))
    assert early["days"] == [] and early["x"] == [] and early["lead_changes"] == []
    assert all(series["cumulative"] == [] for series in early["series"])


def test_a_replay_fed_in_steps_gives_the_series_of_one_replay() -> None:
    # the console keeps each contest's replay and feeds it only what was logged since: the same numbers
    events = [
        deal("a", "ann", utc(1, 4), 9000),
        deal("b", "bo", utc(2, 4), 4000),
        LogEvent(id="c1", type="call.logged", rep="cy", occurred_at=utc(2, 5), received_at=utc(2, 5)),
        deal("u", "bo", utc(2, 4), 7000, type="deal.updated", ref="b"),
        deal("r", "ann", utc(3, 4), 0, type="deal.reversed", ref="a"),
        deal("d", "cy", utc(3, 23, 30), 5000),
    ]
    definition = contest(rules=[{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 3}])
    now = utc(4, 12)
    scorer = ContestReplay(definition, people())
    for cut in (2, 4, len(events)):
        for event in events[cut - 2 : cut] if cut > 2 else events[:cut]:
            scorer.feed(event)
        stepped = contest_series(definition, scorer.boards(), people(), now, top=MAX_TOP)
        assert stepped == series_of(definition, events[:cut], people(), now, top=MAX_TOP)
    assert line(stepped, "ann")["cumulative"][-1] == 0 and line(stepped, "bo")["daily"][1] == 7
