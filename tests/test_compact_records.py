"""Compact per-event records: bucketed dedupe and deal hashes that Redis keeps as listpacks, positional deal
records and ledger lines, and XP deal records without key names. Data written before them stays readable:
a duplicate of an event seen then is refused, a deal recorded then is undone exactly, its ledger still reads."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgpack

from game import keys
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.events import Event, parse_event
from game.scoring import decide
from game.store import SCRIPT_LIBRARIES, BadgeSync, Plan, Store, lua_part
from game.xp import decide_xp, window_keys

START = datetime(2026, 11, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 20, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")

Engine = tuple[asyncio.AbstractEventLoop, Store]


def org(*extra_rules: dict[str, Any]) -> tuple[Contest, Directory, str]:
    rep = f"rep-{uuid.uuid4().hex[:8]}"
    directory = Directory(reps={rep: Rep(rep, "Ann", "t1")}, teams={"t1": Team("t1", "East")})
    definition = {
        "id": uuid.uuid4().hex,
        "name": "compact",
        "starts_at": START.isoformat(),
        "ends_at": "2026-12-01T00:00:00Z",
        "rules": [
            {"on": "deal.won", "points_per": 1000},
            {"on": "call.logged", "points": 2, "cap_per_day": 5},
            *extra_rules,
        ],
    }
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY"), directory, rep


def event(raw: dict[str, Any]) -> Event:
    return replace(parse_event(raw, now=NOW, default_currency="CNY"), team="t1")


def write(engine: Engine, contest: Contest, directory: Directory, raws: list[dict[str, Any]]) -> None:
    loop, store = engine
    events = [event(raw) for raw in raws]
    plans = [Plan(e, decide(e, [contest], directory), decide_xp(e, ZONE, "CNY")) for e in events]
    loop.run_until_complete(store.write_events(plans, log=False))


def run(engine: Engine, coroutine: Any) -> Any:
    return engine[0].run_until_complete(coroutine)


def total(engine: Engine, contest: Contest, rep: str) -> int:
    return int(run(engine, engine[1].ledger_total(contest.id, contest.epoch, rep)))


def won(rep: str, event_id: str, amount: str, day: int = 3) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "deal.won",
        "rep": rep,
        "amount": amount,
        "occurred_at": f"2026-11-{day:02d}T10:00:00+08:00",
    }


def call(rep: str, event_id: str) -> dict[str, Any]:
    return {"id": event_id, "type": "call.logged", "rep": rep, "occurred_at": "2026-11-04T09:00:00+08:00"}


def as_begun_before(engine: Engine, contest: Contest) -> None:
    """Turn the contest's epoch into one begun by earlier versions: no layout mark, every rep's total in one hash."""
    redis, k = engine[1].redis, keys.ContestKeys(contest.id, contest.epoch)
    totals = run(engine, engine[1].rep_totals(contest.id, contest.epoch))
    run(engine, redis.delete(*(f"{k.rep_totals}:{b}" for b in range(keys.REP_TOTAL_BUCKETS))))
    run(engine, redis.hset(k.rep_totals, mapping=totals))
    run(engine, redis.hdel(k.meta, f"layout:{contest.epoch}"))


def test_per_event_hashes_are_small_listpacks_and_ledger_lines_read_as_before(engine: Engine) -> None:
    contest, directory, rep = org()
    raws = [won(rep, f"d{i}", str(1000 * (i + 1))) for i in range(300)]
    raws += [call(rep, f"c{i}") for i in range(4)]
    write(engine, contest, directory, raws + raws[:50])  # the duplicates change nothing
    k = keys.ContestKeys(contest.id)
    redis = engine[1].redis
    assert run(engine, redis.keys(k.seen + "*")) == []  # an original is marked seen in its deal's record
    undo = {"id": "undo-d299", "type": "deal.reversed", "rep": rep, "ref": "d299", "occurred_at": NOW.isoformat()}
    write(engine, contest, directory, [undo, undo, raws[299]])  # a reversal's own event is kept in seen
    assert run(engine, redis.keys(k.seen + "*")) == [k.seen_bucket("api:undo-d299").encode()]
    deals = run(engine, redis.keys(k.deals + ":*"))
    assert run(engine, redis.exists(k.deals)) == 0 and len(deals) > 100  # only buckets
    for key in deals:
        assert run(engine, redis.object("encoding", key)) in (b"listpack", b"ziplist")  # not a hashtable
    assert total(engine, contest, rep) == sum(range(1, 300)) + 5  # four calls of 2 points, 5 a day at most
    lines, _ = run(engine, engine[1].read_ledger(contest.id, 1, rep, count=1000))
    assert len(lines) == 305
    first, capped = lines[0], lines[-2]
    assert (lines[-1]["note"], lines[-1]["points"], lines[-1]["deal"]) == ("undo", -300, "api:d299")
    assert {key: first[key] for key in ("event", "type", "points", "note", "deal", "amount", "v")} == {
        "event": "api:d0",
        "type": "deal.won",
        "points": 1,
        "note": "apply",
        "deal": "api:d0",
        "amount": "1000",
        "v": 1,
    }
    assert "customer" not in first and first["hits"] == [[0, 1, "", 1, 0]]
    assert capped["hits"] == [[1, 0, "", 2, 5]]  # the fourth call: 2 asked, none allowed past the cap


def test_a_reversal_undoes_a_deal_recorded_before_records_were_compact(engine: Engine) -> None:
    contest, directory, rep = org()
    write(engine, contest, directory, [won(rep, "old-1", "7000"), call(rep, "call-1")])
    assert total(engine, contest, rep) == 9
    k = keys.ContestKeys(contest.id)
    redis = engine[1].redis
    # Rewrite what the write script kept as an earlier version kept it: unbucketed hashes of msgpack maps.
    for event_key, hits in (("api:old-1", [[0, 7, "", 7, 0]]), ("api:call-1", [[1, 2, f"2026-11-04|1|{rep}", 2, 5]])):
        legacy = {"rep": rep, "team": "t1", "hits": hits, "event": event_key, "size": 0, "target": 0}
        legacy.update(team_target=0, division="")
        run(engine, redis.hdel(k.deals_bucket(event_key), event_key))
        run(engine, redis.hdel(k.seen_bucket(event_key), event_key))
        run(engine, redis.hset(k.deals, event_key, msgpack.packb(legacy)))
        run(engine, redis.hset(k.seen, event_key, 1))
    # ... and the deal's moment straight in the team's set (cap groups alike), not in a bucket
    team_times = k.team_times_prefix + "t1"
    deal_bucket = keys.bucket("api:old-1", keys.TEAM_TIME_BUCKETS)
    at = run(engine, redis.zscore(f"{team_times}|{deal_bucket}", "api:old-1"))
    run(engine, redis.delete(team_times, *run(engine, redis.keys(team_times + "|*"))))
    run(engine, redis.zadd(team_times, {"api:old-1": at, f"cap|2026-11-04|1|{rep}": at}))
    as_begun_before(engine, contest)
    write(engine, contest, directory, [won(rep, "old-1", "7000"), call(rep, "call-1")])  # seen before: duplicates
    assert total(engine, contest, rep) == 9
    assert run(engine, engine[1].deals_standing([(contest.id, 1, "api:old-1")])) == [True]
    reversals = [
        {"id": f"undo-{ref}", "type": "deal.reversed", "rep": rep, "ref": ref, "occurred_at": NOW.isoformat()}
        for ref in ("old-1", "call-1")
    ]
    write(engine, contest, directory, reversals)
    assert total(engine, contest, rep) == 0
    assert run(engine, redis.zcard(team_times)) == 0  # no moment left: the team's tie-break is back to none
    assert run(engine, redis.exists(k.cap_group_prefix + f"2026-11-04|1|{rep}")) == 0
    assert run(engine, engine[1].deals_standing([(contest.id, 1, "api:old-1")])) == [False]
    lines, _ = run(engine, engine[1].read_ledger(contest.id, 1, rep))
    assert [(line["note"], line["points"], line["deal"]) for line in lines[-2:]] == [
        ("undo", -7, "api:old-1"),
        ("undo", -2, "api:call-1"),
    ]


def team_moments(engine: Engine, contest: Contest) -> dict[str, dict[bytes, float]]:
    """The team's set and its buckets: key suffix -> members and moments."""
    prefix = keys.ContestKeys(contest.id).team_times_prefix + "t1"
    redis = engine[1].redis
    found = [prefix, *(key.decode() for key in run(engine, redis.keys(prefix + "|*")))]
    sets = {key[len(prefix) :]: dict(run(engine, redis.zrange(key, 0, -1, withscores=True))) for key in found}
    return {suffix: members for suffix, members in sets.items() if members}


