"""Phones benchmark: N reps' phones, each on its own ``me:`` view, beside M TVs on the shared board.

Run from the repository root:

    .venv/bin/python -m scripts.bench_phones --phones 5000 [--tvs 100] [--seconds 10] [--viewer-procs 2]

Method. A private Redis (``EmbeddedRedis``) and a server subprocess (``python -m server``, default settings)
hold one live contest of ``--reps`` reps (10,000; created by ``POST /api/v1/reps/import`` in files of 1,000,
each given one deal by batched ``POST /api/v1/events`` so the board has 10,000 rows of different scores).
Phones sign in as reps (a user record per rep and Starlette's signed session cookie, as the login form
leaves it) and subscribe, as the phone app does (``web/static/mobile.js``), to ``contest:<contest>`` and to
their own ``me:<contest>``; TVs use the admin key and subscribe to ``contest:<contest>``.
Phones and TVs live in two viewer pools (``bench_support/viewers.py``). Deals arrive at ``--rate`` (10/s),
each for a rep with a phone (open loop, ``bench_support/systems.DealPoster``).

Three measured windows of ``--seconds`` each: (0) no screen, (1) N + M TVs (the phone pool's sockets on the
shared board first), (2) M TVs and N phones. In (1) and (2) every socket gets the same shared frames (the
board's diffs, celebrations, badges: the same bytes to every screen, leaving in the same writes); (2) adds
the phones' ``me`` frames. **CPU per frame** comes from the server's own counters (``/metrics``, read with
``ARENA_METRICS_TOKEN``): the hub meters its flusher step by step with the thread's CPU clock and charges
each step to the phones' path (moving the board held for them, composing, encoding and offering their
frames) or to the shared one (everything else in the flush: reads, diffs, encodings, offers and the
writes), and counts the frames each path offered (``server/live/cpu_meter.py``). Both come from the same
ticks of window (2), so the machine's other load moves both alike; ``phone_cpu_ratio`` is their ratio.
For reference the process's CPU is also differenced between windows (``window_per_*``: per shared frame =
(CPU₁ − CPU₀) / frames the TVs got in (1), per phone frame = (CPU₂ − CPU₀ − shared frames in (2) × that) /
``me`` frames in (2)); on a shared machine their noise exceeds the phones' whole cost.
``--in-process`` runs the same floor in one process without HTTP (``bench_support/phones_in_process.py``).

Latency: a deal's id carries its send time (CLOCK_MONOTONIC); a TV's sample is its celebration's arrival,
a phone's is the first ``me`` frame that lists the deal among the rep's recent wins (kernel receive
timestamps). The celebrations' p99 on the phones' own sockets is printed beside them: the phones' viewer
processes read thousands of sockets, the TVs' one a hundred, and the kernel stamps a frame only when the
server could send it. The load average is printed around each window: the machine is shared, read the figures
with it.

The last line is JSON: ``phone_cpu_ratio`` (per phone frame ÷ per shared frame, target ≤ 2) and
``phone_p99_ratio`` (deal→phone p99 ÷ deal→TV p99, target ≤ 1.3).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis as redis_sync
from itsdangerous import TimestampSigner
from prometheus_client.parser import text_string_to_metric_families

from game import keys
from scripts.bench_fanout import raise_fd_limit, workdir
from scripts.bench_support import phones_in_process
from scripts.bench_support.measure import cpu_ms, percentile_ms
from scripts.bench_support.pool import ViewerPool
from scripts.bench_support.systems import ArenaKeys, ArenaSystem, Org
from server.auth.secrets import hash_password
from server.embedded_redis import EmbeddedRedis

TEAMS = 10
IMPORT_ROWS = 1_000  # the import's limit per file
EVENT_BATCH = 1_000
WARMUP_SECONDS = 3.0
TARGET_CPU_RATIO = 2.0
TARGET_P99_RATIO = 1.3


@dataclass
class Window:
    """What one measured window saw."""

    seconds: float = 0.0
    cpu_ms: float = 0.0
    tv: dict[str, Any] = field(default_factory=dict)
    phones: dict[str, Any] = field(default_factory=dict)
    load: tuple[str, str] = ("", "")
    hub: dict[str, float] = field(default_factory=dict)  # the hub's counters over the window, by series and path

    def frames(self, report: dict[str, Any], op: str | None = None) -> int:
        ops: dict[str, int] = report.get("ops", {})
        return sum(n for name, n in ops.items() if (name == op if op else name != "me"))


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the organisation --------------------------------------------------------------------------


async def make_contest(admin: httpx.AsyncClient, ingest: httpx.AsyncClient, reps: int) -> Org:
    """``reps`` reps in TEAMS teams, a live contest of all of them, one deal each (distinct scores)."""
    run = os.urandom(3).hex()
    teams = [f"ph-{run}-t{t}" for t in range(TEAMS)]
    for t, team in enumerate(teams):
        (await admin.put(f"/api/v1/teams/{team}", json={"name": f"战队 {t}"})).raise_for_status()
    ids = [f"ph-{run}-r{r:05d}" for r in range(reps)]
    started = time.monotonic()
    for first in range(0, reps, IMPORT_ROWS):
        rows = [
            f"{rep},销售 {first + i},{teams[(first + i) % TEAMS]}"
            for i, rep in enumerate(ids[first : first + IMPORT_ROWS])
        ]
        lines = ["id,name,team", *rows]
        response = await admin.post(
            "/api/v1/reps/import", content="\n".join(lines), headers={"Content-Type": "text/csv"}
        )
        response.raise_for_status()
    print(f"  {reps:,} reps imported in {time.monotonic() - started:.1f} s", flush=True)
    now = datetime.now(UTC)
    contest: dict[str, Any] = {
        "id": f"ph-{run}",
        "name": "手机压测赛",
        "kind": "individual",
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=30)).isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
    }
    (await admin.post("/api/v1/contests", json=contest)).raise_for_status()
    started = time.monotonic()
    deals = [
        {"id": f"seed-{i}", "type": "deal.won", "rep": rep, "amount": str(1000 * (1 + i)), "currency": "CNY",
         "occurred_at": now.isoformat()}
        for i, rep in enumerate(ids)
    ]  # fmt: skip
    for first in range(0, reps, EVENT_BATCH):
        (await ingest.post("/api/v1/events", json=deals[first : first + EVENT_BATCH])).raise_for_status()
    print(f"  {reps:,} deals ingested in {time.monotonic() - started:.1f} s", flush=True)
    return Org(contest=str(contest["id"]), reps=ids)


def rep_cookies(redis_url: str, secret: str, reps: list[str]) -> list[str]:
    """A signed-in session per rep: a user record each (one password hash for all) and the cookie the login
    form leaves (Starlette's SessionMiddleware: base64 JSON, signed with the server's secret)."""
    password = hash_password("bench")
    signer = TimestampSigner(secret)
    users, cookies = {}, []
    for rep in reps:
        name = f"u-{rep}"
        users[name] = json.dumps({"username": name, "role": "rep", "rep": rep, "password": password, "sv": 0})
        session = {"user": {"role": "rep", "name": name, "rep": rep, "sv": 0}}
        cookies.append("arena_session=" + signer.sign(base64.b64encode(json.dumps(session).encode())).decode())
    with redis_sync.Redis.from_url(redis_url) as client:
        client.hset(keys.USERS, mapping=users)
    return cookies


# --- the run -----------------------------------------------------------------------------------


async def window(arena: ArenaSystem, tvs: ViewerPool, phones: ViewerPool | None, seconds: float) -> Window:
    result = Window()
    before_load = load_average()
    await tvs.mark()
    if phones is not None:
        await phones.mark()
    async with arena.admin() as admin:
        counted = await hub_counters(admin)
        before, started = cpu_ms(arena.pid), time.monotonic()
        await asyncio.sleep(seconds)
        result.tv = await tvs.report()
        result.phones = await phones.report() if phones is not None else {}
        result.cpu_ms, result.seconds = cpu_ms(arena.pid) - before, time.monotonic() - started
        result.hub = {name: value - counted.get(name, 0.0) for name, value in (await hub_counters(admin)).items()}
    result.load = (before_load, load_average())
    return result


async def hub_counters(admin: httpx.AsyncClient) -> dict[str, float]:
    """The hub's CPU and frames by path (``server/live/cpu_meter.py``), from the server's ``/metrics``."""
    response = await admin.get("/metrics")
    response.raise_for_status()
    return {
        f"{sample.name}:{sample.labels['path']}": sample.value
        for family in text_string_to_metric_families(response.text)
        if family.name in ("arena_hub_cpu_seconds", "arena_hub_frames")
        for sample in family.samples
        if sample.name.endswith("_total")
    }


def per_frame_us(w: Window, path: str) -> float | None:
    """The hub's CPU per frame offered on ``path`` in a window, in µs (None without frames)."""
    frames = w.hub.get(f"arena_hub_frames_total:{path}", 0.0)
    return w.hub[f"arena_hub_cpu_seconds_total:{path}"] * 1e6 / frames if frames else None


