"""XP in several shards by rep (``ARENA_XP_SHARDS``) on one real Redis: each rep's XP in its own shard, boards,
ranks and the badge feed merged exactly, duplicates and corrections exact across shards, and a shard count that
is kept once XP has data."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
import redis
from redis.asyncio import Redis

from game import keys
from game.events import Event, new_event
from game.log_shards import id_order, parse_position
from game.pseudonym import Erasure, erasure_of
from game.ranking import competition_ranks
from game.store import BadgeSync, Plan, Store, XpShardsChanged
from game.xp import decide_xp, window_keys, xp_for
from game.xp_shards import merged_rank, merged_top, xp_parts
from server.embedded_redis import EmbeddedRedis
from server.services.erasure_score_store import ScoreRenamer
from server.services.progress_store import ProgressStore, read_xp_board
from tests.support.server import launch_server

T = TypeVar("T")
ZONE = ZoneInfo("UTC")
SHARDS = 3


@pytest.fixture(scope="module")
def xp_redis() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


RUNNER: list[asyncio.Runner] = []


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return RUNNER[0].run(coroutine)


@pytest.fixture
def client(xp_redis: EmbeddedRedis) -> Iterator[Redis]:
    """A client on an emptied Redis of this module's own, XP in three shards (one again afterwards)."""
    with asyncio.Runner() as runner:
        RUNNER[:] = [runner]
        redis = Redis.from_url(xp_redis.url)
        runner.run(redis.flushall())
        keys.use_xp_shards(SHARDS)
        try:
            yield redis
        finally:
            keys.use_xp_shards(1)
            runner.run(redis.aclose())


def reps_on_every_shard(count: int) -> list[str]:
    """``count`` rep ids, at least one in each shard (ids as a CRM sends them)."""
    reps = [f"rep-{n}" for n in range(count)]
    assert {keys.xp_shard_of(rep) for rep in reps} == set(range(SHARDS))
    return reps


def won(number: int, rep: str, amount: int, now: datetime) -> Event:
    return new_event(
        id=f"deal-{number}", type="deal.won", rep=rep, now=now, default_currency="CNY", amount=Decimal(amount)
    )


def correction(kind: str, number: int, of: int, rep: str, now: datetime, amount: int | None = None) -> Event:
    return new_event(
        id=f"fix-{number}",
        type=kind,
        rep=rep,
        now=now,
        default_currency="CNY",
        ref=f"deal-{of}",
        amount=Decimal(amount) if amount is not None else None,
    )


async def write(store: Store, events: list[Event], log: bool = False) -> list[bool]:
    """Apply events' XP; without the log (whose dedupe would hide XP's own), unless asked."""
    plans = [Plan(e, [], decide_xp(e, ZONE, "CNY")) for e in events]
    results = await store.write_events(plans, log=log)
    assert all(not r.errors for r in results), [r.errors for r in results]
    return [r.new for r in results]


def expected_week(standing: dict[str, Event], week: str) -> dict[str, int]:
    """XP per rep on a week's board, computed from the deals that stand, without Redis."""
    xp: Counter[str] = Counter()
    for event in standing.values():
        if window_keys(event.occurred_at, ZONE)["week"] == week:
            xp[event.rep] += xp_for(event, "CNY")[0]
    return dict(xp)


async def week_board(redis: Redis, week: str) -> list[tuple[str, int]]:
    _, rows = await read_xp_board(redis, "week", week, 1000)
    return rows


async def week_xp(redis: Redis, week: str) -> dict[str, int]:
    """XP per rep on a week's board (reps whose deals were all taken back stay on it with 0, as before shards)."""
    return {rep: xp for rep, xp in await week_board(redis, week) if xp}


# --- the pure rules -------------------------------------------------------------------------------