def test_a_team_set_holds_no_member_per_day_and_epochs_begun_before_keep_their_day_buckets(engine: Engine) -> None:
    fresh, directory, rep = org()
    under_way = replace(fresh, id=uuid.uuid4().hex)
    days = [call(rep, f"call-{day}") | {"occurred_at": f"2026-11-{day:02d}T09:00:00+08:00"} for day in range(2, 9)]
    for contest in (fresh, under_way):
        write(engine, contest, directory, [won(rep, "w-1", "7000"), *days[:2]])
    index = team_moments(engine, fresh)[""]
    assert len(index) == 3 and not any(member.startswith(b"b|c") for member in index)  # 2 days in deal buckets
    # The epoch under way as the previous version wrote it: a bucket per day of cap groups, no layout mark.
    redis, k = engine[1].redis, keys.ContestKeys(under_way.id)
    moments = team_moments(engine, under_way)
    caps = {member: at for suffix, members in moments.items() if suffix for member, at in members.items()}
    prefix = k.team_times_prefix + "t1"
    run(engine, redis.delete(prefix, *(prefix + suffix for suffix in moments if suffix)))
    deal_bucket = keys.bucket("api:w-1", keys.TEAM_TIME_BUCKETS)
    run(engine, redis.zadd(f"{prefix}|{deal_bucket}", {"api:w-1": caps.pop(b"api:w-1")}))
    run(
        engine,
        redis.zadd(prefix, {f"b|{deal_bucket}": run(engine, redis.zscore(f"{prefix}|{deal_bucket}", "api:w-1"))}),
    )
    for member, at in caps.items():
        day = member.decode().split("|")[1]
        run(engine, redis.zadd(f"{prefix}|c{day}", {member: at}))
        run(engine, redis.zadd(prefix, {f"b|c{day}": at}))
    as_begun_before(engine, under_way)
    for contest in (fresh, under_way):
        write(engine, contest, directory, days[2:])
    assert len(team_moments(engine, under_way)[""]) == 8  # the earlier layout is kept: a member per day
    boards = [
        run(engine, redis.zrange(keys.ContestKeys(c.id).team_board, 0, -1, withscores=True)) for c in (fresh, under_way)
    ]
    assert boards[0] == boards[1] and boards[0][0][1] > 0  # the same score and tie-break either way
    for contest in (fresh, under_way):
        reversals = [reversal(rep, raw["id"]) for raw in days[::-1]]  # latest first: each moment falls back
        write(engine, contest, directory, reversals)
    boards = [
        run(engine, redis.zrange(keys.ContestKeys(c.id).team_board, 0, -1, withscores=True)) for c in (fresh, under_way)
    ]
    assert boards[0] == boards[1]
    write(engine, fresh, directory, [reversal(rep, "w-1")])
    write(engine, under_way, directory, [reversal(rep, "w-1")])
    assert team_moments(engine, fresh) == {} and team_moments(engine, under_way) == {}  # nothing left behind


