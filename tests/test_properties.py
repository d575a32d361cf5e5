"""Properties of the engine over a real Redis: order, duplicates, reversals and rescoring change nothing
they should not. Each example writes into fresh contest ids, so examples never see each other."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from game import keys
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.events import Event, parse_event
from game.scoring import decide
from game.store import Plan, Store
from server.embedded_redis import EmbeddedRedis

REPS = [f"r{i}" for i in range(6)]
DIRECTORY = Directory(
    reps={rep: Rep(rep, rep.upper(), f"t{i % 2}") for i, rep in enumerate(REPS)},
    teams={"t0": Team("t0", "East"), "t1": Team("t1", "North")},
)
START = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 30, tzinfo=UTC)


def contest(contest_id: str, epoch: int = 1) -> Contest:
    definition = {
        "id": contest_id,
        "name": "property",
        "starts_at": START.isoformat(),
        "ends_at": "2026-12-01T00:00:00Z",
        "team_score": "best:2",
        "multipliers": {"category": {"hi": 1.5}},
        "rules": [
            {"on": "deal.won", "points_per": 1000, "points": 1},
            {"on": "call.logged", "points": 2, "cap_per_day": 5},
        ],
    }
    parsed = parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")
    return replace(parsed, epoch=epoch)


# An operation: ("deal", rep, amount, day, hi) / ("call", rep, day) / ("reverse", deal index) /
# ("update", deal index, amount). Each deal is reversed or updated at most once (arrival order decides
# between two corrections of the same deal, so those are not order-independent by nature).
deals = st.tuples(st.just("deal"), st.sampled_from(REPS), st.integers(0, 500_000), st.integers(0, 28), st.booleans())
calls = st.tuples(st.just("call"), st.sampled_from(REPS), st.integers(0, 3))


@st.composite
def histories(draw: st.DrawFn) -> list[dict]:
    base = draw(st.lists(st.one_of(deals, calls), min_size=1, max_size=30))
    events: list[dict] = []
    deal_ids: list[tuple[str, str]] = []
    for index, op in enumerate(base):
        at = (START + timedelta(days=op[3] if op[0] == "deal" else op[2], hours=index % 24)).isoformat()
        if op[0] == "deal":
            event_id = f"d{index}"
            deal_ids.append((event_id, op[1]))
            events.append(
                {
                    "id": event_id,
                    "type": "deal.won",
                    "rep": op[1],
                    "amount": str(op[2]),
                    "category": "hi" if op[4] else "lo",
                    "occurred_at": at,
                }
            )
        else:
            events.append({"id": f"c{index}", "type": "call.logged", "rep": op[1], "occurred_at": at})
    if deal_ids:
        corrected = draw(st.lists(st.sampled_from(range(len(deal_ids))), unique=True, max_size=len(deal_ids)))
        for n, target in enumerate(corrected):
            deal_id, rep = deal_ids[target]
            if draw(st.booleans()):
                events.append({"id": f"rev{n}", "type": "deal.reversed", "rep": rep, "ref": deal_id})
            else:
                events.append(
                    {
                        "id": f"upd{n}",
                        "type": "deal.updated",
                        "rep": rep,
                        "ref": deal_id,
                        "amount": str(draw(st.integers(0, 500_000))),
                        "occurred_at": START.isoformat(),
                    }
                )
    return events


@pytest.fixture(scope="module")
def engine(redis_server: EmbeddedRedis):  # type: ignore[no-untyped-def]
    loop = asyncio.new_event_loop()
    redis = Redis.from_url(redis_server.url)
    store = Store(redis)
    yield loop, store
    loop.run_until_complete(redis.aclose())
    loop.close()


def parse_all(raws: list[dict]) -> list[Event]:
    return [
        replace(parse_event(raw, now=NOW, default_currency="CNY"), team=DIRECTORY.reps[raw["rep"]].team) for raw in raws
    ]


async def apply(store: Store, target: Contest, events: list[Event], replay: bool = False) -> None:
    plans = []
    for event in events:
        changes = decide(event, [target], DIRECTORY)
        if replay:
            changes = [replace(c, replay=True, quiet=True) for c in changes]
        plans.append(Plan(event, changes))
    for start in range(0, len(plans), 7):  # several pipelines, as several requests would
        await store.write_events(plans[start : start + 7], log=False)


async def boards(store: Store, target: Contest) -> tuple[list, list, dict, dict]:
    k = keys.ContestKeys(target.id, target.epoch)
    redis = store.redis
    reps = await redis.zrevrange(k.rep_board, 0, -1, withscores=True)
    teams = await redis.zrevrange(k.team_board, 0, -1, withscores=True)
    rep_totals = {rep: points for rep, points in (await store.rep_totals(target.id, target.epoch)).items() if points}
    team_totals = {m.decode(): int(v) for m, v in (await redis.hgetall(k.team_totals)).items() if int(v)}
    # Zero rows exist only where something once scored: compare the rows with points.
    return ([r for r in reps if r[1] >= 2**25], [t for t in teams if t[1] >= 2**25], rep_totals, team_totals)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(history=histories(), seed=st.integers(0, 2**32))
def test_any_order_with_duplicates_gives_identical_boards(engine, history: list[dict], seed: int) -> None:  # type: ignore[no-untyped-def]
    loop, store = engine
    events = parse_all(history)
    shuffled = events + random.Random(seed).sample(events, k=min(len(events), 5))  # duplicates
    random.Random(seed).shuffle(shuffled)
    in_order, any_order = contest(uuid.uuid4().hex), contest(uuid.uuid4().hex)
    loop.run_until_complete(apply(store, in_order, events))
    loop.run_until_complete(apply(store, any_order, shuffled))
    assert loop.run_until_complete(boards(store, in_order)) == loop.run_until_complete(boards(store, any_order))


@PROPERTY
@given(history=histories())
def test_incremental_scoring_equals_a_rescore_from_the_log(engine, history: list[dict]) -> None:  # type: ignore[no-untyped-def]
    loop, store = engine
    events = parse_all(history)
    contest_id = uuid.uuid4().hex
    live = contest(contest_id, epoch=1)
    loop.run_until_complete(apply(store, live, events))
    rebuilt = contest(contest_id, epoch=2)
    loop.run_until_complete(apply(store, rebuilt, events, replay=True))
    assert loop.run_until_complete(boards(store, live)) == loop.run_until_complete(boards(store, rebuilt))


@PROPERTY
@given(history=histories(), data=st.data())
def test_apply_then_reverse_is_the_same_as_never_applied(engine, history: list[dict], data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    loop, store = engine
    events = [e for e in parse_all(history) if e.type in ("deal.won", "call.logged")]
    undone = data.draw(st.lists(st.sampled_from(events), unique_by=lambda e: e.id)) if events else []
    reversals = parse_all(
        [{"id": f"undo-{e.id}", "type": "deal.reversed", "rep": e.rep, "ref": e.id} for e in undone]
    )  # a reversal may name any event, capped calls included
    mixed = data.draw(st.permutations(events + reversals))
    with_reversals, never = contest(uuid.uuid4().hex), contest(uuid.uuid4().hex)
    loop.run_until_complete(apply(store, with_reversals, list(mixed)))
    loop.run_until_complete(apply(store, never, [e for e in events if e not in undone]))
    assert loop.run_until_complete(boards(store, with_reversals)) == loop.run_until_complete(boards(store, never))
