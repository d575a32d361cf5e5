"""Benchmark the pre-launch simulator: a quarter of activity for 500 reps (≈300k events) through the pure replay.

    .venv/bin/python -m scripts.bench_simulate                # 500 reps, 300,000 events, 91 days
    .venv/bin/python -m scripts.bench_simulate --events 50000 --reps 100

The log is generated with ``scripts.simulator.Simulator`` (seeded), shaped exactly as the server logs events
(``parse_event`` → ``Event.to_record`` → msgpack) and then timed in the phases a ``POST
/api/v1/contests/simulate`` runs: decoding the entries, replaying them through a draft contest, and the report
(spread, prize chances from 200 resampled periods, prize cost). With ``--redis`` the entries are first
written to a private redis-server's event log and read back with the server's own reader
(``server.insights.read_events``: XRANGE in batches, decoded as they arrive) instead of decoded from memory.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgpack

from game.contests import parse_contest
from game.directory import Directory, Rep, Team
from game.errors import Collector
from game.events import parse_event
from game.fairness import prize_values, summarize
from game.log_event import LogEvent
from game.simulation import paused_gc, replay
from scripts.simulator import Simulator

TARGET_SECONDS = 10.0


class FastSimulator(Simulator):
    """The same events as ``Simulator`` (same seed, same draws), with the rep weights accumulated once."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._population = list(self.reps)
        self._cumulative = list(itertools.accumulate(self.skill[r] for r in self._population))

    def _rep(self) -> str:
        return self.random.choices(self._population, cum_weights=self._cumulative)[0]


def make_log(reps: int, events: int, days: int, seed: int, zone: ZoneInfo) -> tuple[list[bytes], Directory, datetime]:
    teams = [f"team-{t:02d}" for t in range(max(1, reps // 20))]
    rep_ids = [f"{teams[i % len(teams)]}-{i:04d}" for i in range(reps)]
    directory = Directory(
        reps={rep: Rep(rep, f"Rep {rep}", rep.rsplit("-", 1)[0]) for rep in rep_ids},
        teams={team: Team(team, team) for team in teams},
    )
    start = datetime(2026, 7, 1, tzinfo=zone)
    raws = FastSimulator(rep_ids, seed=seed).events(events, start, timedelta(days=days))
    log = []
    for raw in raws:
        arrived = datetime.fromisoformat(raw["occurred_at"])
        event = parse_event(raw, now=arrived, default_currency="CNY")
        log.append(msgpack.packb(replace(event, team=directory.reps[event.rep].team).to_record()))
    return log, directory, start


def draft(start: datetime, days: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": "bench",
        "name": "季度销冠赛",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=days)).isoformat(),
        "team_score": "average",
        "multipliers": {"category": {"high_margin": 1.5}},
        "rules": [
            {"on": "deal.won", "points_per": 1000},
            {"on": "deal.won", "points": 20, "new_customer_only": True},
            {"on": "call.logged", "points": 1, "cap_per_day": 40},
            {"on": "meeting.held", "points": 5, "cap_per_day": 50},
        ],
        "prizes": [
            {"rank": 1, "prize": "¥20,000 奖金", "value": 20000},
            {"rank": [2, 3], "prize": "¥8,000 奖金", "value": 8000},
            {"rank": [4, 10], "prize": "¥2,000 奖金", "value": 2000},
            {"rank": 1, "board": "teams", "prize": "团队旅游", "value": 30000},
        ],
        **extra,
    }


def read_from_redis(log: list[bytes], start: datetime, clock: Clock) -> list[LogEvent]:
    """Write the log to a private redis-server's event stream, then time the server's reader on it."""
    from redis.asyncio import Redis

    from game import keys
    from server.embedded_redis import EmbeddedRedis
    from server.services.insights import read_events

    async def write(url: str) -> None:
        redis = Redis.from_url(url)
        try:
            for offset in range(0, len(log), 5000):
                pipe = redis.pipeline(transaction=False)
                for entry in log[offset : offset + 5000]:
                    pipe.xadd(keys.EVENT_LOG, {"e": entry})
                await pipe.execute()
        finally:
            await redis.aclose()

    async def read(url: str) -> list[LogEvent]:
        redis = Redis.from_url(url)
        try:
            return await read_events(redis, start - timedelta(days=1))
        finally:
            await redis.aclose()

    with EmbeddedRedis() as embedded:
        asyncio.run(write(embedded.url))
        return clock.time("XRANGE + decode (server.insights.read_events)", lambda: asyncio.run(read(embedded.url)))


class Clock:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []

    def time(self, label: str, work: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        self.rows.append((label, time.perf_counter() - wall, time.process_time() - cpu))
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--days", type=int, default=91)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=200, help="resampled periods behind the prize chances")
    parser.add_argument("--redis", action="store_true", help="read the log from a private redis-server too")
    args = parser.parse_args()
    zone = ZoneInfo("Asia/Shanghai")
    print(f"generating {args.events:,} events for {args.reps} reps over {args.days} days (not timed)…", flush=True)
    log, directory, start = make_log(args.reps, args.events, args.days, args.seed, zone)
    size = sum(map(len, log))
    print(
        f"log: {len(log):,} entries, {size / 1e6:.1f} MB of msgpack; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )

    definition = draft(start, args.days + 1)
    contest = parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")
    values = prize_values(definition, Collector())
    clock = Clock()

    def decode() -> list[LogEvent]:
        with paused_gc():
            return [LogEvent.from_record(msgpack.unpackb(entry, raw=False)) for entry in log]

    if args.redis:
        events = read_from_redis(log, start, clock)
    else:
        events = clock.time("decode entries (msgpack → LogEvent)", decode)
    boards = clock.time("replay through the draft", lambda: replay(contest, events, directory))
    summary = clock.time(
        f"report (spread, {args.samples} resampled prize periods)",
        lambda: summarize(contest, boards, values, directory, samples=args.samples),
    )
    width = max(len(label) for label, *_ in clock.rows) + 2
    print()
    for label, wall, cpu in clock.rows:
        print(f"  {label:<{width}} {wall:6.2f} s wall  {cpu:6.2f} s CPU")
    wall_total = sum(w for _, w, _ in clock.rows)
    cpu_total = sum(c for *_, c in clock.rows)
    print(f"  {'total':<{width}} {wall_total:6.2f} s wall  {cpu_total:6.2f} s CPU")
    print(
        f"\n{len(events) / clock.rows[1][1]:,.0f} events/s replayed; {boards.changes:,} applied to the draft; "
        f"{boards.lead_changes} lead changes; gini {summary['gini']}; prize cost {summary['prize_cost']['total']} "
        f"(expected {summary['prize_cost']['expected']}); "
        f"{summary['prize_chance']['share_with_chance']:.0%} of reps with a prize chance"
    )
    verdict = "within" if wall_total < TARGET_SECONDS else "OVER"
    print(f"{verdict} the {TARGET_SECONDS:.0f} s target for an interactive simulation")


if __name__ == "__main__":
    main()
