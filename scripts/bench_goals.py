"""Goal progress and scorecards on a big event log: re-reading the log per request against the month sums kept as
the log grows (``game/period_totals.py``).

    python -m scripts.bench_goals [--events 100000] [--reps 200] [--requests 20]

Method. A Redis of its own (EmbeddedRedis) gets ``--events`` log entries spread over this year up to now (won
deals with amounts and customers, lost deals, calls, surveys, and one refund or update in twenty), written
straight into the log stream as ingest writes them. Then, on the same log:

- *re-read*, what every request did before: the log read from the period's start (the year's, for a year
  goal; a year before the month, for a scorecard), what stands replayed, and every rep's goal summed;
- *sums*: the first request, which feeds the whole log into the sums once, then ``--requests`` requests that
  each follow one new event: the new entry read after the position reached, fed, and every goal answered;
- *warmed*: the sums fed at start in steps of ``WARM_BATCH`` events, as the server's warm-up does, then the
  first request, which finds them fed;
- *memory*: what a ``PeriodTotals`` fed the whole log keeps (tracemalloc), in all and per event.

Medians of a few runs; the machine is shared, so compare the ratios. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from game import keys, log_record
from game.deal_history import deal_history
from game.events import Event
from game.goals import Goal, metric_totals, periods_containing
from game.kpis import facts_by_rep_and_team, lookback_start
from game.lift import Period
from game.period_totals import PeriodTotals, goal_actuals
from server.embedded_redis import EmbeddedRedis
from server.services.event_log_store import EventLogStore
from server.services.period_totals import WARM_BATCH

ZONE = ZoneInfo("Asia/Shanghai")
CURRENCY = "CNY"
BATCH = 2000


def make_event(rng: random.Random, number: int, reps: int, start: datetime, now: datetime) -> Event:
    occurred = start + (now - start) * rng.random()
    rep = f"rep-{rng.randrange(reps)}"
    kind = rng.choices(("deal.won", "deal.lost", "call.logged", "csat.recorded", "deal.reversed", "deal.updated"),
                       (40, 15, 30, 10, 3, 2))[0]  # fmt: skip
    fields: dict[str, Any] = {"id": f"e{number}", "type": kind, "rep": rep, "occurred_at": occurred, "received_at": now}
    if kind in ("deal.won", "deal.lost", "deal.updated"):
        fields.update(amount=Decimal(rng.randrange(1_000, 200_000)), currency=CURRENCY)
        fields["customer"] = f"c{rng.randrange(reps * 5)}"
    if kind in ("deal.reversed", "deal.updated"):
        fields["ref"] = f"e{rng.randrange(max(1, number))}"
    if kind == "csat.recorded":
        fields["attrs"] = {"score": rng.randrange(1, 6)}
    return Event(**fields)


async def write_log(redis: Redis, count: int, reps: int, now: datetime) -> None:
    rng = random.Random(7)
    start = datetime(now.astimezone(ZONE).year, 1, 1, tzinfo=ZONE)
    events = sorted((make_event(rng, n, reps, start, now) for n in range(count)), key=lambda e: e.occurred_at)
    for first in range(0, count, BATCH):
        pipe = redis.pipeline(transaction=False)
        for number, event in enumerate(events[first : first + BATCH], first):
            received = event.occurred_at + timedelta(seconds=30)
            name, packed = log_record.pack_event(replace(event, received_at=received))
            pipe.xadd(keys.event_log(0), {name: packed}, id=f"{int(received.timestamp() * 1000)}-{number}")
        await pipe.execute()


async def timed(work: Callable[[], Awaitable[Any]], runs: int) -> float:
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        await work()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds)


async def memory_of_sums(log: EventLogStore, since: datetime) -> int:
    """The bytes a ``PeriodTotals`` fed the whole log keeps (what tracemalloc sees allocated and not freed while it
    is fed: the events read are allocated before tracing starts)."""
    _, events = await log.read_after(since, None)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        totals = PeriodTotals(ZONE, CURRENCY).feed_all(events)
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del totals
    return retained


async def loop_lag(stop: asyncio.Event, lags: list[float]) -> None:
    """How late a 5 ms timer fires while other work runs: what a request arriving meanwhile would wait."""
    while not stop.is_set():
        due = time.perf_counter() + 0.005
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - due)


async def warmed_first_request(
    log: EventLogStore, since: datetime, goals: list[Goal]
) -> tuple[float, float, float, float]:
    """The warm-up as ``server/services/period_totals.py`` runs it at start (``WARM_BATCH`` events read, then fed in
    a worker thread, step by step), then the first request: seconds for the whole warm-up, the event loop's longest
    lag meanwhile, its longest lag when idle, and the request's."""
    totals = PeriodTotals(ZONE, CURRENCY)
    position: str | None = None
    stop, lags = asyncio.Event(), [0.0]
    ticker = asyncio.create_task(loop_lag(stop, lags))
    began = time.perf_counter()
    while True:
        position, events = await log.read_after(since, position, WARM_BATCH)
        await asyncio.to_thread(totals.feed_all, events)
        if len(events) < WARM_BATCH:
            break
    warm = time.perf_counter() - began
    stop.set()
    await ticker
    idle: list[float] = [0.0]  # the same timer with nothing else to do: what the machine's load alone adds
    stop = asyncio.Event()
    ticker = asyncio.create_task(loop_lag(stop, idle))
    await asyncio.sleep(2)
    stop.set()
    await ticker
    request = time.perf_counter()
    _, events = await log.read_after(since, position)
    totals.feed_all(events)
    goal_actuals(totals, goals, {})
    return warm, max(lags), max(idle), time.perf_counter() - request


