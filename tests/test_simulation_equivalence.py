"""The in-memory replay (game/contest_replay.py) ends with exactly the boards the Lua write script builds in Redis
for the same events in the same order: random histories with caps, reversals before their originals,
repeated updates, duplicates, events outside the window or the contest's teams, and every team mode; and
provisional points (deals confirmed by a payment, expiring or confirmed automatically, settled by the events
that touch them and by the scheduler's sweep)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from game import keys
from game.adjustments import adjustment_event
from game.contest_replay import ContestReplay
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.errors import Collector
from game.events import Event, parse_event
from game.log_event import LogEvent
from game.ranking import TIME_SPAN
from game.replay_points import compile_rule, exact_points
from game.rosters import regroup
from game.rules import parse_rule
from game.scoring import decide, rule_points, settlement
from game.simulation import replay
from game.store import Plan, Store
from server.embedded_redis import EmbeddedRedis

REPS = [f"r{i}" for i in range(7)]
DIRECTORY = Directory(
    reps={
        **{rep: Rep(rep, rep.upper(), f"t{i % 2}") for i, rep in enumerate(REPS[:5])},
        "r5": Rep("r5", "R5", "t0", active=False),  # scores, but is not on the roster
        "r6": Rep("r6", "R6", "t2"),  # a team outside the contest
    },
    teams={"t0": Team("t0", "East"), "t1": Team("t1", "North"), "t2": Team("t2", "West")},
)
START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 10, 20, tzinfo=UTC)
NOW = datetime(2026, 11, 1, tzinfo=UTC)

BASE = {
    "name": "equivalence",
    "starts_at": START.isoformat(),
    "ends_at": END.isoformat(),
    "teams": ["t0", "t1"],
    "multipliers": {"category": {"hi": "1.5", "odd": "0.3333"}},
    "rules": [
        {"on": "deal.won", "points_per": 1000, "points": 1},
        {"on": "deal.won", "points_per": 3, "multipliers": {"category": {"hi": 3}}, "min_amount": 100},
        {"on": "deal.won", "points": 20, "new_customer_only": True, "cap_per_day": 30},
        {"on": "call.logged", "points": 2, "cap_per_day": 5},
        {"on": "meeting.held", "points": 7, "cap_per_day": 10, "category": ["onsite"]},
    ],
}
# Daily caps per working day (game/cap_days.py): weekends off but the first Saturday (a make-up day), and the
# first Wednesday a holiday; a day off counts against the cap of the working day before it.
SPAN = [(START + timedelta(days=n)).date() for n in range((END - START).days)]
MAKE_UP = next(day for day in SPAN if day.weekday() == 5)
HOLIDAY = next(day for day in SPAN if day.weekday() == 2)
DAYS_OFF = sorted(day.isoformat() for day in SPAN if (day.weekday() >= 5 and day != MAKE_UP) or day == HOLIDAY)
VARIANTS = [
    {"team_score": "sum"},
    {"team_score": "average", "cap_days": "working", "days_off": DAYS_OFF},
    {"team_score": "average"},
    {"team_score": "best:2", "divisions": {"rookies": ["r0", "r3"], "veterans": ["r1", "r2", "r4"]}},
    {"team_score": "sum", "scoring": "percent_of_target", "targets": {"r0": 500, "r1": 37}, "default_target": 900},
    {"team_score": "best:2", "confirm": {"on": "deal.paid", "within_days": 3}},
    {"team_score": "average", "confirm": {"on": "deal.paid", "within_days": 5, "auto_after_days": 2}},
    {
        "team_score": "sum",
        "scoring": "percent_of_target",
        "default_target": 700,
        "confirm": {"on": "deal.paid", "within_days": 4},
    },
]
ARRIVAL_STEP = timedelta(hours=7)  # events arrive one after another, so provisional deals come due on the way


def make_contest(variant: int, contest_id: str | None = None) -> Contest:
    definition = {**BASE, **VARIANTS[variant], "id": contest_id or uuid.uuid4().hex}
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


deals = st.tuples(
    st.just("deal"),
    st.sampled_from(REPS),
    st.one_of(st.integers(0, 400_000), st.sampled_from([1, 2, 99, 100, 333, 999, 1000, 2999])),
    st.integers(-2, 22),  # days from the start: some before, some after the window
    st.sampled_from(["hi", "lo", "odd", None]),
    st.booleans(),
    st.sampled_from(["CNY", "CNY", "USD"]),
)
activities = st.tuples(
    st.sampled_from(["call", "meeting"]), st.sampled_from(REPS), st.integers(0, 4), st.integers(0, 23)
)
# accepted disputes: points either way, in this contest or another one, sometimes dated outside the window
adjustments = st.tuples(
    st.just("adjust"),
    st.sampled_from(REPS),
    st.integers(-60, 60).filter(bool),
    st.integers(-1, 20),
    st.sampled_from(["this", "this", "other"]),
)


@st.composite
def histories(draw: st.DrawFn) -> list[dict]:
    """Raw events in arrival order: deals and activities, then corrections interleaved anywhere."""
    base = draw(st.lists(st.one_of(deals, activities, adjustments), min_size=1, max_size=40))
    events: list[dict] = []
    deal_ids: list[tuple[str, str]] = []
    for index, op in enumerate(base):
        if op[0] == "deal":
            _, rep, amount, day, category, new, currency = op
            event = {
                "id": f"d{index}",
                "type": "deal.won",
                "rep": rep,
                "amount": str(amount),
                "currency": currency,
                "occurred_at": (START + timedelta(days=day, hours=index % 24, seconds=index)).isoformat(),
                "new_customer": new,
            }
            if category:
                event["category"] = category
            deal_ids.append((event["id"], rep))
        elif op[0] == "adjust":
            _, rep, points, day, contest = op
            at = (START + timedelta(days=day, hours=index % 24)).isoformat()
            event = {"id": f"adj{index}", "_adjust": (contest, points), "rep": rep, "occurred_at": at}
        else:
            kind, rep, day, hour = op
            event = {
                "id": f"a{index}",
                "type": "call.logged" if kind == "call" else "meeting.held",
                "rep": rep,
                "occurred_at": (START + timedelta(days=day, hours=hour)).isoformat(),
                "category": "onsite",
            }
        events.append(event)
    if deal_ids:
        # payments confirm some deals (a few before their deal arrives, some twice, some too late)
        for n, target in enumerate(draw(st.lists(st.sampled_from(range(len(deal_ids))), max_size=len(deal_ids) + 2))):
            deal_id, rep = deal_ids[target]
            payment = {"id": f"pay{n}", "type": "deal.paid", "rep": rep, "ref": deal_id}
            events.insert(draw(st.integers(0, len(events))), payment)
        corrections = draw(st.lists(st.sampled_from(range(len(deal_ids))), max_size=len(deal_ids) + 3))
        for n, target in enumerate(corrections):
            deal_id, rep = deal_ids[target]
            if draw(st.booleans()):
                correction = {"id": f"rev{n}", "type": "deal.reversed", "rep": rep, "ref": deal_id}
            else:
                correction = {
                    "id": f"upd{n}",
                    "type": "deal.updated",
                    "rep": rep,
                    "ref": deal_id,
                    "amount": str(draw(st.integers(0, 300_000))),
                    "occurred_at": (START + timedelta(days=draw(st.integers(-1, 21)))).isoformat(),
                }
            events.insert(draw(st.integers(0, len(events))), correction)
    # a rep moved team mid-month: their later events carry the new team (as ingest records it)
    for moved in draw(st.lists(st.sampled_from(range(len(events))), max_size=4)):
        events[moved] = {**events[moved], "_team": draw(st.sampled_from(["t0", "t1", "t2"]))}
    # a few duplicates anywhere (the log never holds them, the script and the replay both ignore them)
    for duplicate in draw(st.lists(st.sampled_from(range(len(events))), max_size=3)):
        events.insert(draw(st.integers(0, len(events))), dict(events[duplicate]))
    return events


def parse_all(raws: list[dict], contest_id: str = "this") -> list[Event]:
    """The events as ingest logs them, arriving one ``ARRIVAL_STEP`` apart (adjustments as the dispute service
    makes them, "this" standing for the contest under test)."""

    def parsed(raw: dict) -> Event:
        team = raw.get("_team", DIRECTORY.reps[raw["rep"]].team)
        if "_adjust" in raw:
            contest, points = raw["_adjust"]
            at = datetime.fromisoformat(raw["occurred_at"])
            return adjustment_event(
                dispute=raw["id"],
                contest=contest_id if contest == "this" else contest,
                rep=raw["rep"],
                team=team,
                points=points,
                occurred_at=at,
                now=NOW,
            )
        fields = {k: v for k, v in raw.items() if k != "_team"}
        return replace(parse_event(fields, now=NOW, default_currency="CNY"), team=team)

    return [replace(parsed(raw), received_at=START + index * ARRIVAL_STEP) for index, raw in enumerate(raws)]


@pytest.fixture(scope="module")
def engine(redis_server: EmbeddedRedis):  # type: ignore[no-untyped-def]
    loop = asyncio.new_event_loop()
    redis = Redis.from_url(redis_server.url)
    store = Store(redis)
    yield loop, store
    loop.run_until_complete(redis.aclose())
    loop.close()


async def write_live(store: Store, contest: Contest, events: list[Event]) -> None:
    """What the server does: the roster on the boards and the team rosters, then each event's changes through
    the Lua script."""
    reps = [r.id for r in DIRECTORY.reps.values() if r.active and contest.includes(r.id, r.team)]
    teams = [t for t in DIRECTORY.teams if contest.teams is None or t in contest.teams]
    divisions = {rep: d for rep in reps if (d := contest.division_of(rep))}
    await store.ensure_members(contest.id, contest.epoch, reps, teams, divisions, ring=False)
    await store.regroup_teams([regroup(contest, DIRECTORY, quiet=True)])
    plans = [Plan(event, decide(event, [contest], DIRECTORY)) for event in events]
    for start in range(0, len(plans), 5):
        await store.write_events(plans[start : start + 5], log=False)


async def sweep_live(store: Store, contest: Contest) -> None:
    """The scheduler's sweep: every provisional deal whose moment has come is settled."""
    due = await store.due_deals(contest.id, contest.epoch, NOW)
    await store.apply_changes([settlement(contest, deal, NOW) for deal in due])


