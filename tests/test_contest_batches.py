"""A batch of contest changes (``run_batch.lua``) leaves what the same changes written one call at a time leave:
the contest script does once per batch what only the batch's end needs (team rows, team provisional points, the
teams' latest moments, sequence numbers, recent wins, ``contest_batch.lua``), and every key of the contest, every
doorbell, must still come out the same, for each way a team scores, with caps, reversals in either order,
updates, divisions, targets and provisional points."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from game import keys
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.events import parse_event
from game.scoring import decide
from game.store import Plan, Store, text

Engine = tuple[asyncio.AbstractEventLoop, Store]
LONG_ID = "east.region-rep_0042@acme"  # a long rep id (its total's bucket hashes its bytes, in Lua as in Python)
DIRECTORY = Directory(
    reps={
        "a": Rep("a", "A", "t1"),
        "b": Rep("b", "B", "t1"),
        "c": Rep("c", "C", "t2"),
        LONG_ID: Rep(LONG_ID, "W", "t2"),
    },
    teams={"t1": Team("t1", "East"), "t2": Team("t2", "West")},
)
KINDS: dict[str, dict[str, Any]] = {
    "sum": {"team_score": "sum"},
    "best": {"team_score": "best:1"},
    "average": {"team_score": "average"},
    "percent": {"scoring": "percent_of_target", "default_target": 40, "targets": {"c": 25}},
    "divisions": {"divisions": {"rookies": ["a"], "veterans": ["b", "c"]}},
    "provisional": {"confirm": {"on": "deal.paid", "within_days": 10}},
}


def contest(now: datetime, extra: dict[str, Any]) -> Contest:
    definition = {
        "id": uuid.uuid4().hex,
        "name": "batches",
        "starts_at": (now - timedelta(days=40)).isoformat(),
        "ends_at": (now + timedelta(days=20)).isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 2, "cap_per_day": 5}],
        **extra,
    }
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


def story(now: datetime) -> list[dict[str, Any]]:
    """Events of two teams, with two of a team and of a rep side by side, a reversal after its deal and one
    before it, an update, a payment, capped calls, and a record beaten twice."""
    day = now - timedelta(days=10)

    def at(hours: float) -> str:
        return (day + timedelta(hours=hours)).isoformat()

    def won(event_id: str, rep: str, amount: int, hours: float) -> dict[str, Any]:
        return {"id": event_id, "type": "deal.won", "rep": rep, "amount": str(amount), "occurred_at": at(hours)}

    def ref(event_id: str, kind: str, rep: str, deal: str, hours: float, **fields: Any) -> dict[str, Any]:
        return {"id": event_id, "type": kind, "rep": rep, "ref": deal, "occurred_at": at(hours), **fields}

    calls = [{"id": f"call{i}", "type": "call.logged", "rep": "a", "occurred_at": at(1 + i / 10)} for i in range(4)]
    return [
        won("d1", "a", 30_000, 1),
        *calls,
        won("d2", "b", 20_000, 2),
        won("d3", "a", 45_000, 3),
        ref("r1", "deal.reversed", "a", "d1", 4),  # the same team's deal, reversed in the same batch
        ref("r4", "deal.reversed", "c", "d4", 5),  # reversed before its original arrives
        won("d4", "c", 10_000, 2.5),
        won("d5", "c", 70_000, 6),
        ref("u5", "deal.updated", "c", "d5", 7, amount="50000"),
        ref("p3", "deal.paid", "a", "d3", 8),
        ref("rc", "deal.reversed", "a", "call1", 9),  # a capped call taken back: the cap group refills
        won("d6", "b", 80_000, 10),
        won("d7", LONG_ID, 12_000, 11),
    ]


def plans(contest: Contest, raws: list[dict[str, Any]], now: datetime) -> list[Plan]:
    plans = []
    for raw in raws:
        event = parse_event(raw, now=now, default_currency="CNY")
        event = replace(event, team=DIRECTORY.reps[event.rep].team)
        plans.append(Plan(event, decide(event, [contest], DIRECTORY)))
    return plans


async def snapshot(redis: Redis, contest_id: str) -> dict[str, Any]:
    """Every key of the contest, by name and content, its id replaced (ledger entries without their stream ids)."""

    def same(value: Any) -> Any:
        if isinstance(value, bytes):
            return value.replace(contest_id.encode(), b"C")
        if isinstance(value, (list, tuple)):
            return [same(v) for v in value]
        if isinstance(value, dict):
            return {same(k): same(v) for k, v in value.items()}
        return value

    kept: dict[str, Any] = {}
    async for key in redis.scan_iter(match=f"*{contest_id}*", count=1000):
        kind = text(await redis.type(key))
        if kind == "hash":
            value: Any = await redis.hgetall(key)
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = await redis.lrange(key, 0, -1)
        elif kind == "stream":
            value = [fields for _, fields in await redis.xrange(key) or ()]
        else:
            value = await redis.get(key)
        kept[text(key).replace(contest_id, "C")] = same(value)
    return kept


async def doorbells(redis: Redis, write: Any, contest_id: str) -> list[bytes]:
    """The contest's doorbells rung while ``write`` runs, in order, its id replaced."""
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.doorbell_channel(contest_id))
    confirmed = await pubsub.get_message(timeout=10)  # subscribed before anything rings
    assert confirmed is not None and confirmed["type"] == "subscribe"
    await write()
    rung = int((await redis.hget(keys.ContestKeys(contest_id).seq, "reps")) or 0)
    bells: list[bytes] = []
    while len(bells) < rung:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=10)
        assert message is not None, f"{len(bells)} of {rung} doorbells came"
        bells.append(message["data"].replace(contest_id.encode(), b"C"))
    await pubsub.aclose()
    return bells


