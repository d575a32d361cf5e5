"""A score the boards' composite could not hold exactly is refused before anything is written: the rep's
total (read by adding the points asked, then put back) is what it was, and a rep who had none still has none."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.events import parse_event
from game.ranking import MAX_SCORE
from game.scoring import decide
from game.store import Plan, Store, WriteResult

Engine = tuple[asyncio.AbstractEventLoop, Store]


def setup(now: datetime) -> tuple[Contest, Directory, list[str]]:
    reps = [f"rep-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    directory = Directory(reps={rep: Rep(rep, rep, "t1") for rep in reps}, teams={"t1": Team("t1", "East")})
    definition = {
        "id": uuid.uuid4().hex,
        "name": "range",
        "starts_at": (now - timedelta(days=5)).isoformat(),
        "ends_at": (now + timedelta(days=5)).isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1}],
    }
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY"), directory, reps


def write(engine: Engine, contest: Contest, directory: Directory, raw: dict[str, Any], now: datetime) -> WriteResult:
    loop, store = engine
    event = replace(parse_event(raw, now=now, default_currency="CNY"), team="t1")
    return loop.run_until_complete(store.write_events([Plan(event, decide(event, [contest], directory))], log=False))[0]


def test_a_score_out_of_range_is_refused_and_leaves_the_total_as_it_was(engine: Engine) -> None:
    now = datetime.now(UTC)
    contest, directory, (rep, newcomer) = setup(now)
    at = (now - timedelta(hours=1)).isoformat()

    def won(who: str, event_id: str, amount: int) -> dict[str, Any]:
        return {"id": event_id, "type": "deal.won", "rep": who, "amount": str(amount), "occurred_at": at}

    assert write(engine, contest, directory, won(rep, "small", 7), now).errors == ()
    refused = write(engine, contest, directory, won(rep, "big", MAX_SCORE - 3), now)  # 7 + this is too many
    alone = write(engine, contest, directory, won(newcomer, "huge", MAX_SCORE + 1), now)  # too many on its own
    assert "score out of range" in refused.errors[0] and "score out of range" in alone.errors[0]
    stored = engine[0].run_until_complete(engine[1].rep_totals(contest.id, contest.epoch))
    assert stored == {rep: 7}  # the newcomer has no total (not one made at 0)
    assert write(engine, contest, directory, won(rep, "fits", MAX_SCORE - 7), now).errors == ()
    assert engine[0].run_until_complete(engine[1].ledger_total(contest.id, contest.epoch, rep)) == MAX_SCORE
