"""Ingest throughput: single events and batches through ``POST /api/v1/events``, against the ceiling of
the same write scripts called straight from a redis-py pipeline, and the time to rescore 100k events.

    python -m scripts.bench_ingest [--events 20000] [--clients 16] [--log-shards N] [--url http://… --admin-key … …]

Method. The server runs in its own process with its real Redis (started here unless ``--url``). The
load comes from a separate process speaking plain HTTP/1.1 over keep-alive sockets (asyncio streams, no
client library overhead), ``--clients`` connections at once. The ceiling is measured in this process:
the events are parsed and decided once, then only the Lua calls are timed, 1,000 per pipeline. Every
figure comes from the same run on the same machine, so the ratio is what to compare across machines.

Redis time is Redis's own CPU (``used_cpu_user + used_cpu_sys`` of ``INFO cpu``) over the calls, divided by
the events, not wall time: ours (the ceiling's calls) against a minimal scoring script (dedupe, ZINCRBY on
three boards, XADD; ``scripts/bench_support/minimal.py``) on the same events, taken in turns in five rounds
(medians). A breakdown runs each write script alone over other events and names its costliest inner
commands (``INFO commandstats``: calls per event × µs per call, wall time inside Redis).
The script ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game import keys, log_record  # noqa: E402
from game.contests import parse_contest  # noqa: E402
from game.directory import Directory, Rep, Team  # noqa: E402
from game.events import parse_event  # noqa: E402
from game.scoring import decide  # noqa: E402
from game.store import Plan, Store  # noqa: E402
from game.xp import decide_xp  # noqa: E402
from scripts.bench_support.contest import bench_contest  # noqa: E402
from scripts.bench_support.minimal import MINIMAL_SCRIPT, command_usec, minimal_keys, redis_cpu_us  # noqa: E402
from scripts.simulator import Simulator  # noqa: E402
from server.config import load_settings  # noqa: E402
from server.embedded_redis import EmbeddedRedis, free_port  # noqa: E402

TEAMS, REPS_PER_TEAM = 10, 20
PIPELINE = 1000  # calls per pipeline of the pipelined measurements


def start_server(
    redis_url: str, admin_key: str, ingest_key: str, data_dir: str, log_shards: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "ARENA_LOG_SHARDS": str(log_shards),
        "ARENA_REDIS_URL": redis_url,
        "ARENA_PORT": str(port),
        "ARENA_ADMIN_KEY": admin_key,
        "ARENA_INGEST_KEY": ingest_key,
        "ARENA_SECRET_KEY": uuid.uuid4().hex,
        "ARENA_DATA_DIR": data_dir,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "server"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def set_up_org(url: str, admin_key: str) -> tuple[str, list[str]]:
    headers = {"Authorization": f"Bearer {admin_key}"}
    run = uuid.uuid4().hex[:6]
    reps: list[str] = []
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for t in range(TEAMS):
            team = f"bench-{run}-t{t}"
            client.put(f"/api/v1/teams/{team}", json={"name": f"战队{t}"}).raise_for_status()
            for r in range(REPS_PER_TEAM):
                rep = f"{team}-r{r}"
                client.put(f"/api/v1/reps/{rep}", json={"name": f"Rep {t}-{r}", "team": team}).raise_for_status()
                reps.append(rep)
        contest = f"bench-{run}"
        client.post("/api/v1/contests", json=bench_contest(contest, datetime.now(UTC))).raise_for_status()
    return contest, reps


def make_events(reps: list[str], count: int, seed: int) -> list[dict[str, Any]]:
    start = datetime.now(UTC) - timedelta(days=30)
    events = Simulator(reps, seed=seed).events(count, start, timedelta(days=29))
    return [e for e in events if e["type"] != "deal.reversed"] + [e for e in events if e["type"] == "deal.reversed"]


# --- the load generator (a separate process) -----------------------------------------------------


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, key: str, body: bytes) -> int:
    writer.write(
        b"POST /api/v1/events HTTP/1.1\r\nHost: "
        + host.encode()
        + b"\r\nAuthorization: Bearer "
        + key.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def _load(url: str, key: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    queue = list(reversed(bodies))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, port)
        while queue:
            if await _post(reader, writer, f"{host}:{port}", key, queue.pop()) != 200:
                failures += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return time.perf_counter() - started, failures


def run_fast(coroutine: Any) -> Any:
    """Run on uvloop when it is installed, as the server does, so the comparison is fair."""
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


def _load_process(url: str, key: str, bodies: list[bytes], clients: int, out: Any) -> None:
    out.send(run_fast(_load(url, key, bodies, clients)))


def load(url: str, key: str, bodies: list[bytes], clients: int) -> float:
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.Process(target=_load_process, args=(url, key, bodies, clients, send))
    process.start()
    seconds, failures = receive.recv()
    process.join()
    if failures:
        raise SystemExit(f"{failures} requests failed")
    return seconds


# --- the ceiling (this process) ------------------------------------------------------------------


def decide_plans(
    contest_definition: dict[str, Any], reps: list[str], raw: list[dict[str, Any]], zone: Any, prefix: str
) -> list[Plan]:
    """The events parsed and decided once (ids prefixed, so each measurement writes events of its own)."""
    contest = parse_contest(contest_definition, default_timezone="Asia/Shanghai", default_currency="CNY")
    directory = Directory(
        reps={r: Rep(r, r, r.rsplit("-", 1)[0]) for r in reps},
        teams={r.rsplit("-", 1)[0]: Team(r.rsplit("-", 1)[0], "t") for r in reps},
    )
    now = datetime.now(UTC)
    plans = []
    for item in raw:
        event = parse_event({**item, "id": prefix + item["id"]}, now=now, default_currency="CNY")
        event = replace(event, team=directory.reps[event.rep].team)
        plans.append(Plan(event, decide(event, [contest], directory), decide_xp(event, zone, "CNY")))
    return plans


@dataclass(frozen=True)
class Pipelined:
    """One pipelined measurement: events per second (wall) and the Redis CPU time per event."""

    events_per_s: float
    redis_us_per_event: float


async def ceiling(redis_url: str, plans: list[Plan], log_shards: int = 1) -> Pipelined:
    """Our write scripts, called by the store in pipelines of 1,000 (no HTTP)."""
    redis = Redis.from_url(redis_url)
    store = Store(redis, log_shards=log_shards)
    await store.prepare()
    cpu = await redis_cpu_us(redis)
    started = time.perf_counter()
    for offset in range(0, len(plans), PIPELINE):
        await store.write_events(plans[offset : offset + PIPELINE])
    seconds = time.perf_counter() - started
    used = await redis_cpu_us(redis) - cpu
    await redis.aclose()
    return Pipelined(len(plans) / seconds, used / len(plans))


async def minimal(redis_url: str, plans: list[Plan]) -> Pipelined:
    """The minimal scoring script (dedupe, ZINCRBY on the rep, team and XP boards, the event logged) on the same
    events, in pipelines of 1,000."""
    redis = Redis.from_url(redis_url)
    sha = await redis.script_load(MINIMAL_SCRIPT)
    script_keys = minimal_keys("ingest", 3)
    calls = []
    for plan in plans:
        points = sum(hit.points for change in plan.changes for hit in change.hits) or 1
        _, record = log_record.pack_event(plan.event)
        members = (plan.event.rep, plan.event.team or "", plan.event.rep)
        calls.append(("EVALSHA", sha, len(script_keys), *script_keys, plan.event.key, record, points, *members))
    cpu = await redis_cpu_us(redis)
    started = time.perf_counter()
    for offset in range(0, len(calls), PIPELINE):
        pipe = redis.pipeline(transaction=False)
        for call in calls[offset : offset + PIPELINE]:
            pipe.execute_command(*call)
        await pipe.execute()
    seconds = time.perf_counter() - started
    used = await redis_cpu_us(redis) - cpu
    await redis.aclose()
    return Pipelined(len(calls) / seconds, used / len(calls))


async def ours_and_minimal(
    redis_url: str, plans: list[Plan], log_shards: int = 1, rounds: int = 5
) -> tuple[Pipelined, Pipelined]:
    """The ceiling and the minimal script taken in turns over ``rounds`` slices of the events, so a burst of
    load elsewhere on the machine reaches both alike; per figure, the median of the rounds."""
    size = -(-len(plans) // rounds)
    taken = [
        (await ceiling(redis_url, part, log_shards), await minimal(redis_url, part))
        for part in (plans[i : i + size] for i in range(0, len(plans), size))
    ]
    median = statistics.median
    ours = Pipelined(median([o.events_per_s for o, _ in taken]), median([o.redis_us_per_event for o, _ in taken]))
    least = Pipelined(median([m.events_per_s for _, m in taken]), median([m.redis_us_per_event for _, m in taken]))
    return ours, least


async def script_breakdown(redis_url: str, plans: list[Plan], log_shards: int = 1) -> list[tuple[str, float, str]]:
    """Where the Redis time of an event goes: each script run alone over the same events (the log entries, then
    the contest changes, then the XP), its Redis CPU per event and its costliest inner commands (commandstats)."""
    redis = Redis.from_url(redis_url)
    store = Store(redis, log_shards=log_shards)
    phases = {
        "append_event": ([Plan(p.event, ()) for p in plans], True),
        "apply_contest": ([Plan(p.event, p.changes) for p in plans], False),
        "apply_xp": ([Plan(p.event, (), p.xp) for p in plans], False),
    }
    rows = []
    for name, (phase, log) in phases.items():
        await store.write_events(phase[:1], log=log)
        cpu, stats = await redis_cpu_us(redis), await command_usec(redis)
        for offset in range(1, len(phase), PIPELINE):
            await store.write_events(phase[offset : offset + PIPELINE], log=log)
        used = (await redis_cpu_us(redis) - cpu) / (len(phase) - 1)
        after = await command_usec(redis)
        inner = {
            command: (calls - stats.get(command, (0, 0))[0], usec - stats.get(command, (0, 0))[1])
            for command, (calls, usec) in after.items()
            if command not in ("evalsha", "info")
        }
        costly = sorted(inner.items(), key=lambda item: -item[1][1])[:20]
        events = len(phase) - 1
        rows.append((name, used, ", ".join(f"{c} {n / events:.1f}×{u / max(n, 1):.2f}µs" for c, (n, u) in costly if n)))
    await redis.aclose()
    return rows


async def cpu_of(redis_url: str) -> float:
    """The Redis server's CPU time so far (µs), read on a connection of its own."""
    redis = Redis.from_url(redis_url)
    try:
        return await redis_cpu_us(redis)
    finally:
        await redis.aclose()


