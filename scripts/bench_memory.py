"""Redis memory per event: the live engine against a minimal scoring script, and an archived contest.

    python -m scripts.bench_memory [--events 20000] [--reps 200] [--teams 10]

Method. A Redis of its own (EmbeddedRedis) holds an org of ``--reps`` reps in ``--teams`` teams, one live
contest (deals by amount, capped calls, meetings) and XP. Events from the simulator (wins with amounts,
calls, meetings, a few refunds, and one event in twenty sent twice) go through the server's own path:
the registry, the ingest planner and the store's write scripts, 500 per round trip. The figure is the
growth of Redis ``used_memory`` over the events, after a warm-up that creates the per-rep keys, divided
by the events sent. The minimal script then takes the same events on keys of its own (dedupe by event
id, ZINCRBY on one board, the event appended to a log stream) and is measured the same way. Last, the
contest is archived and compacted; ``archived_fraction`` is its keys' MEMORY USAGE after over before.
A breakdown per key family (MEMORY USAGE of every key) shows where the bytes go. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack
from redis.asyncio import Redis

from game import keys
from game.events import Event, parse_event
from game.store import Plan, Store
from game.xp import decide_xp
from scripts.bench_support.contest import bench_contest
from scripts.bench_support.minimal import MINIMAL_SCRIPT, minimal_keys
from scripts.simulator import Simulator
from server.config import load_settings
from server.embedded_redis import EmbeddedRedis
from server.services.contest_archive import compact_contest
from server.services.contest_archive_store import ContestArchiveStore
from server.services.ingest import plan
from server.services.registry import Registry
from server.services.rescore_store import RescoreStore

BATCH = 500
CONTEST = "bench-memory"


# Key families: a key is reported under the part of its name before the member it is made for.
FAMILY_MARKERS = (
    "ledger:", "times:rep:", "times:team:", "members:", "capgroup:", "history:", "board:div:", "seen:", "deals:",
    "facts:", "badges:", "caps:", "board:", "dealers:", "closed:",
)  # fmt: skip


def family(key: str) -> str:
    key = key.replace(CONTEST, "<contest>")
    key = re.sub(r":e\d+:", ":e<n>:", key)
    for marker in FAMILY_MARKERS:
        at = key.find(marker)
        if at >= 0:
            return key[: at + len(marker)] + "*"
    return key


async def used_memory(redis: Redis) -> int:
    return int((await redis.info("memory"))["used_memory"])


async def set_up_org(registry: Registry, reps: int, teams: int, now: datetime) -> list[str]:
    ids: list[str] = []
    for t in range(teams):
        team = f"team-{t}"
        await registry.put_team({"id": team, "name": f"战队{t}"}, "bench")
        for r in range(reps // teams):
            rep = f"rep-{t}-{r}"
            await registry.put_rep({"id": rep, "name": f"Rep {t}-{r}", "team": team}, "bench")
            ids.append(rep)
    definition = bench_contest(CONTEST, now)
    document = {"definition": definition, "state": "active", "version": 1, "epoch": 1, "history": []}
    await registry.put_contest(document, "bench", "contest.create")
    return ids


def make_events(reps: list[str], count: int, seed: int, now: datetime) -> list[Event]:
    """Simulated events, one in twenty sent twice (a retry), as the API would parse them."""
    raw = Simulator(reps, seed=seed, run_id=f"s{seed}").events(count, now - timedelta(days=30), timedelta(days=29))
    events: list[Event] = []
    for index, item in enumerate(raw):
        event = parse_event(item, now=now, default_currency="CNY")
        events.append(event)
        if index % 20 == 19:
            events.append(event)
    return events


async def ingest(store: Store, registry: Registry, events: list[Event], now: datetime) -> None:
    settings = load_settings()
    snapshot = await registry.current()
    for offset in range(0, len(events), BATCH):
        plans = []
        for event in events[offset : offset + BATCH]:
            team = snapshot.directory.reps[event.rep].team
            event = replace(event, team=team)
            plans.append(Plan(event, plan(event, snapshot, now), decide_xp(event, settings.zone, settings.currency)))
        await store.write_events(plans)


async def minimal(redis: Redis, events: list[Event]) -> None:
    script = redis.register_script(MINIMAL_SCRIPT)
    for offset in range(0, len(events), BATCH):
        pipe = redis.pipeline(transaction=False)
        for event in events[offset : offset + BATCH]:
            points = int(float(event.amount or 0) // 1000) if event.amount else 1
            record = msgpack.packb(event.to_record())
            await script(keys=minimal_keys("m", 1), args=[event.key, record, points, event.rep], client=pipe)
        await pipe.execute()


async def memory_by_family(redis: Redis, match: str = "*") -> dict[str, tuple[int, int]]:
    """family -> (keys, bytes), from MEMORY USAGE of every key (SAMPLES 0: every element counted)."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    async for key in redis.scan_iter(match=match, count=1000):
        name = key.decode()
        usage = await redis.memory_usage(name, samples=0) or 0
        found[family(name)][0] += 1
        found[family(name)][1] += usage
    return {name: (count, size) for name, (count, size) in found.items()}