def test_rep_totals_sit_in_small_hashes_and_epochs_begun_before_keep_theirs(engine: Engine) -> None:
    fresh, directory, rep = org()
    other = "Zed.Long_id@" + uuid.uuid4().hex * 3  # a long id hashes alike in Python and Lua (no overflow)
    directory = replace(directory, reps={**directory.reps, other: Rep(other, "Bo", "t1")})
    under_way = replace(fresh, id=uuid.uuid4().hex)
    first = [won(rep, "w-1", "7000"), won(other, "w-2", "3000")]
    for contest in (fresh, under_way):
        write(engine, contest, directory, first)
    as_begun_before(engine, under_way)
    for contest in (fresh, under_way):
        write(engine, contest, directory, [won(rep, "w-3", "2000"), call(other, "c-1"), reversal(other, "w-2")])
    redis = engine[1].redis
    for contest in (fresh, under_way):
        assert run(engine, engine[1].rep_totals(contest.id, contest.epoch)) == {rep: 9, other: 2}
        assert [total(engine, contest, who) for who in (rep, other)] == [9, 2]
    k = keys.ContestKeys(fresh.id)
    assert run(engine, redis.exists(k.rep_totals)) == 0
    for who, points in ((rep, b"9"), (other, b"2")):
        assert run(engine, redis.hget(k.rep_totals_bucket(who), who)) == points
        assert run(engine, redis.object("encoding", k.rep_totals_bucket(who))) in (b"listpack", b"ziplist")
    earlier = keys.ContestKeys(under_way.id)
    assert run(engine, redis.hgetall(earlier.rep_totals)) == {rep.encode(): b"9", other.encode(): b"2"}
    assert not any(run(engine, redis.exists(f"{earlier.rep_totals}:{b}")) for b in range(keys.REP_TOTAL_BUCKETS))