def test_a_correction_goes_to_every_shard_and_an_event_to_its_reps_only() -> None:
    now = datetime.now(UTC)
    deal = decide_xp(won(1, "rep-1", 5000, now), ZONE, "CNY")
    fix = decide_xp(correction("deal.updated", 2, 1, "rep-2", now, 9000), ZONE, "CNY")
    assert deal is not None and fix is not None
    assert xp_parts(deal, 2, 3) == [(2, deal)]
    parts = dict(xp_parts(fix, 1, 3))
    assert sorted(parts) == [0, 1, 2] and parts[1] == fix
    assert all(not parts[s].is_deal and parts[s].xp == 0 and parts[s].undo for s in (0, 2))
    assert xp_parts(fix, 0, 1) == [(0, fix)]


def test_merged_top_is_the_order_of_one_sorted_set() -> None:
    """Ties in reverse byte order, as ZREVRANGE gives them."""
    shards = [
        [(b"b", 9.0), (b"a", 5.0)],
        [(b"c", 9.0), (b"d", 5.0), (b"e", 1.0)],
        [],
    ]
    assert merged_top(shards, 4) == [("c", 9), ("b", 9), ("d", 5), ("a", 5)]
    assert merged_rank([0, 1, 0]) == 2


# --- on Redis -------------------------------------------------------------------------------------


def test_each_reps_xp_lives_in_its_shard_and_the_merged_board_and_ranks_are_exact(client: Redis) -> None:
    store, progress = Store(client), ProgressStore(client)
    now = datetime.now(UTC)
    reps = reps_on_every_shard(12)
    deals = [won(n, reps[n % len(reps)], 1000 * (n % 9) + 3000, now - timedelta(minutes=n)) for n in range(60)]
    assert all(run(write(store, deals, log=True)))
    week = window_keys(now, ZONE)["week"]
    expected = expected_week({e.key: e for e in deals}, week)

    for shard in keys.all_xp_keys():  # a shard's part of the board holds its own reps only
        members = run(client.zrange(shard.board("week", week), 0, -1))
        assert {m.decode() for m in members} == {r for r in expected if keys.xp_shard_of(r) == shard.shard}
    rows = run(week_board(client, week))
    assert rows == sorted(expected.items(), key=lambda row: (row[1], row[0].encode()), reverse=True)
    assert run(progress.xp_board("week", week, 5)) == rows[:5]
    for rank in competition_ranks(rows):
        assert run(progress.xp_rank("week", week, rank.id)) == (rank.rank, rank.score)
    assert run(progress.xp_rank("week", week, "nobody")) is None
    seq, _ = run(read_xp_board(client, "week", week, 1))
    assert seq == len(deals)  # every XP change moved one shard's counter on

    assert run(write(store, deals[:10], log=True)) == [False] * 10
    run(write(store, deals[10:20]))  # past the log's dedupe: XP's own holds
    assert run(week_board(client, week)) == rows
    dealers = run(store.month_dealers(window_keys(now, ZONE)["month"]))
    assert dealers == sorted(expected)


def test_corrections_are_exact_across_shards(client: Redis) -> None:
    store = Store(client)
    now = datetime.now(UTC)
    reps = reps_on_every_shard(12)
    a = reps[0]
    b = next(r for r in reps if keys.xp_shard_of(r) != keys.xp_shard_of(a))
    c = next(r for r in reps if keys.xp_shard_of(r) not in (keys.xp_shard_of(a), keys.xp_shard_of(b)))
    week, month = window_keys(now, ZONE)["week"], window_keys(now, ZONE)["month"]
    deals = [won(1, a, 5000, now), won(2, a, 8000, now), won(3, b, 2000, now)]
    run(write(store, deals))
    standing = {e.key: e for e in deals}

    reversal = correction("deal.reversed", 10, 1, a, now)
    run(write(store, [reversal, reversal]))  # sent twice
    del standing["api:deal-1"]
    run(write(store, [deals[0]]))  # the original again, after its reversal
    assert run(week_xp(client, week)) == expected_week(standing, week)

    # An update moves deal 2 from a to b: taken back in a's shard, credited in b's, once.
    move = correction("deal.updated", 11, 2, b, now, 12000)
    run(write(store, [move]))
    run(write(store, [move, deals[1]]))
    standing["api:deal-2"] = Event(**{**move.__dict__, "type": "deal.won", "id": "deal-2"})
    assert run(week_xp(client, week)) == expected_week(standing, week)
    assert not run(store.deal_stands(a, month, "api:deal-2")) and run(store.deal_stands(b, month, "api:deal-2"))
    assert run(store.month_facts(a, month)) == []

    # A reversal naming another rep, before its deal: the deal, arriving in its own rep's shard, does not count.
    early = correction("deal.reversed", 12, 4, b, now)
    run(write(store, [early]))
    run(write(store, [won(4, c, 9000, now)]))
    assert run(week_xp(client, week)) == expected_week(standing, week)
    assert not run(store.deal_stands(c, month, "api:deal-4"))