def print_breakdown(title: str, families: dict[str, tuple[int, int]], events: int) -> None:
    print(f"\n{title}")
    print(f"  {'key family':<44} {'keys':>7} {'bytes':>12} {'B/event':>8}")
    total = 0
    for name, (count, size) in sorted(families.items(), key=lambda item: -item[1][1]):
        total += size
        print(f"  {name:<44} {count:>7} {size:>12,} {size / events:>8.1f}")
    print(f"  {'total':<44} {'':>7} {total:>12,} {total / events:>8.1f}")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    embedded = EmbeddedRedis().start()
    redis = Redis.from_url(embedded.url)
    try:
        now = datetime.now(UTC)
        registry = Registry(redis, timezone="Asia/Shanghai", currency="CNY")
        store = Store(redis)
        reps = await set_up_org(registry, args.reps, args.teams, now)
        warm_up = make_events(reps, args.warm_up, seed=1, now=now)
        events = make_events(reps, args.events, seed=2, now=now)
        await ingest(store, registry, warm_up, now)
        before = await used_memory(redis)
        await ingest(store, registry, events, now)
        engine_bytes = await used_memory(redis) - before
        families = await memory_by_family(redis)
        total_events = len(warm_up) + len(events)
        print_breakdown(f"engine keys after {total_events:,} events (warm-up included)", families, total_events)

        await minimal(redis, warm_up)
        before = await used_memory(redis)
        await minimal(redis, events)
        minimal_bytes = await used_memory(redis) - before
        print_breakdown("minimal script's keys", await memory_by_family(redis, "min:*"), total_events)

        contest_match = keys.ContestKeys(CONTEST).meta.replace(":meta", ":*")
        live = sum(size for _, size in (await memory_by_family(redis, contest_match)).values())
        document = await registry.contest_document(CONTEST)
        assert document is not None
        await registry.put_contest({**document, "state": "archived"}, "bench", "contest.archive")
        contest = (await registry.current()).contests[CONTEST]
        archives, rescores = ContestArchiveStore(redis), RescoreStore(redis)
        assert await compact_contest(store, archives, rescores, contest, datetime.now(UTC)) == "archived"
        archived_families = await memory_by_family(redis, contest_match)
        archived = sum(size for _, size in archived_families.values())
        print_breakdown("the contest's keys once archived and compacted", archived_families, total_events)

        per_event = engine_bytes / len(events)
        minimal_per_event = minimal_bytes / len(events)
        print(f"\nengine        : {per_event:8.0f} B/event (used_memory growth over {len(events):,} events)")
        print(f"minimal script: {minimal_per_event:8.0f} B/event")
        print(f"ratio         : {per_event / minimal_per_event:8.2f} (target ≤ 2)")
        print(f"archived      : {archived / live:8.3f} of the live contest's {live:,} B (target ≤ 0.10)")
        return {
            "events": len(events),
            "memory_bytes_per_event": round(per_event),
            "minimal_bytes_per_event": round(minimal_per_event),
            "ratio": round(per_event / minimal_per_event, 3),
            "contest_live_bytes": live,
            "contest_archived_bytes": archived,
            "archived_fraction": round(archived / live, 4),
        }
    finally:
        await redis.aclose()
        embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="events measured")
    parser.add_argument("--warm-up", type=int, default=2_000, help="events sent before measuring")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--teams", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