def test_ledger_lines_written_before_compact_lines_still_read(engine: Engine) -> None:
    contest, _, rep = org()
    old_line = {"event": "api:e1", "type": "deal.won", "at": 1, "v": 1, "points": 3, "hits": [[0, 3, "", 3, 0]]}
    old_line.update(note="apply", deal="api:e1", amount="3000")
    stream = keys.ContestKeys(contest.id).ledger(rep)
    run(engine, engine[1].redis.xadd(stream, {"e": msgpack.packb(old_line)}))
    lines, cursor = run(engine, engine[1].read_ledger(contest.id, 1, rep))
    assert cursor is None
    assert {key: value for key, value in lines[0].items() if key != "id"} == old_line


def xp_deals(deal: str) -> str:
    return f"{keys.XP_DEALS}:{keys.bucket(deal)}"


def xp_score(engine: Engine, rep: str, board: str) -> float:
    return float(run(engine, engine[1].redis.zscore(board, rep)) or 0)


def boards_of(moment: str) -> list[str]:
    windows = window_keys(datetime.fromisoformat(moment), ZONE)
    return [keys.xp_board(window, period) for window, period in windows.items()]


def reversal(rep: str, ref: str) -> dict[str, Any]:
    return {"id": f"undo-{ref}", "type": "deal.reversed", "rep": rep, "ref": ref, "occurred_at": NOW.isoformat()}