def test_badges_are_kept_in_their_reps_shard_and_the_feed_is_read_once_in_order(client: Redis) -> None:
    store, progress = Store(client), ProgressStore(client)
    reps = reps_on_every_shard(12)
    assert run(progress.newest_badge_change()) is None
    awarded: list[tuple[str, str]] = []
    for round_ in range(4):
        syncs = [BadgeSync(rep, awards=[(f"b{round_}", {"badge": f"b{round_}", "awarded_at": "x"})]) for rep in reps]
        assert run(store.sync_badges(syncs)) == [1] * len(reps)
        assert run(store.sync_badges(syncs[:3])) == [0] * 3  # held already: neither stored nor announced again
        awarded += [(rep, f"b{round_}") for rep in reps]
    for rep in reps:
        assert run(client.exists(keys.badges(rep))) and keys.badges(rep).startswith(keys.xp_keys_of(rep).badges_prefix)
    lengths = [run(client.xlen(shard.badge_feed)) for shard in keys.all_xp_keys()]
    assert all(lengths) and sum(lengths) == len(awarded)

    cursor, read, handed_out = "0-0", [], []
    while changes := run(progress.badge_changes_after(cursor, 5)):
        for position, change in changes:
            read.append((change["rep"], change["badge"]))
            handed_out += [
                id_order(new)
                for new, old in zip(parse_position(position, SHARDS), parse_position(cursor, SHARDS), strict=True)
                if new != old
            ]
            cursor = position
    assert sorted(read) == sorted(awarded) and len(read) == len(set(read))
    # Each change moves its own shard's position, in the order of stream ids across shards. The shards' streams
    # count apart within a millisecond (each in its own slot, in a cluster on its own node), so changes of different
    # reps made in the same millisecond have no order between them; each rep's changes (one stream) come in order.
    assert len(handed_out) == len(read) and handed_out == sorted(handed_out)
    for rep in reps:
        assert [badge for who, badge in read if who == rep] == [f"b{round_}" for round_ in range(4)]
    assert run(progress.newest_badge_change()) == cursor
    between = run(progress.badge_changes_between(0, int(datetime.now(UTC).timestamp() * 1000) + 1000, 1000))
    assert [(c["rep"], c["badge"]) for _, c in between] == read


def test_the_shard_count_is_kept_once_xp_has_data(client: Redis) -> None:
    now = datetime.now(UTC)
    run(write(Store(client), [won(1, "rep-1", 5000, now)]))
    keys.use_xp_shards(2)
    with pytest.raises(XpShardsChanged, match="XP is written in 3 shard"):
        run(Store(client).check_xp_shards())
    with pytest.raises(XpShardsChanged):
        run(write(Store(client), [won(2, "rep-1", 5000, now)]))


def test_xp_written_before_sharding_counts_as_one_shard(client: Redis) -> None:
    keys.use_xp_shards(1)
    run(client.incr(keys.XP_SEQ))  # XP of a version without shards
    keys.use_xp_shards(SHARDS)
    with pytest.raises(XpShardsChanged, match="in 1 shard"):
        run(Store(client).check_xp_shards())


