"""An accepted dispute's adjustment is an event like any other: exactly its points, in its contest only, scored
the same by the live decision and by the replay; no client may send one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from game.adjustments import ADJUSTMENT_RULE, adjustment_event, adjustment_time
from game.contest_replay import ContestReplay
from game.errors import ValidationError
from game.events import parse_event
from game.log_event import LogEvent
from game.scoring import decide
from tests.support.scoring_examples import DIRECTORY, NOW, contest, event


def adjustment(points: int, contest_id: str = "nov", at: str = "2026-11-20T10:00:00+08:00", rep: str = "wang"):
    return adjustment_event(
        dispute="d1",
        contest=contest_id,
        rep=rep,
        team=DIRECTORY.reps[rep].team,
        points=points,
        occurred_at=datetime.fromisoformat(at),
        now=NOW,
    )


def test_an_adjustment_scores_exactly_its_points_in_its_contest_whatever_the_rules() -> None:
    calls_only = contest(rules=[{"on": "call.logged", "points": 1, "cap_per_day": 5}])
    other = contest(id="dec")
    [change] = decide(adjustment(-37), [calls_only, other], DIRECTORY)
    assert change.contest_id == "nov"
    assert [(hit.rule, hit.points, hit.cap_per_day) for hit in change.hits] == [(ADJUSTMENT_RULE, -37, None)]
    assert change.event_type == "points.adjusted" and change.deal_key == "dispute:dispute-d1"


def test_an_adjustment_outside_the_window_or_for_someone_outside_the_contest_scores_nothing() -> None:
    assert decide(adjustment(10, at="2026-12-02T10:00:00+08:00"), [contest()], DIRECTORY) == []
    assert decide(adjustment(10, rep="li"), [contest(teams=["east"])], DIRECTORY) == []


def test_the_replay_counts_an_adjustment_as_the_live_decision_does() -> None:
    nov = contest()
    events = [event(), adjustment(25), adjustment_event(
        dispute="d2", contest="dec", rep="wang", team="east", points=99,
        occurred_at=datetime(2026, 11, 21, tzinfo=UTC), now=NOW,
    )]  # fmt: skip
    fast, reference = ContestReplay(nov, DIRECTORY), ContestReplay(nov, DIRECTORY)
    for item in events:
        fast.feed(LogEvent.from_event(item))
        for change in decide(item, [nov], DIRECTORY):
            reference.apply(change)
    assert fast.boards().points == reference.boards().points == {"wang": 12 + 25}


@pytest.mark.parametrize("source", ["api", "hubspot", "csv"])
def test_no_client_may_send_an_adjustment(source: str) -> None:
    raw = {"id": "x", "type": "points.adjusted", "rep": "wang", "attrs": {"contest": "nov", "points": 1000}}
    with pytest.raises(ValidationError) as caught:
        parse_event(raw, now=NOW, default_currency="CNY", source=source)
    assert caught.value.errors[0].field == "type"


def test_an_adjustment_counts_at_the_disputed_line_or_now_and_always_inside_the_window() -> None:
    nov = contest()
    line = datetime(2026, 11, 5, tzinfo=UTC)
    assert adjustment_time(nov.starts_at, nov.ends_at, line, NOW) == line
    assert adjustment_time(nov.starts_at, nov.ends_at, None, NOW) == NOW
    late = nov.ends_at + timedelta(days=9)
    assert adjustment_time(nov.starts_at, nov.ends_at, None, late) == nov.ends_at - timedelta(seconds=1)
    assert nov.covers(adjustment_time(nov.starts_at, nov.ends_at, nov.ends_at, late))
