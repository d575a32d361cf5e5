"""Provisional points, rule by rule, through the real write script (and the in-memory twin beside it): a won deal
counts provisionally until a payment names it; unconfirmed in time it drops out, or with ``auto_after_days`` it
is confirmed; a payment before its deal, an update and a reversal keep the books straight; the sweep settles
what nothing touched. Dates come from the ``now`` fixture; each event is given the moment it arrived."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from game import keys
from game.contest_replay import ContestReplay
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.errors import ValidationError
from game.events import Event, parse_event
from game.log_event import LogEvent
from game.ranking import TIME_SPAN
from game.scoring import decide, settlement
from game.store import Plan, Store

DIRECTORY = Directory(
    reps={"a": Rep("a", "A", "t0"), "b": Rep("b", "B", "t0"), "c": Rep("c", "C", "t1")},
    teams={"t0": Team("t0", "East"), "t1": Team("t1", "West")},
)
Engine = tuple[asyncio.AbstractEventLoop, Store]


def contest_with(now: datetime, confirm: dict[str, Any], **extra: Any) -> Contest:
    definition = {
        "id": uuid.uuid4().hex,
        "name": "回款确认赛",
        "starts_at": (now - timedelta(days=40)).isoformat(),
        "ends_at": (now + timedelta(days=20)).isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 1}],
        "confirm": confirm,
        **extra,
    }
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


class Book:
    """One contest written live through the script and replayed in memory, event by event."""

    def __init__(self, engine: Engine, contest: Contest, start: datetime) -> None:
        self.loop, self.store = engine
        self.contest = contest
        self.start = start
        self.twin = ContestReplay(contest, DIRECTORY)
        self.loop.run_until_complete(self.store.ensure_members(contest.id, 1, ["a", "b", "c"], ["t0", "t1"], {}))

    def send(self, day: float, type: str, rep: str, event_id: str | None = None, **fields: Any) -> Event:
        """An event that arrives ``day`` days after the start (and happened then)."""
        at = self.start + timedelta(days=day)
        raw = {"id": event_id or uuid.uuid4().hex[:10], "type": type, "rep": rep, "occurred_at": at.isoformat()}
        raw.update(fields)
        event = replace(parse_event(raw, now=at, default_currency="CNY"), team=DIRECTORY.reps[rep].team)
        self.loop.run_until_complete(self.store.write_events([Plan(event, decide(event, [self.contest], DIRECTORY))]))
        self.twin.feed(LogEvent.from_event(event))
        return event

    def won(self, day: float, rep: str, amount: int) -> str:
        return self.send(day, "deal.won", rep, amount=str(amount)).id

    def sweep(self, day: float) -> None:
        moment = self.start + timedelta(days=day)
        due = self.loop.run_until_complete(self.store.due_deals(self.contest.id, 1, moment))
        self.loop.run_until_complete(self.store.apply_changes([settlement(self.contest, deal, moment) for deal in due]))
        self.twin.settle_due(moment)

    def rows(self, board: str = "reps") -> dict[str, tuple[int, int]]:
        """Member -> (score, provisional), live; the twin must agree."""
        read = self.loop.run_until_complete(self.store.read_board(self.contest.id, 1, board, provisional=True))
        live = {row.id: (row.score, read.provisional.get(row.id, 0)) for row in read.rows}
        self.twin.settle()
        composites = self.twin.rep_board if board == "reps" else self.twin.team_board
        unconfirmed = self.twin.rep_provisional if board == "reps" else self.twin.team_provisional
        assert {m: (composites.get(m, 0) // TIME_SPAN, unconfirmed.get(m, 0)) for m in live} == live
        return live

    def pending(self) -> int:
        count, _ = self.loop.run_until_complete(self.store.pending_until(self.contest.id, 1))
        assert count == len(self.twin.pending)
        return count

    def notes(self, rep: str) -> list[tuple[str, int]]:
        entries, _ = self.loop.run_until_complete(self.store.read_ledger(self.contest.id, 1, rep))
        return [(entry["note"], entry["points"]) for entry in entries]


@pytest.fixture
def start(now: datetime) -> datetime:
    return now - timedelta(days=30)


def test_a_payment_confirms_a_deal_and_an_unpaid_deal_drops_out(engine: Engine, now: datetime, start: datetime) -> None:
    book = Book(engine, contest_with(now, {"on": "deal.paid", "within_days": 10}), start)
    paid = book.won(0, "a", 50_000)
    book.won(1, "b", 30_000)
    book.send(1.5, "call.logged", "b")  # activities are never provisional
    assert book.rows()["a"] == (50, 50) and book.rows()["b"] == (31, 30)
    assert book.rows("teams")["t0"] == (81, 80)

    book.send(3, "deal.paid", "a", ref=paid)
    assert book.rows()["a"] == (50, 0) and book.pending() == 1
    assert ("confirmed", 0) in book.notes("a")

    book.sweep(10.9)  # b's deal arrived on day 1: not due yet
    assert book.rows()["b"] == (31, 30)
    book.sweep(11)
    assert book.rows()["b"] == (1, 0) and book.pending() == 0
    assert book.notes("b")[-1] == ("expired", -30)
    assert book.rows("teams")["t0"] == (51, 0)


def test_a_payment_after_the_window_or_for_an_expired_deal_changes_nothing(
    engine: Engine, now: datetime, start: datetime
) -> None:
    book = Book(engine, contest_with(now, {"on": "deal.paid", "within_days": 5}), start)
    late = book.won(0, "a", 20_000)
    # nothing swept it yet, but the payment arrives after the deal's moment: the deal expires first
    book.send(6, "deal.paid", "a", ref=late)
    assert book.rows()["a"] == (0, 0)
    assert [note for note, _ in book.notes("a")] == ["apply", "expired"]
    # an update cannot bring an expired deal back
    book.send(7, "deal.updated", "a", ref=late, amount="90000")
    assert book.rows()["a"] == (0, 0) and book.pending() == 0


def test_auto_confirmation_after_days_without_a_reversal(engine: Engine, now: datetime, start: datetime) -> None:
    book = Book(engine, contest_with(now, {"on": "deal.paid", "within_days": 30, "auto_after_days": 7}), start)
    kept = book.won(0, "a", 40_000)
    refunded = book.won(0, "c", 25_000)
    book.send(2, "deal.reversed", "c", ref=refunded)
    assert book.rows()["c"] == (0, 0) and book.rows()["a"] == (40, 40)
    book.sweep(7)
    assert book.rows()["a"] == (40, 0) and book.pending() == 0
    # a reversal after the confirmation still takes the deal back (that is what reversals are for)
    book.send(8, "deal.reversed", "a", ref=kept)
    assert book.rows()["a"] == (0, 0)


def test_a_payment_before_its_deal_and_updates_keep_their_state(engine: Engine, now: datetime, start: datetime) -> None:
    book = Book(engine, contest_with(now, {"on": "deal.paid", "within_days": 10}), start)
    early = uuid.uuid4().hex[:10]
    book.send(0, "deal.paid", "a", ref=early)  # the CRM told us of the payment first
    book.send(0.5, "deal.won", "a", event_id=early, amount="60000")
    assert book.rows()["a"] == (60, 0) and book.pending() == 0

    pending = book.won(1, "b", 10_000)
    book.send(2, "deal.updated", "b", ref=pending, amount="15000")
    assert book.rows()["b"] == (15, 15)  # still provisional, due when the original was
    book.sweep(11)
    assert book.rows()["b"] == (0, 0)


def test_percent_of_target_boards_show_provisional_points_as_they_show_scores(
    engine: Engine, now: datetime, start: datetime
) -> None:
    contest = contest_with(
        now,
        {"on": "deal.paid", "within_days": 10},
        scoring="percent_of_target",
        default_target=400,
        team_score="average",
    )
    book = Book(engine, contest, start)
    first = book.won(0, "a", 100_000)
    book.won(0, "a", 100_000)
    assert book.rows()["a"] == (500, 500)  # 200 of 400 points: 50.0 %, all of it provisional
    book.send(1, "deal.paid", "a", ref=first)
    assert book.rows()["a"] == (500, 250)
    assert book.rows("teams")["t0"][1] > 0


@pytest.mark.parametrize(
    ("confirm", "field"),
    [
        ({"on": "deal.won", "within_days": 3}, "confirm.on"),
        ({"on": "call.logged", "within_days": 3}, "confirm.on"),
        ({"on": "deal.paid", "within_days": 0}, "confirm.within_days"),
        ({"on": "deal.paid", "within_days": 3, "auto_after_days": 4}, "confirm.auto_after_days"),
        ({"on": "deal.paid"}, "confirm.within_days"),
        ({"on": "deal.paid", "within_days": 3, "after": 1}, "confirm"),
        ("deal.paid", "confirm"),
    ],
)
def test_a_confirmation_rule_is_checked_field_by_field(now: datetime, confirm: Any, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        contest_with(now, confirm)
    assert field in [error.field for error in raised.value.errors]


def test_pending_until_names_the_moment_the_last_deal_settles(engine: Engine, now: datetime, start: datetime) -> None:
    book = Book(engine, contest_with(now, {"on": "deal.paid", "within_days": 10}), start)
    book.won(0, "a", 1000)
    book.won(2, "b", 1000)
    count, last = book.loop.run_until_complete(book.store.pending_until(book.contest.id, 1))
    assert count == 2 and last == (start + timedelta(days=12)).replace(microsecond=0)
    assert keys.ContestKeys(book.contest.id).pending.endswith(":e1:pending")