def test_a_server_refuses_to_start_with_another_xp_shard_count(xp_redis: EmbeddedRedis, tmp_path: Path) -> None:
    with redis.Redis.from_url(xp_redis.url) as client:
        client.flushall()
        client.incr(keys.XP_SEQ)  # XP of a one-shard deployment, from before the count was kept
        with pytest.raises(RuntimeError, match="server exited"):
            launch_server(xp_redis.url, tmp_path / "server", ready=False, ARENA_XP_SHARDS="3").stop()
        (log,) = (tmp_path / "server").glob("server-*.log")
        assert "XP is written in 1 shard(s) but ARENA_XP_SHARDS is 3" in log.read_text()
        assert client.get(keys.XP_SHARD_COUNT) == b"1"


def test_one_shard_keeps_the_names_of_before() -> None:
    shard = keys.XpKeys(0)
    assert shard.script_keys()[0] == keys.XP_SEEN and shard.seq == keys.XP_SEQ and shard.channel == keys.XP_CHANNEL
    assert shard.badge_feed == keys.BADGE_FEED and keys.badges("r") == keys.BADGES_PREFIX + "r"
    assert keys.xp_board("week", "p") == f"{keys.XP_BOARD_PREFIX}week:p"
    assert keys.xp_shard_of("anyone") == 0


def erasure_in_another_shard(rep: str) -> Erasure:
    """An erasure of ``rep`` whose pseudonym's XP lives in another shard (its records and counts move)."""
    erasures = (erasure_of(rep, f"secret-{n}", []) for n in range(100))
    return next(e for e in erasures if keys.xp_shard_of(e.alias) != keys.xp_shard_of(rep))


def test_an_erasure_moves_unbucketed_xp_records_into_buckets_a_running_process_reads(client: Redis) -> None:
    now = datetime.now(UTC)
    rep = "rep-0"
    erasure = erasure_in_another_shard(rep)
    run(write(Store(client), [won(1, rep, 5000, now)]))
    # deal-1 as an earlier version kept it: in its shard's unbucketed hash
    home, deal = keys.xp_keys_of(rep), "api:deal-1"
    record = run(client.hget(f"{home.deals}:{keys.bucket(deal)}", deal))
    run(client.hdel(f"{home.deals}:{keys.bucket(deal)}", deal))
    run(client.hset(home.deals, deal, record))
    store = Store(client)  # started on that data: reads the unbucketed hash of that shard only
    run(write(store, [won(2, rep, 1000, now)]))
    run(ScoreRenamer(client, erasure).progress())
    week = window_keys(now, ZONE)["week"]
    assert run(week_xp(client, week)) == {erasure.alias: 15 + 11}
    run(write(store, [correction("deal.reversed", 3, 1, erasure.alias, now)]))
    assert run(week_xp(client, week)) == {erasure.alias: 11}


def test_an_erasure_moves_a_reps_caps_and_tally_to_the_pseudonyms_buckets(client: Redis) -> None:
    now = datetime.now(UTC)
    rep = "rep-0"
    erasure = erasure_in_another_shard(rep)
    store = Store(client)
    calls = [new_event(id=f"call-{n}", type="call.logged", rep=rep, now=now, default_currency="CNY") for n in range(3)]
    run(write(store, [*calls, won(1, rep, 5000, now)]))
    day, month = window_keys(now, ZONE)["day"], window_keys(now, ZONE)["month"]
    home, new_home = keys.xp_keys_of(rep), keys.xp_keys_of(erasure.alias)
    run(ScoreRenamer(client, erasure).progress())
    assert run(client.hget(new_home.caps(day, erasure.alias), f"call.logged|{erasure.alias}")) == b"3"
    assert not run(client.hexists(home.caps(day, rep), f"call.logged|{rep}"))
    assert not run(client.hexists(home.tally(rep), rep))
    (standing,) = run(store.read_badge_standings([(erasure.alias, [month])]))
    assert standing.lifetime == 1 and [fact.deal for fact in standing.facts] == ["api:deal-1"]
    run(write(store, [correction("deal.reversed", 2, 1, erasure.alias, now)]))
    (after,) = run(store.read_badge_standings([(erasure.alias, [month])]))
    assert after.lifetime == 0 and after.facts == [] and after.version != standing.version