def test_xp_records_name_no_keys_and_are_undone_on_every_board(engine: Engine) -> None:
    contest, directory, rep = org()
    # days whose week, month or quarter turn over: the periods a record leaves out are found again from its day
    days = ["2025-12-31", "2026-01-01", "2026-03-31", "2026-04-01", "2026-11-03"]
    raws = [{**won(rep, f"{rep}-x{i}", "50000"), "occurred_at": f"{day}T23:30:00+08:00"} for i, day in enumerate(days)]
    meeting = {"id": f"{rep}-m1", "type": "meeting.held", "rep": rep, "occurred_at": "2026-11-03T09:00:00+08:00"}
    write(engine, contest, directory, [*raws, meeting])
    redis = engine[1].redis
    boards = sorted({board for raw in [*raws, meeting] for board in boards_of(raw["occurred_at"])})
    assert all(xp_score(engine, rep, board) > 0 for board in boards)
    for raw in [*raws, meeting]:
        record = msgpack.unpackb(run(engine, redis.hget(xp_deals(f"api:{raw['id']}"), f"api:{raw['id']}")), raw=False)
        assert len(msgpack.packb(record)) <= 64 and record[6] == raw["occurred_at"][:10]  # a listpack value
    capped = msgpack.unpackb(run(engine, redis.hget(xp_deals(f"api:{rep}-m1"), f"api:{rep}-m1")), raw=False)
    assert capped[:6] == [1, rep, 5, "meeting.held", 0, 31] and capped[8] == 1  # its original seen
    write(engine, contest, directory, [reversal(rep, raw["id"]) for raw in [*raws, meeting]])
    assert [xp_score(engine, rep, board) for board in boards] == [0] * len(boards)
    assert run(engine, redis.hget(keys.XpKeys().caps("2026-11-03", rep), f"meeting.held|{rep}")) == b"0"
    assert run(engine, redis.hlen(keys.xp_facts(rep, "2026-11"))) == 0
    assert msgpack.unpackb(run(engine, redis.hget(xp_deals(f"api:{rep}-x1"), f"api:{rep}-x1")), raw=False) == [2, 1]
    originals = ["api:" + raw["id"] for raw in raws]
    assert not any(run(engine, redis.hexists(f"{keys.XP_SEEN}:{keys.bucket(key)}", key)) for key in originals)


def test_xp_records_and_dedupe_written_before_compact_records_still_count(engine: Engine) -> None:
    contest, directory, rep = org()
    deal_id = f"{rep}-x1"
    key = f"api:{deal_id}"
    write(engine, contest, directory, [won(rep, deal_id, "50000")])
    month = keys.xp_board("month", "2026-11")
    gained = xp_score(engine, rep, month)
    redis = engine[1].redis
    # x1 as an earlier version recorded it: unbucketed, a map naming its boards and facts keys.
    record = msgpack.unpackb(run(engine, redis.hget(xp_deals(key), key)), raw=False)
    legacy = {"rep": rep, "xp": record[2], "boards": boards_of(won(rep, deal_id, "1")["occurred_at"])}
    legacy.update(cap_key="", cap_field="", facts=keys.xp_facts(rep, "2026-11"))
    run(engine, redis.hdel(xp_deals(key), key))
    run(engine, redis.hset(keys.XP_DEALS, key, msgpack.packb(legacy)))
    run(engine, redis.hdel(f"{keys.XP_SEEN}:{keys.bucket(key)}", key))
    run(engine, redis.hset(keys.XP_SEEN, key, 1))
    upgraded = (engine[0], Store(redis))  # a process started on the earlier version's data
    write(upgraded, contest, directory, [won(rep, deal_id, "50000")])  # seen before: a duplicate
    assert xp_score(engine, rep, month) == gained > 0
    write(upgraded, contest, directory, [reversal(rep, deal_id)])
    assert xp_score(engine, rep, month) == 0
    assert run(engine, redis.hlen(keys.xp_facts(rep, "2026-11"))) == 0


def test_an_original_seen_after_its_reversal_or_update_is_refused_when_it_comes_again(engine: Engine) -> None:
    contest, directory, rep = org()
    reversed_first = reversal(rep, "late-1")
    updated_first = {**won(rep, "upd-2", "9000"), "type": "deal.updated", "ref": "late-2"}
    originals = [won(rep, "late-1", "5000"), won(rep, "late-2", "4000")]
    write(engine, contest, directory, [reversed_first, updated_first])
    for _ in range(3):  # the originals, then twice again: refused, no second line
        write(engine, contest, directory, originals)
    lines, _ = run(engine, engine[1].read_ledger(contest.id, 1, rep))
    assert [(line["event"], line["note"], line["points"]) for line in lines] == [
        ("api:upd-2", "apply", 9),
        ("api:late-1", "reversed_before", 0),
        ("api:late-2", "reversed_before", 0),
    ]
    assert total(engine, contest, rep) == 9