@pytest.mark.parametrize("kind", KINDS)
def test_a_batch_leaves_what_one_call_at_a_time_leaves(engine: Engine, now: datetime, kind: str) -> None:
    loop, store = engine
    batched, alone = contest(now, KINDS[kind]), contest(now, KINDS[kind])
    raws = story(now)

    async def in_one_batch() -> None:
        await store.write_events(plans(batched, raws, now), log=False)

    async def one_at_a_time() -> None:
        for plan in plans(alone, raws, now):
            await store.write_events([plan], log=False)

    bells = loop.run_until_complete(doorbells(store.redis, in_one_batch, batched.id))
    bells_alone = loop.run_until_complete(doorbells(store.redis, one_at_a_time, alone.id))
    assert len(bells) >= len(raws) - 3  # each event that changed the contest rang once
    assert bells == bells_alone
    state = loop.run_until_complete(snapshot(store.redis, batched.id))
    assert state == loop.run_until_complete(snapshot(store.redis, alone.id))
    k = keys.ContestKeys(batched.id)
    assert {member for member, _ in state[k.team_board.replace(batched.id, "C")]} == {b"t1", b"t2"}
    totals = f"{k.rep_totals}:{keys.rep_total_bucket(LONG_ID)}".replace(batched.id, "C")  # where Python looks
    assert state[totals][LONG_ID.encode()] == b"12"


def test_a_batch_of_one_team_keeps_its_latest_moment_and_sequence(engine: Engine, now: datetime) -> None:
    """Two deals of one team and the reversal of the later one in one batch: the team's row ends as the first
    deal alone left it (its score, and its tie-break from the first deal's moment), the seq moved by three."""
    loop, store = engine
    scored, alone = contest(now, {}), contest(now, {})
    first = story(now)[0]
    late = {**first, "id": "late", "occurred_at": (now - timedelta(days=1)).isoformat()}
    undo = {"id": "undo-late", "type": "deal.reversed", "rep": "a", "ref": "late", "occurred_at": late["occurred_at"]}
    loop.run_until_complete(store.write_events(plans(scored, [first, late, undo], now), log=False))
    loop.run_until_complete(store.write_events(plans(alone, [first], now), log=False))

    def team_row(contest_id: str) -> tuple[float | None, Any, Any]:
        k = keys.ContestKeys(contest_id)
        redis = store.redis
        return (
            loop.run_until_complete(redis.zscore(k.team_board, "t1")),
            loop.run_until_complete(redis.hget(k.team_totals, "t1")),
            loop.run_until_complete(redis.hget(k.seq, "teams")),
        )

    composite, total, seq = team_row(scored.id)
    assert (total, seq) == (b"30", b"3")
    assert composite == team_row(alone.id)[0]


def test_a_teams_index_and_members_are_skip_lists_from_its_first_batch_and_after_a_reload(
    engine: Engine, now: datetime
) -> None:
    """Written on most of its team's events, a set Redis would keep as a listpack (up to 128 members) would be
    walked entry by entry on each: the team's first batch converts it, and so does its next batch after Redis
    loaded it as a listpack again (a restart, a replica promoted), its content as written."""
    loop, store = engine
    scored = contest(now, {})
    k, redis, run = keys.ContestKeys(scored.id), store.redis, loop.run_until_complete
    team_sets = (f"{k.team_times_prefix}t1", f"{k.team_members_prefix}t1")
    run(store.write_events(plans(scored, story(now)[:2], now), log=False))
    for key in team_sets:
        assert run(redis.object("encoding", key)) == b"skiplist"
    assert run(redis.zrange(team_sets[1], 0, -1, withscores=True)) == [(b"a", 32.0)]  # the deal's 30, a call's 2
    for key in team_sets:  # as Redis loads them: a dump restored is made a listpack again
        dumped = run(redis.dump(key))
        assert dumped is not None
        run(redis.restore(key, 0, dumped, replace=True))
        assert run(redis.object("encoding", key)) in (b"listpack", b"ziplist")
    run(store.write_events(plans(scored, story(now)[5:6], now), log=False))  # b's deal, in t1
    for key in team_sets:
        assert run(redis.object("encoding", key)) == b"skiplist"
    assert run(redis.zrange(team_sets[1], 0, -1, withscores=True)) == [(b"b", 20.0), (b"a", 32.0)]