def fill_log(
    redis_url: str, contest_definition: dict[str, Any], reps: list[str], total: int, zone: Any, log_shards: int = 1
) -> None:
    """Top the event log up to ``total`` entries, written the fast way (for the rescore timing)."""

    async def run() -> None:
        redis = Redis.from_url(redis_url)
        have = sum([await redis.xlen(keys.event_log(shard)) for shard in range(log_shards)])
        await redis.aclose()
        missing = total - have
        if missing > 0:
            events = make_events(reps, missing, seed=99)
            await ceiling(redis_url, decide_plans(contest_definition, reps, events, zone, "fill-"), log_shards)

    asyncio.run(run())


def time_rescore(url: str, admin_key: str, contest: str) -> float:
    headers = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        started = time.monotonic()
        client.post(f"/api/v1/contests/{contest}/rescore").raise_for_status()
        while client.get(f"/api/v1/contests/{contest}/rescore").json()["state"] != "done":
            if time.monotonic() - started > 600:
                raise SystemExit("rescore did not finish in 10 minutes")
            time.sleep(0.05)
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="events per measurement")
    parser.add_argument("--clients", type=int, default=64, help="concurrent connections")
    parser.add_argument("--rescore-events", type=int, default=100_000, help="0: no rescore timing")
    parser.add_argument("--url", help="measure a running server instead (needs --admin-key, --ingest-key, --redis)")
    parser.add_argument("--admin-key")
    parser.add_argument("--ingest-key")
    parser.add_argument("--redis", help="Redis URL of that server (for the ceiling)")
    parser.add_argument("--log-shards", type=int, default=1, help="ARENA_LOG_SHARDS of the server started here")
    args = parser.parse_args()
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    keys.use_prefix(load_settings().key_prefix)  # the server measured (started here with this environment too)
    embedded = None
    process = None
    try:
        if args.url:
            url, admin_key, ingest_key, redis_url = args.url, args.admin_key, args.ingest_key, args.redis
        else:
            embedded = EmbeddedRedis().start()
            redis_url = embedded.url
            admin_key, ingest_key = "ak_bench_" + uuid.uuid4().hex, "ak_bench_" + uuid.uuid4().hex
            process, url = start_server(redis_url, admin_key, ingest_key, tempfile.mkdtemp(), args.log_shards)
        contest, reps = set_up_org(url, admin_key)
        definition = httpx.get(
            f"{url}/api/v1/contests/{contest}", headers={"Authorization": f"Bearer {admin_key}"}
        ).json()
        singles = make_events(reps, args.events, seed=1)
        single_s = load(url, ingest_key, [json.dumps(e).encode() for e in singles], args.clients)
        batch_events = make_events(reps, args.events, seed=2)
        batches = [json.dumps(batch_events[i : i + 100]).encode() for i in range(0, len(batch_events), 100)]
        cpu = asyncio.run(cpu_of(redis_url))
        batched_s = load(url, ingest_key, batches, min(args.clients, 4))
        server_us = (asyncio.run(cpu_of(redis_url)) - cpu) / len(batch_events)
        ceiling_plans = decide_plans(definition, reps, make_events(reps, args.events, seed=3), zone, "ceil-")
        ours, least = run_fast(ours_and_minimal(redis_url, ceiling_plans, args.log_shards))
        profile_plans = decide_plans(definition, reps, make_events(reps, args.events, seed=4), zone, "prof-")
        breakdown = run_fast(script_breakdown(redis_url, profile_plans, args.log_shards))
        rescore_s = None
        if args.rescore_events:
            fill_log(redis_url, definition, reps, args.rescore_events, zone, args.log_shards)
            rescore_s = time_rescore(url, admin_key, contest)
        single_eps, batched_eps = len(singles) / single_s, len(batch_events) / batched_s
        cost_ratio = ours.redis_us_per_event / least.redis_us_per_event
        print(f"single events : {single_eps:8.0f} events/s ({args.clients} connections)")
        print(f"batches of 100: {batched_eps:8.0f} events/s")
        print(f"ceiling       : {ours.events_per_s:8.0f} events/s (same scripts, pipelines of {PIPELINE:,}, no HTTP;")
        print("                medians of 5 rounds taken in turns with the minimal script)")
        print(f"minimal script: {least.events_per_s:8.0f} events/s (dedupe, 3 ZINCRBY, XADD, same pipelines)")
        print(f"ratio         : {batched_eps / ours.events_per_s:8.2f} batched ÷ ceiling (target ≥ 0.6)")
        print(f"single ratio  : {single_eps / ours.events_per_s:8.2f} single ÷ ceiling (target ≥ 0.4)")
        print(f"Redis time    : {ours.redis_us_per_event:8.1f} µs/event ours, pipelined (used_cpu_user + sys)")
        print(f"                {least.redis_us_per_event:8.1f} µs/event the minimal script")
        print(f"                {server_us:8.1f} µs/event through the server (batches, badge judging included)")
        print(f"cost ratio    : {cost_ratio:8.2f} ours ÷ minimal (target ≤ 3)")
        for name, used, costly in breakdown:
            print(f"  {name:<14}{used:6.1f} µs/event; inner commands per event: {costly}")
        if rescore_s is not None:
            print(f"rescore       : {rescore_s:8.1f} s for a log of {args.rescore_events:,} events")
        print(
            json.dumps(
                {
                    "batched_eps": round(batched_eps),
                    "single_eps": round(single_eps),
                    "ceiling_eps": round(ours.events_per_s),
                    "minimal_eps": round(least.events_per_s),
                    "ratio": round(batched_eps / ours.events_per_s, 3),
                    "single_ratio": round(single_eps / ours.events_per_s, 3),
                    "redis_us_per_event": round(ours.redis_us_per_event, 1),
                    "minimal_redis_us_per_event": round(least.redis_us_per_event, 1),
                    "server_redis_us_per_event": round(server_us, 1),
                    "redis_cost_ratio": round(cost_ratio, 2),
                    "rescore_100k_s": None if rescore_s is None else round(rescore_s, 2),
                    "log_shards": args.log_shards,
                    "load_average": round(os.getloadavg()[0], 2),
                }
            )
        )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