def test_xp_of_an_original_seen_after_its_reversal_or_update_counts_once(engine: Engine) -> None:
    contest, directory, rep = org()
    month = keys.xp_board("month", "2026-11")
    reversed_first = reversal(rep, f"{rep}-late-1")
    updated_first = {**won(rep, f"{rep}-upd", "90000"), "type": "deal.updated", "ref": f"{rep}-late-2"}
    write(engine, contest, directory, [reversed_first, updated_first])
    after_update = xp_score(engine, rep, month)
    originals = [won(rep, f"{rep}-late-1", "5000"), won(rep, f"{rep}-late-2", "4000")]
    for _ in range(3):
        write(engine, contest, directory, originals)
    assert xp_score(engine, rep, month) == after_update > 0
    redis = engine[1].redis
    tomb = msgpack.unpackb(run(engine, redis.hget(xp_deals(f"api:{rep}-late-1"), f"api:{rep}-late-1")), raw=False)
    assert tomb == [2, 1]
    write(engine, contest, directory, [reversal(rep, f"{rep}-late-2")])  # the update's XP goes with the deal
    assert xp_score(engine, rep, month) == 0


def test_xp_capped_out_writes_no_board_and_its_record_still_dedupes_and_reverses(engine: Engine) -> None:
    contest, directory, rep = org()
    moment = (NOW - timedelta(days=2)).isoformat()
    calls = [{"id": f"{rep}-c{i}", "type": "call.logged", "rep": rep, "occurred_at": moment} for i in range(42)]
    write(engine, contest, directory, calls[:40])  # call.logged: 1 XP each, 40 a day
    redis = engine[1].redis
    boards = boards_of(moment)
    seq = run(engine, redis.get(keys.XP_SEQ))
    write(engine, contest, directory, calls[40:])  # past the cap: nothing to add, no board written, no doorbell
    assert [xp_score(engine, rep, board) for board in boards] == [40] * len(boards)
    assert run(engine, redis.get(keys.XP_SEQ)) == seq
    last = f"api:{rep}-c41"
    assert msgpack.unpackb(run(engine, redis.hget(xp_deals(last), last)), raw=False)[2:4] == [0, "call.logged"]
    write(engine, contest, directory, [*calls[40:], reversal(rep, f"{rep}-c41"), reversal(rep, f"{rep}-c0")])
    assert [xp_score(engine, rep, board) for board in boards] == [39] * len(boards)
    cap = run(engine, redis.hget(keys.XpKeys().caps(boards[0].rsplit(":", 1)[1], rep), f"call.logged|{rep}"))
    assert cap == b"39"
    write(engine, contest, directory, [calls[41]])  # its reversal kept its record: the original counts no more
    assert [xp_score(engine, rep, board) for board in boards] == [39] * len(boards)


def test_xp_caps_counted_before_buckets_still_cap_the_day(engine: Engine) -> None:
    contest, directory, rep = org()
    redis = engine[1].redis
    day, field = "2026-11-04", f"call.logged|{rep}"
    bucket, earlier = keys.xp_keys_of(rep).caps(day, rep), f"{keys.xp_keys_of(rep).caps_prefix}{day}"
    board = keys.xp_board("day", day)
    write(engine, contest, directory, [call(rep, f"{rep}-c0")])
    # the day as an earlier version counted it: 38 calls (c0 among them) in the day's single hash, no bucket
    run(engine, redis.hdel(bucket, field))
    run(engine, redis.hset(earlier, field, 38))
    write(engine, contest, directory, [reversal(rep, f"{rep}-c0")])  # taken back from what was counted before
    assert xp_score(engine, rep, board) == 0
    assert run(engine, redis.hget(bucket, field)) == b"37" and not run(engine, redis.hexists(earlier, field))
    write(engine, contest, directory, [call(rep, f"{rep}-c{i}") for i in range(1, 6)])  # call.logged: 40 a day
    assert xp_score(engine, rep, board) == 3
    assert run(engine, redis.hget(bucket, field)) == b"40" and run(engine, redis.ttl(bucket)) > 0
    # Every field new in a batch takes in what the day's single hash counted for it, not only the first one.
    run(engine, redis.hset(earlier, mapping={f"meeting.held|{rep}": 47, f"csat.recorded|{rep}": 19}))
    kinds = ["meeting.held", "csat.recorded"]  # 5 XP up to 50 a day, 2 XP up to 20 a day
    write(engine, contest, directory, [{**call(rep, f"{rep}-{kind}"), "type": kind} for kind in kinds])
    assert xp_score(engine, rep, board) == 3 + 3 + 1
    assert run(engine, redis.hmget(bucket, [f"{kind}|{rep}" for kind in kinds])) == [b"50", b"20"]


