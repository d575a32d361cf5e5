"""Directory changes at scale: a 50,000-rep CSV import and the latency of one rep's change before and after.

    python -m scripts.bench_directory [--reps 50000] [--teams 50] [--puts 200]

Method. The server runs in its own process on its own Redis (both started here), with a live team contest so
every change also syncs the boards' rosters. First ``--puts`` rep changes (a move between two teams) are timed
on an empty directory; then ``--reps`` reps are imported from one CSV (``POST /api/v1/reps/import`` with a
progress name, polled meanwhile as the console does); then the same changes are timed again with the imported
reps in the directory. A second server process on the same Redis must see the last change. The script ends with
one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402

from scripts.bench_ingest import start_server  # noqa: E402
from server.embedded_redis import EmbeddedRedis  # noqa: E402
from server.services.registry import Registry  # noqa: E402


def reps_csv(teams: list[str], count: int, run: str) -> str:
    rows = [f"{run}-r{n:06d},Rep {n},{teams[n % len(teams)]}" for n in range(count)]
    return "id,name,team\n" + "\n".join(rows) + "\n"


def set_up(client: httpx.Client, run: str, teams: int) -> list[str]:
    names = [f"{run}-t{t}" for t in range(teams)]
    for team in names:
        client.put(f"/api/v1/teams/{team}", json={"name": f"战队 {team}"}).raise_for_status()
    now = datetime.now(UTC)
    client.post(
        "/api/v1/contests",
        json={
            "id": f"{run}-contest",
            "name": "Directory bench",
            "kind": "team",
            "team_score": "sum",
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=10)).isoformat(),
            "rules": [{"on": "deal.won", "points_per": 1000}],
        },
    ).raise_for_status()
    return names


def put_latency(client: httpx.Client, rep: str, teams: list[str], count: int) -> dict[str, float]:
    """Milliseconds per ``PUT /reps/{id}`` moving one rep back and forth between two teams."""
    times = []
    for n in range(count):
        started = time.perf_counter()
        client.put(f"/api/v1/reps/{rep}", json={"name": rep, "team": teams[n % 2]}).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(len(times) * 0.95)], 2)}


async def apply_and_reload_ms(redis_url: str, rep: str, teams: list[str], rounds: int = 20) -> dict[str, float]:
    """What one process pays per change: catching up with one moved rep, against reading the directory whole."""
    redis = Redis.from_url(redis_url)
    try:
        reloads, applies = [], []
        for n in range(rounds):
            reader = Registry(redis, timezone="Asia/Shanghai", currency="CNY")
            started = time.perf_counter()
            await reader.current(force=True)
            reloads.append((time.perf_counter() - started) * 1000)
            await Registry(redis, timezone="Asia/Shanghai", currency="CNY").put_rep(
                {"id": rep, "name": rep, "team": teams[n % 2]}, "bench"
            )
            started = time.perf_counter()
            await reader.current(force=True)
            applies.append((time.perf_counter() - started) * 1000)
        return {"apply_ms": round(statistics.median(applies), 2), "reload_ms": round(statistics.median(reloads), 2)}
    finally:
        await redis.aclose()


def follow_progress(client: httpx.Client, token: str, stop: threading.Event, seen: list[dict[str, Any]]) -> None:
    while not stop.wait(0.5):
        answer = client.get(f"/api/v1/reps/import/{token}")
        if answer.status_code == 200:
            seen.append(answer.json())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=50_000)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--puts", type=int, default=200)
    options = parser.parse_args()
    admin_key, run = "ak_bench_" + uuid.uuid4().hex, "dir" + uuid.uuid4().hex[:6]
    headers = {"Authorization": f"Bearer {admin_key}"}
    with EmbeddedRedis() as redis, tempfile.TemporaryDirectory() as data_dir:
        server, url = start_server(redis.url, admin_key, "ak_bench_ingest_" + uuid.uuid4().hex, data_dir)
        other, other_url = start_server(redis.url, admin_key, "ak_bench_ingest_" + uuid.uuid4().hex, data_dir)
        try:
            with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
                teams = set_up(client, run, options.teams)
                mover = f"{run}-mover"
                empty = put_latency(client, mover, teams, options.puts)
                print(f"PUT /reps/{{id}} at 0 reps: p50 {empty['p50_ms']} ms, p95 {empty['p95_ms']} ms")

                body = reps_csv(teams, options.reps, run).encode()
                token = uuid.uuid4().hex
                stop, seen = threading.Event(), []
                poller_client = httpx.Client(base_url=other_url, headers=headers, timeout=30)
                poller = threading.Thread(target=follow_progress, args=(poller_client, token, stop, seen))
                poller.start()
                started = time.perf_counter()
                answer = client.post(
                    f"/api/v1/reps/import?progress={token}", content=body, headers={"Content-Type": "text/csv"}
                )
                import_seconds = time.perf_counter() - started
                stop.set()
                poller.join()
                poller_client.close()
                answer.raise_for_status()
                result = answer.json()
                assert result["imported"] == options.reps, result["imported"]
                listed = len(client.get("/api/v1/reps").json()["reps"])
                print(
                    f"import of {options.reps} reps: {import_seconds:.1f} s ({len(body) / 1e6:.1f} MB CSV, "
                    f"{len(seen)} progress reads, last {seen[-1] if seen else None}); {listed} reps listed"
                )

                full = put_latency(client, mover, teams, options.puts)
                print(f"PUT /reps/{{id}} at {options.reps} reps: p50 {full['p50_ms']} ms, p95 {full['p95_ms']} ms")
                per_process = asyncio.run(apply_and_reload_ms(redis.url, mover, teams))
                print(
                    f"one process catching up with one change at {options.reps} reps: {per_process['apply_ms']} ms "
                    f"(reading the whole directory: {per_process['reload_ms']} ms)"
                )
            with httpx.Client(base_url=other_url, headers=headers, timeout=60) as second:
                moved = next(r for r in second.get("/api/v1/reps").json()["reps"] if r["id"] == mover)
                expected = teams[(options.puts - 1) % 2]
                assert moved["team"] == expected, (moved, expected)
        finally:
            for process in (server, other):
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    summary = {
        "reps": options.reps,
        "import_seconds": round(import_seconds, 2),
        "progress_reads": len(seen),
        "put_ms_at_0": empty,
        f"put_ms_at_{options.reps}": full,
        "apply_ms": per_process["apply_ms"],
        "reload_ms": per_process["reload_ms"],
        "loadavg_1m": round(load[0], 2),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