def show(name: str, w: Window) -> None:
    me = w.frames(w.phones, "me")
    phones = f" · phone pool: {me:,} me + {w.frames(w.phones):,} shared frames" if w.phones else ""
    print(
        f"  window {name}: server CPU {w.cpu_ms / w.seconds / 10:.0f}% of a core · TVs {w.frames(w.tv):,} frames"
        f"{phones} · load average {w.load[0]} → {w.load[1]}",
        flush=True,
    )


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def summarise(quiet: Window, tv_only: Window, both: Window) -> dict[str, Any]:
    # The hub's own counters in window 2: both costs from the same ticks.
    per_shared, per_phone = per_frame_us(both, "shared"), per_frame_us(both, "phone")
    me_frames = both.frames(both.phones, "me")
    # The process's CPU differenced between windows (noisy on a shared machine: for reference only).
    tv_frames = tv_only.frames(tv_only.tv) + tv_only.frames(tv_only.phones)
    window_shared = (tv_only.cpu_ms - quiet.cpu_ms * tv_only.seconds / quiet.seconds) / max(1, tv_frames)
    baseline = quiet.cpu_ms * both.seconds / quiet.seconds
    shared = both.frames(both.tv) + both.frames(both.phones)
    window_phone = (both.cpu_ms - baseline - shared * window_shared) / max(1, me_frames)
    phone_latency = {int(k): v for k, v in both.phones.get("me_latency", {}).items()}
    tv_p50, tv_p99 = percentile_ms(both.tv["latency"], 0.50), percentile_ms(both.tv["latency"], 0.99)
    phone_p50, phone_p99 = percentile_ms(phone_latency, 0.50), percentile_ms(phone_latency, 0.99)
    # The same deals' celebrations on the phones' own sockets: what the phones' viewer processes add to any
    # frame (they read thousands of sockets; the TVs' process reads a hundred).
    same_sockets_p99 = percentile_ms(both.phones.get("latency", {}), 0.99)
    cpu_ratio = per_phone / per_shared if per_phone is not None and per_shared else None
    p99_ratio = phone_p99 / tv_p99 if phone_p99 is not None and tv_p99 else None
    print(
        f"  the hub's CPU (its counters, window 2): per shared frame {per_shared or 0:.2f} µs"
        f" ({both.hub.get('arena_hub_frames_total:shared', 0):,.0f} offered), per phone frame {per_phone or 0:.2f} µs"
        f" ({both.hub.get('arena_hub_frames_total:phone', 0):,.0f} offered, {me_frames:,} received in"
        f" {both.seconds:.1f} s) → ratio {cpu_ratio and round(cpu_ratio, 2)} (target ≤ {TARGET_CPU_RATIO:g})"
    )
    print(
        f"  the process's CPU differenced between windows (noisy): per shared frame {window_shared * 1000:.1f} µs,"
        f" per phone frame {window_phone * 1000:.1f} µs"
    )
    print(
        f"  deal→phone p50 {ms(phone_p50)} p99 {ms(phone_p99)} (n={sum(phone_latency.values())})"
        f" · deal→TV p50 {ms(tv_p50)} p99 {ms(tv_p99)} (n={sum(both.tv['latency'].values())})"
        f" → ratio {p99_ratio and round(p99_ratio, 2)}"
        f" (target ≤ {TARGET_P99_RATIO:g}) · deal→celebration on the phones' sockets p99 {ms(same_sockets_p99)}"
    )
    return {
        "phones": both.phones.get("open"),
        "tvs": both.tv.get("open"),
        "per_shared_frame_us": None if per_shared is None else round(per_shared, 2),
        "per_phone_frame_us": None if per_phone is None else round(per_phone, 2),
        "window_per_shared_frame_us": round(window_shared * 1000, 2),
        "window_per_phone_frame_us": round(window_phone * 1000, 2),
        "phone_frames_per_s": round(me_frames / both.seconds, 1),
        "phone_p50_ms": phone_p50,
        "phone_p99_ms": phone_p99,
        "tv_p50_ms": tv_p50,
        "tv_p99_ms": tv_p99,
        "phone_sockets_celebration_p99_ms": same_sockets_p99,
        "phone_cpu_ratio": None if cpu_ratio is None else round(cpu_ratio, 3),
        "phone_p99_ratio": None if p99_ratio is None else round(p99_ratio, 3),
        "load_average": both.load[1],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    raise_fd_limit(args.phones + args.tvs)
    print(f"load average before the run: {load_average()}", flush=True)
    with workdir(args.workdir) as work, EmbeddedRedis() as redis:
        secrets_ = ArenaKeys.generate()
        arena = ArenaSystem(work, redis.url, None, secrets_, args.rate, Org(contest="", reps=[]))
        tvs, phones = ViewerPool(1, work / "tvs"), ViewerPool(args.viewer_procs, work / "phones")
        try:
            await arena.start()
            async with (
                arena.admin() as admin,
                httpx.AsyncClient(
                    base_url=arena.base_url, headers={"Authorization": f"Bearer {secrets_.ingest}"}, timeout=120
                ) as ingest,
            ):
                admin.timeout = httpx.Timeout(300)
                org = await make_contest(admin, ingest, args.reps)
            with_phones = org.reps[:: max(1, len(org.reps) // args.phones)][: args.phones]
            cookies = rep_cookies(redis.url, secrets_.secret, with_phones)
            arena.org = Org(contest=org.contest, reps=with_phones)  # deals for reps with a phone
            (work / "tvs").mkdir(exist_ok=True)
            (work / "phones").mkdir(exist_ok=True)
            await tvs.start()
            await phones.start()
            await arena.start_traffic()
            await asyncio.sleep(WARMUP_SECONDS)
            quiet = await window(arena, tvs, None, args.seconds)
            show("0 (no screens)", quiet)
            tv_sub = json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"})
            connected = await tvs.connect(arena.ws_url, args.tvs, "arena", tv_sub)
            print(f"  {connected['connected']:,} TVs connected {connected['errors'] or ''}", flush=True)
            connected = await phones.connect(arena.ws_url, len(cookies), "arena", tv_sub)
            print(f"  {connected['connected']:,} more TVs (the phones' pool) {connected['errors'] or ''}", flush=True)
            await asyncio.sleep(WARMUP_SECONDS)
            tv_only = await window(arena, tvs, phones, args.seconds)
            show("1 (N + M TVs)", tv_only)
            await phones.drop()
            # As the phone app does (web/static/mobile.js): the contest's board, and the rep's own view.
            me_sub = "\n".join((tv_sub, json.dumps({"op": "subscribe", "board": f"me:{org.contest}"})))
            url = arena.ws_url.split("?", 1)[0]
            connected = await phones.connect(url, len(cookies), "arena", me_sub, cookies=cookies)
            print(f"  {connected['connected']:,} phones connected {connected['errors'] or ''}", flush=True)
            await asyncio.sleep(WARMUP_SECONDS)
            both = await window(arena, tvs, phones, args.seconds)
            show("2 (TVs + phones)", both)
            await arena.stop_traffic()
            print(f"  {arena.traffic_note}")
            return summarise(quiet, tv_only, both)
        finally:
            await tvs.close()
            await phones.close()
            await arena.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=5000, help="phones, each a different rep (default 5000)")
    parser.add_argument("--tvs", type=int, default=100, help="TVs on the shared board (default 100)")
    parser.add_argument("--reps", type=int, default=10_000, help="reps in the contest (default 10000)")
    parser.add_argument("--rate", type=float, default=10.0, help="deals per second (default 10)")
    parser.add_argument("--seconds", type=float, default=10.0, help="each measured window (default 10)")
    parser.add_argument("--viewer-procs", type=int, default=2, help="processes for the phones (default 2)")
    parser.add_argument("--workdir", type=Path, help="keep logs here instead of a temp dir")
    parser.add_argument(
        "--in-process", action="store_true", help="one process, no HTTP: the hub's CPU by path from one run"
    )
    parser.add_argument("--rounds", type=int, default=100, help="--in-process: rounds of deals (default 100)")
    parser.add_argument("--deals", type=int, default=2, help="--in-process: won deals a round (default 2)")
    args = parser.parse_args(argv)
    if not 1 <= args.phones <= args.reps <= 50_000:
        parser.error("need 1 <= --phones <= --reps <= 50000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.in_process:
        raise_fd_limit(2 * (args.phones + args.tvs))  # both ends of every connection are here
        print(json.dumps(phones_in_process.run(args.phones, args.tvs, args.reps, args.rounds, args.deals)))
        return 0
    try:
        line = asyncio.run(run(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: every process started was stopped", file=sys.stderr)
        return 130
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