def test_deal_counts_and_facts_versions_written_before_the_tally_still_count(engine: Engine) -> None:
    contest, directory, rep = org()
    store, redis = engine[1], engine[1].redis
    home = keys.xp_keys_of(rep)
    write(engine, contest, directory, [won(rep, f"{rep}-d1", "5000")])
    # d1 as an earlier version counted it: in the deal counts and facts versions hashes, no tally
    run(engine, redis.hdel(home.tally(rep), rep))
    run(engine, redis.hset(home.deal_counts, rep, 1))
    run(engine, redis.hset(home.facts_version, rep, 1))
    (before,) = run(engine, store.read_badge_standings([(rep, ["2026-11"])]))
    assert before.lifetime == 1 and [fact.deal for fact in before.facts] == [f"api:{rep}-d1"]
    write(engine, contest, directory, [won(rep, f"{rep}-d2", "6000"), reversal(rep, f"{rep}-d1")])
    (after,) = run(engine, store.read_badge_standings([(rep, ["2026-11"])]))
    assert after.lifetime == 1 and [fact.deal for fact in after.facts] == [f"api:{rep}-d2"]
    assert after.version != before.version
    assert run(engine, store.sync_badges([BadgeSync(rep, before.version)])) == [None]  # judged on older facts
    assert run(engine, store.sync_badges([BadgeSync(rep, after.version)])) == [0]
    write(engine, contest, directory, [reversal(rep, f"{rep}-d2")])
    (last,) = run(engine, store.read_badge_standings([(rep, ["2026-11"])]))
    assert last.lifetime == 0 and last.facts == [] and last.version not in (before.version, after.version)


def test_xp_records_of_a_long_rep_id_read_back(engine: Engine) -> None:
    contest, _, short = org()
    rep = short + "-" + "x" * 40  # past a msgpack fixstr (31 bytes)
    directory = Directory(reps={rep: Rep(rep, "Ann", "t1")}, teams={"t1": Team("t1", "East")})
    write(engine, contest, directory, [won(rep, f"{rep}-d1", "250000")])  # 260 XP: past a one-byte integer
    key = f"api:{rep}-d1"
    record = msgpack.unpackb(run(engine, engine[1].redis.hget(xp_deals(key), key)), raw=False)
    assert record == [1, rep, 260, "", 1, 31, "2026-11-03", "2026-W45", 1]
    month = keys.xp_board("month", "2026-11")
    assert xp_score(engine, rep, month) == 260
    write(engine, contest, directory, [reversal(rep, f"{rep}-d1")])
    assert xp_score(engine, rep, month) == 0


def test_the_write_script_finds_a_reps_bucket_as_the_store_names_it(engine: Engine) -> None:
    """A correction may take a deal back from another rep than the one it names: the script finds that rep's caps
    and tally itself."""
    reps = ["a", "E00017", "E00018", "rep-0", "bench-t3-r7", "销售-王", "x" * 300, *(f"rep-{n}" for n in range(50))]
    library = "\n".join(lua_part(part) for part in ("xp_constants", "xp_records"))
    each = "local found = {}\nfor i, rep in ipairs(ARGV) do found[i] = xp_rep_bucket(rep) end\nreturn found"
    source = f"{library}\n{each}"
    found = run(engine, engine[1].redis.eval(source, 0, *reps))
    assert [bucket.decode() for bucket in found] == [keys.xp_rep_bucket(rep) for rep in reps]
    assert len(set(found)) > keys.XP_REP_BUCKETS // 2