async def read_live(store: Store, contest: Contest) -> dict:
    k = keys.ContestKeys(contest.id, contest.epoch)
    redis = store.redis

    def rows(raw: list) -> list[tuple[str, int]]:
        return [(member.decode(), int(score)) for member, score in raw]

    divisions = {
        name: rows(await redis.zrevrange(k.division_board(name), 0, -1, withscores=True))
        for name in sorted(contest.divisions)
    }
    return {
        "reps": rows(await redis.zrevrange(k.rep_board, 0, -1, withscores=True)),
        "teams": rows(await redis.zrevrange(k.team_board, 0, -1, withscores=True)),
        "divisions": {name: board for name, board in divisions.items() if board},
        "rep_totals": await store.rep_totals(contest.id, contest.epoch),
        "team_totals": {m.decode(): int(v) for m, v in (await redis.hgetall(k.team_totals)).items()},
        "rep_provisional": await numbers(redis, k.rep_provisional),
        "team_provisional": await numbers(redis, k.team_provisional),
        "rep_pending": {rep: n for rep, n in (await numbers(redis, k.rep_pending)).items() if n},
        "pending": {m.decode(): int(v) for m, v in await redis.zrange(k.pending, 0, -1, withscores=True)},
    }


async def numbers(redis: Redis, key: str) -> dict[str, int]:
    return {m.decode(): int(v) for m, v in (await redis.hgetall(key)).items()}