def rep_goals(reps: int, today: datetime) -> list[Goal]:
    periods = periods_containing(today.astimezone(ZONE).date())
    return [Goal(f"g{r}-{p}", "revenue", p, "rep", f"rep-{r}", 1_000_000) for r in range(reps) for p in periods]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    embedded = EmbeddedRedis().start()
    redis = Redis.from_url(embedded.url)
    try:
        now = datetime.now(UTC)
        await write_log(redis, args.events, args.reps, now - timedelta(minutes=5))
        log = EventLogStore(redis)
        local = now.astimezone(ZONE)
        year = datetime(local.year, 1, 1, tzinfo=ZONE)
        month = datetime(local.year, local.month, 1, tzinfo=ZONE)
        after = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=ZONE)
        this_month = Period(month, after)
        goals = rep_goals(args.reps, now)

        async def reread_goals() -> None:
            standing = list(deal_history(await log.read_events(year)).standing.values())
            metric_totals("revenue", [e for e in standing if e.occurred_at >= year], CURRENCY)

        async def reread_scorecard() -> None:
            events = await log.read_events(lookback_start(this_month))
            facts_by_rep_and_team(events, this_month, CURRENCY, {})

        totals = PeriodTotals(ZONE, CURRENCY)
        position: list[str | None] = [None]

        async def follow() -> None:
            position[0], events = await log.read_after(year, position[0])
            totals.feed_all(events)
            goal_actuals(totals, goals, {})

        def scorecard_from_sums() -> None:
            months = totals.clock.months_between(this_month.start, this_month.end)
            assert months is not None
            totals.facts_by_rep_and_team(months, int(lookback_start(this_month).timestamp()), {})

        retained = await memory_of_sums(log, year)
        reread = await timed(reread_goals, args.runs)
        reread_card = await timed(reread_scorecard, args.runs)
        first = await timed(follow, 1)
        warm, lag, idle_lag, after_warm = await warmed_first_request(log, year, goals)
        rng = random.Random(11)
        per_request = []
        for number in range(args.requests):
            event = make_event(rng, args.events + number, args.reps, month, now)
            name, packed = log_record.pack_event(event)
            await redis.xadd(keys.event_log(0), {name: packed})
            per_request.append(await timed(follow, 1))
        card_from_sums = await timed(lambda: asyncio.to_thread(scorecard_from_sums), args.runs)
        follow_s = statistics.median(per_request)
        return {
            "events": args.events,
            "reps": args.reps,
            "goals": len(goals),
            "reread_goals_ms": round(reread * 1000, 1),
            "reread_scorecard_ms": round(reread_card * 1000, 1),
            "sums_first_build_ms": round(first * 1000, 1),
            "sums_per_request_ms": round(follow_s * 1000, 2),
            "warm_up_ms": round(warm * 1000, 1),
            "warm_up_loop_lag_ms": round(lag * 1000, 1),
            "idle_loop_lag_ms": round(idle_lag * 1000, 1),
            "first_request_after_warm_up_ms": round(after_warm * 1000, 2),
            "sums_scorecard_ms": round(card_from_sums * 1000, 2),
            "speedup_goals": round(reread / follow_s, 1),
            "sums_memory_mb": round(retained / 2**20, 1),
            "sums_bytes_per_event": round(retained / args.events),
        }
    finally:
        await redis.aclose()
        embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    figures = asyncio.run(run(parser.parse_args()))
    print(f"re-read per request: goals {figures['reread_goals_ms']} ms, scorecard {figures['reread_scorecard_ms']} ms")
    print(f"sums: first build {figures['sums_first_build_ms']} ms, then {figures['sums_per_request_ms']} ms a request")
    print(
        f"warmed at start: {figures['warm_up_ms']} ms (the event loop late by at most"
        f" {figures['warm_up_loop_lag_ms']} ms; {figures['idle_loop_lag_ms']} ms when idle), then the first request"
        f" {figures['first_request_after_warm_up_ms']} ms"
    )
    print(f"sums' memory: {figures['sums_memory_mb']} MB, {figures['sums_bytes_per_event']} bytes an event")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