def test_xp_record_of_an_event_a_cap_cut_keeps_what_was_applied(engine: Engine) -> None:
    contest, directory, rep = org()
    day = "2026-11-04"
    meetings = [{**call(rep, f"{rep}-m{i}"), "type": "meeting.held"} for i in range(11)]  # 5 XP each, 50 a day
    run(engine, engine[1].redis.hset(keys.xp_keys_of(rep).caps(day, rep), f"meeting.held|{rep}", 2))
    write(engine, contest, directory, meetings[:10])  # 2 counted already: the tenth gets 3 of its 5
    key = f"api:{rep}-m9"
    record = msgpack.unpackb(run(engine, engine[1].redis.hget(xp_deals(key), key)), raw=False)
    assert record == [1, rep, 3, "meeting.held", 0, 31, day, "2026-W45", 1]
    board = keys.xp_board("day", day)
    assert xp_score(engine, rep, board) == 48
    write(engine, contest, directory, [reversal(rep, f"{rep}-m9")])
    assert xp_score(engine, rep, board) == 45


def test_an_event_of_two_rules_is_recorded_and_ledgered_with_both_and_undone_exactly(engine: Engine) -> None:
    """The script packs a record and a ledger line around the fields the store packed (deal_records.lua): the
    array's length, each hit and the customer and currency read back, and the record undoes both rules."""
    contest, directory, rep = org({"on": "deal.won", "points": 7, "cap_per_day": 10})
    deal = {**won(rep, "big", "5000"), "customer": "客户 X", "currency": "CNY"}
    write(engine, contest, directory, [deal])
    assert total(engine, contest, rep) == 12
    undo = {"id": "undo-big", "type": "deal.reversed", "rep": rep, "ref": "big", "occurred_at": NOW.isoformat()}
    write(engine, contest, directory, [undo])
    assert total(engine, contest, rep) == 0
    applied, undone = run(engine, engine[1].read_ledger(contest.id, 1, rep))[0]
    assert {key: applied[key] for key in ("event", "points", "note", "deal", "amount", "customer", "cur", "v")} == {
        "event": "api:big",
        "points": 12,
        "note": "apply",
        "deal": "api:big",
        "amount": "5000",
        "customer": "客户 X",
        "cur": "CNY",
        "v": 1,
    }
    assert applied["hits"] == [[0, 5, "", 5, 0], [2, 7, "", 7, 10]]
    assert (undone["note"], undone["points"], undone["deal"], undone["hits"]) == ("undo", -12, "api:big", [])


def test_the_contest_script_finds_a_reps_total_as_the_store_names_it(engine: Engine) -> None:
    """The store names the event's rep's total bucket; a reversal may take a deal back from another rep, whose
    bucket the script hashes itself: both name the same one."""
    reps = ["a", "E00017", "E00018", "rep-0", "bench-t3-r7", "销售-王", "x" * 300, *(f"rep-{n}" for n in range(50))]
    library = "\n".join(lua_part(part) for part in SCRIPT_LIBRARIES["apply_contest"])
    keys_with_totals = "{'', '', 'T'}"  # the script's KEYS[3]: the totals' prefix
    each = f"local found = {{}}\nfor i, rep in ipairs(ARGV) do found[i] = totals_of({keys_with_totals}, false, rep) end"
    each += "\nreturn found"
    found = run(engine, engine[1].redis.eval(f"{library}\n{each}", 0, *reps))
    assert [bucket.decode() for bucket in found] == [f"T:{keys.rep_total_bucket(rep)}" for rep in reps]
    assert len(set(found)) > keys.REP_TOTAL_BUCKETS // 2