def read_replay(scorer: ContestReplay) -> dict:
    scorer.settle()

    def rows(board: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(board.items(), key=lambda item: (item[1], item[0]), reverse=True)

    return {
        "reps": rows(scorer.rep_board),
        "teams": rows(scorer.team_board),
        "divisions": {name: rows(board) for name, board in sorted(scorer.division_boards.items()) if board},
        "rep_totals": scorer.rep_totals,
        "team_totals": scorer.team_totals,
        "rep_provisional": scorer.rep_provisional,
        "team_provisional": scorer.team_provisional,
        "rep_pending": {rep: n for rep, n in scorer.rep_pending.items() if n},
        "pending": scorer.pending,
    }


EQUIVALENCE = settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@EQUIVALENCE
@given(history=histories(), variant=st.integers(0, len(VARIANTS) - 1))
def test_replay_builds_the_boards_the_write_script_builds(engine, history: list[dict], variant: int) -> None:  # type: ignore[no-untyped-def]
    loop, store = engine
    contest = make_contest(variant)
    events = parse_all(history, contest.id)
    loop.run_until_complete(write_live(store, contest, events))
    live = loop.run_until_complete(read_live(store, contest))
    loop.run_until_complete(sweep_live(store, contest))
    swept = loop.run_until_complete(read_live(store, contest))

    fast = ContestReplay(contest, DIRECTORY)
    for event in events:
        fast.feed(LogEvent.from_event(event))
    reference = ContestReplay(contest, DIRECTORY)
    for event in events:
        for change in decide(event, [contest], DIRECTORY):
            reference.apply(change)

    assert read_replay(fast) == live
    assert read_replay(reference) == live
    fast.settle_due(NOW)
    reference.settle_due(NOW)
    assert read_replay(fast) == swept
    assert read_replay(reference) == swept


@st.composite
def histories_with_moves(draw: st.DrawFn) -> tuple[list[dict], list[tuple[int, str, str, bool]]]:
    """A history and directory changes among its events: (events before it, rep, new team, still active)."""
    history = draw(histories())
    change = st.tuples(
        st.integers(0, len(history)), st.sampled_from(REPS), st.sampled_from(["t0", "t1", "t2"]), st.booleans()
    )
    return history, draw(st.lists(change, min_size=1, max_size=6))


def changed(directory: Directory, rep: str, team: str, active: bool) -> Directory:
    return Directory(
        reps={**directory.reps, rep: replace(directory.reps[rep], team=team, active=active)}, teams=directory.teams
    )


async def write_live_with_moves(
    store: Store, contest: Contest, events: list[Event], changes: list[tuple[int, str, str, bool]]
) -> tuple[list[Event], Directory]:
    """What the server does when reps move team or leave between events: each event is decided with the
    directory of its moment and carries the team of that moment; each change regroups the teams at once.
    Returns the events as logged and the directory at the end."""
    directory = DIRECTORY
    await store.regroup_teams([regroup(contest, directory, quiet=True)])
    logged: list[Event] = []
    for index, event in enumerate(events):
        for _at, rep, team, active in (c for c in changes if c[0] == index):
            directory = changed(directory, rep, team, active)
            await store.regroup_teams([regroup(contest, directory)])
        stamped = replace(event, team=directory.reps[event.rep].team)
        logged.append(stamped)
        await store.write_events([Plan(stamped, decide(stamped, [contest], directory))], log=False)
    for _at, rep, team, active in (c for c in changes if c[0] >= len(events)):
        directory = changed(directory, rep, team, active)
        await store.regroup_teams([regroup(contest, directory)])
    return logged, directory


@EQUIVALENCE
@given(moved=histories_with_moves(), variant=st.integers(0, len(VARIANTS) - 1))
def test_teams_regrouped_after_moves_score_as_the_replay_with_the_final_directory(  # type: ignore[no-untyped-def]
    engine, moved: tuple[list[dict], list[tuple[int, str, str, bool]]], variant: int
) -> None:
    """Points stay with the team they were earned for; sizes, best-N members and targets follow the roster
    of the moment, so after any moves the live team board is the one a replay with today's directory builds."""
    loop, store = engine
    history, changes = moved
    contest = make_contest(variant)
    logged, directory = loop.run_until_complete(write_live_with_moves(store, contest, parse_all(history), changes))
    live = loop.run_until_complete(read_live(store, contest))

    scorer = ContestReplay(contest, directory)
    for event in logged:
        scorer.feed(LogEvent.from_event(event))
    replayed = read_replay(scorer)
    assert replayed["teams"] == live["teams"]
    assert replayed["team_totals"] == live["team_totals"]
    assert replayed["rep_totals"] == live["rep_totals"]


@EQUIVALENCE
@given(history=histories(), variant=st.integers(0, len(VARIANTS) - 1))
def test_replay_ranks_like_the_live_board(history: list[dict], variant: int) -> None:
    contest = make_contest(variant)
    events = [LogEvent.from_event(e) for e in parse_all(history, contest.id)]
    boards = replay(contest, events, DIRECTORY, received_before=NOW + timedelta(seconds=1))
    scorer = ContestReplay(contest, DIRECTORY)
    for event in events:
        scorer.feed(event)
    scorer.settle_due(NOW + timedelta(seconds=1))
    scorer.settle()
    order = sorted(scorer.rep_board.items(), key=lambda item: (item[1], item[0]), reverse=True)
    assert [row.id for row in boards.reps] == [rep for rep, _ in order]
    assert [row.score for row in boards.reps] == [composite // TIME_SPAN for _, composite in order]
    for above, below in zip(boards.reps, boards.reps[1:], strict=False):
        assert above.rank == below.rank if above.score == below.score else above.rank < below.rank
    # what stands at the end, split by day, adds up to each rep's exact points
    for rep, total in boards.points.items():
        split = sum(sum(days.values()) for (_team, member), days in boards.contributions.items() if member == rep)
        assert split == total


amounts = st.decimals(min_value=0, max_value=10**12, places=4, allow_nan=False, allow_infinity=False)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(
    amount=st.one_of(amounts, st.sampled_from([Decimal(1), Decimal("0.0001"), Decimal(10**12), Decimal("999.9999")])),
    per=st.one_of(st.decimals(min_value="0.0001", max_value=10**6, places=4), st.sampled_from(["3", "7", "0.0003"])),
    flat=st.integers(0, 1_000_000),
    factor=st.one_of(st.decimals(min_value=0, max_value=100, places=4), st.sampled_from(["3", "0.3333", "1.5", "0"])),
    currency=st.sampled_from(["CNY", "USD"]),
)
def test_integer_points_equal_decimal_points(
    amount: Decimal, per: Decimal, flat: int, factor: Decimal, currency: str
) -> None:
    errors = Collector()
    rule = parse_rule(
        {"on": "deal.won", "points": flat, "points_per": str(per), "multipliers": {"category": {"x": str(factor)}}},
        errors,
    )
    assert rule is not None and not errors.errors
    contest = make_contest(0)
    event = Event(
        id="e", type="deal.won", rep="r0", occurred_at=START, received_at=START,
        amount=amount, currency=currency, category="x",
    )  # fmt: skip
    assert exact_points(compile_rule(0, rule), amount, currency == "CNY", "x") == rule_points(rule, event, contest)


def test_a_third_of_a_point_times_three_is_decided_by_decimal() -> None:
    errors = Collector()
    rule = parse_rule({"on": "deal.won", "points_per": 3, "multipliers": {"category": {"x": 3}}}, errors)
    assert rule is not None
    event = Event(
        id="e", type="deal.won", rep="r0", occurred_at=START, received_at=START,
        amount=Decimal(1), currency="CNY", category="x",
    )  # fmt: skip
    # exact arithmetic says 1 point; Decimal (and so the live engine) says 0.999…9 → 0
    assert rule_points(rule, event, make_contest(0)) == 0
    assert exact_points(compile_rule(0, rule), Decimal(1), True, "x") == 0
