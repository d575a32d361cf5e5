"""On a single Redis the write scripts run in batches (``run_batch.lua``): one script call for many events. A
batch keeps what separate calls gave: each call's own reply, a failing call fails alone and the calls after it
still run, a Redis that lost its scripts is answered by loading them again. XP keys get their expiry when made,
and the daily XP cap holds."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from game import keys
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.events import parse_event
from game.scoring import decide
from game.store import BATCH_CALLS, Plan, Store, WriteResult
from game.xp import RETENTION, decide_xp, window_keys
from tests.support.org import unique

NOW = datetime(2026, 11, 20, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")

Engine = tuple[asyncio.AbstractEventLoop, Store]


def contest() -> Contest:
    definition = {
        "id": unique("batch"),
        "name": "batches",
        "starts_at": "2026-11-01T00:00:00Z",
        "ends_at": "2026-12-01T00:00:00Z",
        "rules": [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 2, "cap_per_day": 5}],
    }
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


def plans(contests: list[Contest], directory: Directory, raws: list[dict[str, Any]]) -> list[Plan]:
    events = [replace(parse_event(raw, now=NOW, default_currency="CNY"), team="t1") for raw in raws]
    return [Plan(e, decide(e, contests, directory), decide_xp(e, ZONE, "CNY")) for e in events]


def won(rep: str, event_id: str, amount: int, day: int = 3) -> dict[str, Any]:
    return {"id": event_id, "type": "deal.won", "rep": rep, "amount": str(amount),
            "occurred_at": f"2026-11-{day:02d}T10:00:00+08:00"}  # fmt: skip


def write(engine: Engine, planned: list[Plan]) -> list[WriteResult]:
    loop, store = engine
    return loop.run_until_complete(store.write_events(planned))


def totals(engine: Engine, contests: list[Contest], rep: str) -> list[int]:
    loop, store = engine
    return [loop.run_until_complete(store.ledger_total(c.id, c.epoch, rep)) for c in contests]


def test_a_call_failing_inside_a_batch_fails_alone_and_a_retry_completes_it(engine: Engine) -> None:
    broken, sound = contest(), contest()
    rep = unique("rep")
    directory = Directory(reps={rep: Rep(rep, "Ann", "t1")}, teams={"t1": Team("t1", "East")})
    redis = engine[1].redis
    # The broken contest's totals are not a hash: every change of it fails where it runs (WRONGTYPE).
    totals_key = keys.ContestKeys(broken.id).rep_totals
    engine[0].run_until_complete(redis.set(totals_key, "not a hash"))
    planned = plans([broken, sound], directory, [won(rep, unique("d"), 1000 * (i + 1)) for i in range(BATCH_CALLS)])
    results = write(engine, planned)  # 64 events, 4 calls each: several batches
    assert all(r.new for r in results)
    assert all(len(r.errors) == 1 and r.errors[0].startswith(broken.id) for r in results)
    assert all("WRONGTYPE" in r.errors[0] for r in results)
    assert all(r.undone_at == 0 for r in results)
    points = sum(range(1, BATCH_CALLS + 1))
    assert totals(engine, [sound], rep) == [points]
    engine[0].run_until_complete(redis.delete(totals_key))
    again = write(engine, planned)  # the retry: only what is missing is written
    assert not any(r.new for r in again) and not any(r.errors for r in again)
    assert totals(engine, [broken, sound], rep) == [points, points]


def test_a_redis_that_lost_the_scripts_gets_them_again(engine: Engine) -> None:
    scoring = contest()
    rep = unique("rep")
    directory = Directory(reps={rep: Rep(rep, "Ann", "t1")}, teams={"t1": Team("t1", "East")})
    write(engine, plans([scoring], directory, [won(rep, unique("d"), 3000)]))
    engine[0].run_until_complete(engine[1].redis.script_flush())
    results = write(engine, plans([scoring], directory, [won(rep, unique("d"), 2000), won(rep, unique("d"), 4000)]))
    assert [r.new for r in results] == [True, True] and not any(r.errors for r in results)
    assert totals(engine, [scoring], rep) == [9]


def test_xp_keys_get_their_expiry_when_they_are_made(engine: Engine) -> None:
    rep = unique("rep")
    directory = Directory(reps={rep: Rep(rep, "Ann", "t1")}, teams={"t1": Team("t1", "East")})
    redis = engine[1].redis
    run = engine[0].run_until_complete
    moment = datetime(2026, 11, 5, 2, tzinfo=UTC)
    windows = window_keys(moment, ZONE)
    boards = {window: keys.xp_board(window, period) for window, period in windows.items() if window != "all"}
    caps = keys.XpKeys().caps(windows["day"], rep)
    dealers, facts = f"{keys.XP_DEALERS_PREFIX}2026-11", keys.xp_facts(rep, "2026-11")
    run(redis.delete(*boards.values(), caps, dealers))  # made by this test's events (other tests share them)
    call = {"id": unique("c"), "type": "call.logged", "rep": rep, "occurred_at": moment.isoformat()}
    deal = won(rep, unique("d"), 5000, day=5)
    meetings = [{**call, "id": unique("m"), "type": "meeting.held"} for _ in range(11)]
    write(engine, plans([], directory, [call, deal, *meetings]))
    # 1 for the call, 10 + 5 for the deal, 5 per meeting up to the daily cap of 50
    assert run(redis.zscore(boards["day"], rep)) == 66
    assert run(redis.hget(caps, f"meeting.held|{rep}")) == b"50"
    for window, board in boards.items():
        assert 0 < run(redis.ttl(board)) <= RETENTION[window]
    assert run(redis.ttl(keys.xp_board("all", "all"))) == -1  # kept for ever
    for key in (caps, dealers, facts):
        assert run(redis.ttl(key)) > 0
    undo = {"id": unique("u"), "type": "deal.reversed", "rep": rep, "ref": deal["id"], "occurred_at": NOW.isoformat()}
    write(engine, plans([], directory, [undo]))
    assert run(redis.exists(facts)) == 0  # the month's only deal was reversed
    write(engine, plans([], directory, [won(rep, unique("d"), 6000, day=6)]))
    assert run(redis.ttl(facts)) > 0  # made again: expires again


def test_xp_boards_are_skip_lists_from_their_first_member(engine: Engine) -> None:
    """A board Redis would keep as a listpack (up to 128 members) is walked entry by entry on every ZINCRBY."""
    reps = [unique("rep") for _ in range(3)]
    directory = Directory(reps={rep: Rep(rep, "Ann", "t1") for rep in reps}, teams={"t1": Team("t1", "East")})
    redis, run = engine[1].redis, engine[0].run_until_complete
    moment = NOW - timedelta(days=200)  # boards no other test writes
    windows = window_keys(moment, ZONE)
    boards = [keys.xp_board(window, period) for window, period in windows.items() if window != "all"]
    run(redis.delete(*boards))
    calls = [{"id": unique("c"), "type": "call.logged", "rep": rep, "occurred_at": moment.isoformat()} for rep in reps]
    write(engine, plans([], directory, calls))
    for board in boards:
        assert run(redis.object("encoding", board)) == b"skiplist"
        assert run(redis.zrange(board, 0, -1, withscores=True)) == sorted((rep.encode(), 1.0) for rep in reps)


def test_a_batch_rings_the_xp_doorbell_once_with_the_sequence_number_its_changes_reached(engine: Engine) -> None:
    """The XP sequence number moves on by one per change that gave or took XP, as it did with a ring per change;
    the doorbell rings once per batch, with the number reached (what a screen reads the boards against)."""
    rep = unique("rep")
    directory = Directory(reps={rep: Rep(rep, "Ann", "t1")}, teams={"t1": Team("t1", "East")})
    redis, run = engine[1].redis, engine[0].run_until_complete
    bell = redis.pubsub()
    run(bell.subscribe(keys.XP_CHANNEL))
    before = int(run(redis.get(keys.XP_SEQ)) or 0)
    deals = [won(rep, unique("d"), 1000 * (i + 1)) for i in range(5)]
    write(engine, plans([], directory, [*deals, *deals[:2]]))  # two duplicates in the batch: no XP, no ring
    assert int(run(redis.get(keys.XP_SEQ)) or 0) == before + 5
    write(engine, plans([], directory, [won(rep, unique("d"), 1000)]))  # a batch of its own: rings once more
    alone = Store(redis)
    alone.cluster = True  # each call run alone, as on a cluster: one ring per change, as before batches
    write((engine[0], alone), plans([], directory, [won(rep, unique("d"), 1000) for _ in range(2)]))
    heard: list[int] = []
    deadline = time.monotonic() + 5
    while before + 8 not in heard:
        assert time.monotonic() < deadline, f"rung {heard} only"
        message = run(bell.get_message(ignore_subscribe_messages=True, timeout=1))  # None for the subscription
        if message is not None:
            heard.append(int(message["data"]))
    assert heard == [before + 5, before + 6, before + 7, before + 8]
    run(bell.aclose())
