"""Fan-out benchmark: Sales Arena's live boards against a raw websockets broadcast and socket.io.

Run from the repository root (a module, so that ``server`` and ``scripts`` import):

    .venv/bin/python -m scripts.bench_fanout                      # 1k, 5k and 10k viewers
    .venv/bin/python -m scripts.bench_fanout --viewers 1000 --seconds 10 [--skip-socketio] [--viewer-procs 1]

Method. One run starts a private Redis (``EmbeddedRedis``), a pool of viewer processes (two by default:
one alone falls behind a 10k-socket burst, reads two ticks' frames at once and stamps both with the later
arrival; ``bench_support/viewers.py``: asyncio ``add_reader`` + websockets' sans-I/O protocol, ~15 µs of
CPU per message including the syscalls) and, per size N and per system, a fresh server subprocess on
127.0.0.1:

1. **Sales Arena** (``python -m server``, default settings) with a contest of 30 reps; viewers connect to
   ``/ws?token=<admin key>`` with ``arena.v1.json`` and subscribe to ``contest:<id>``; traffic is a deal
   posted over ``POST /api/v1/events`` 4 times a second (open loop: a slow answer does not delay the next
   deal), each changing the board: a board update to every viewer, then a celebration.
2. **raw websockets**: ``websockets.asyncio.server.serve`` + ``broadcast()`` 4 times a second.
3. **socket.io** 4 (Node, ``npm install`` into a temp dir at run time): ``io.emit`` 4 times a second; the
   viewers speak Engine.IO v4 / Socket.IO v5 over a raw websocket.

The baselines send frames captured from Sales Arena before the run, byte for byte (socket.io adds its
``42["board",…]`` envelope, 11 bytes): the snapshot a subscriber first gets, then per change the board
update (snapshot or diff, whatever the server sends; the median of a few deals on a board seasoned with 60
deals) and the celebration, so all three deliver the same two messages per board change. Nobody
negotiates compression. Every message a viewer gets counts as delivered, including any other notices
Sales Arena sends (the mix and mean size are printed per system). ``ARENA_WS_PER_IP`` is raised: every
viewer connects from 127.0.0.1.

Latency: a deal's id is ``bench-<CLOCK_MONOTONIC ns>`` taken just before the POST, and the celebration each
viewer receives carries ``"event": "api:<id>"``; the baselines stamp their celebration the same way just
before broadcasting. Arrival is the kernel's receive timestamp of the socket read (``SO_TIMESTAMPNS``), so
the viewer process's own queueing is left out. The celebration follows the board update of the same change, so
a sample is deal → board and celebration on that viewer: for Sales Arena ingestion, scoring in Redis,
pub/sub, the hub's coalescing and the fan-out; for the baselines the fan-out only. p50/p99 are over all
samples of all viewers (0.1 ms buckets).

Per system and size: connect N viewers (64 handshakes in flight) and measure **idle memory**:
(VmRSS with N idle subscribed viewers − VmRSS with 0, after one warm-up viewer) / N. Then traffic on, 3 s
warm-up, and a measured window of ``--seconds``: messages delivered to the viewers, latency samples, and
utime+stime of the server process from /proc/<pid>/stat → **server CPU ms per 1,000 delivered messages**.
The CPU of the viewers, Redis and this script, what the machine spent besides (other processes, softirq)
and hypervisor steal are printed too: on a shared 2-core machine the viewers and neighbours compete with
the server, so compare systems within one run, and distrust a window where "not ours" is large.

Everything is bounded (timeouts on every wait, a fixed number of sizes and windows) and every process
started is stopped at the end, also on Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.bench_support.measure import MachineCpu, cpu_ms, percentile_ms, rss_kb
from scripts.bench_support.pool import ViewerPool
from scripts.bench_support.systems import (
    ArenaKeys,
    ArenaSystem,
    Org,
    RawSystem,
    SocketIOSystem,
    System,
    install_socketio,
    stop_process,
)
from server.embedded_redis import EmbeddedRedis

DEFAULT_SIZES = (1_000, 5_000, 10_000)
RATE = 4.0  # board changes per second, for all three systems
MESSAGES_PER_CHANGE = 2  # a board update and a celebration
WARMUP_SECONDS = 3.0
SETTLE_SECONDS = 2.0
TARGET_CPU_VS_SOCKETIO = 0.8
TARGET_P99_VS_RAW = 1.3
TARGET_P99_AT_VIEWERS = 10_000
TARGET_IDLE_KB = 20.0
NOISY_PCT_OF_CORE = 30  # CPU not spent by our processes beyond this (% of a core) marks a window as noisy


@dataclass
class Result:
    """One system at one size."""

    system: str
    viewers: int
    connected: int = 0
    connect_seconds: float = 0.0
    connect_errors: dict[str, int] = field(default_factory=dict)
    idle_kb_per_conn: float | None = None
    seconds: float = 0.0
    messages: int = 0
    cpu_ms: float = 0.0
    other_cpu_ms: dict[str, float] = field(default_factory=dict)
    latency: dict[int, int] = field(default_factory=dict)
    machine_busy_ms: float = 0.0
    steal_pct: float = 0.0
    viewers_report: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def messages_per_s(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_1k(self) -> float | None:
        return self.cpu_ms / (self.messages / 1000) if self.messages else None

    @property
    def p50_ms(self) -> float | None:
        return percentile_ms(self.latency, 0.50)

    @property
    def p99_ms(self) -> float | None:
        return percentile_ms(self.latency, 0.99)

    @property
    def delivered_pct(self) -> float:
        expected = self.connected * RATE * MESSAGES_PER_CHANGE * self.seconds
        return 100 * self.messages / expected if expected else 0.0


# --- measuring one system ----------------------------------------------------------------------


async def connect_idle(system: System, pool: ViewerPool, result: Result) -> None:
    """Connect the viewers and measure the server's idle memory per connection."""
    await pool.connect(system.ws_url, 1, system.mode, system.subscribe)  # warm the code paths
    await pool.drop()
    await asyncio.sleep(1.0)
    rss_before = rss_kb(system.pid)
    connected = await pool.connect(system.ws_url, result.viewers, system.mode, system.subscribe)
    result.connected = connected["connected"]
    result.connect_seconds = connected["seconds"]
    result.connect_errors = connected["errors"]
    await asyncio.sleep(SETTLE_SECONDS)
    if result.connected:
        result.idle_kb_per_conn = (rss_kb(system.pid) - rss_before) / result.connected


async def measured_window(
    system: System, pool: ViewerPool, seconds: float, result: Result, profile: Path | None
) -> None:
    """Traffic is on: count what the viewers get and what the processes spend during ``seconds``."""
    others = {**system.helper_pids, "bench": os.getpid(), **{f"viewers{i}": p for i, p in enumerate(pool.pids)}}
    profiler = await start_profiler(system.pid, seconds, profile) if profile else None
    try:
        if profiler is not None:
            others["py-spy"] = profiler.pid
        cpu_before, others_before, machine_before = cpu_ms(system.pid), read_cpu(others), MachineCpu.read()
        await pool.mark()
        started = time.monotonic()
        await asyncio.sleep(seconds)
        report = await pool.report()
        result.seconds = time.monotonic() - started
        result.cpu_ms = cpu_ms(system.pid) - cpu_before
        result.other_cpu_ms = {k: v - others_before[k] for k, v in read_cpu(others).items()}
        machine = MachineCpu.read()
        result.machine_busy_ms, result.steal_pct = machine.busy_ms(machine_before), machine.steal_pct(machine_before)
        result.messages = report.pop("messages")
        result.latency = report.pop("latency")
        result.viewers_report = report
        if profiler is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(profiler.wait(), 30)
            result.note = f"py-spy profile (collapsed stacks): {profile}"
    finally:
        await stop_process(profiler)


def read_cpu(pids: dict[str, int]) -> dict[str, float]:
    """CPU ms so far per named process; 0 for one that has exited."""
    readings = {}
    for name, pid in pids.items():
        try:
            readings[name] = cpu_ms(pid)
        except OSError:
            readings[name] = 0.0
    return readings


async def start_profiler(pid: int, seconds: float, out: Path) -> asyncio.subprocess.Process | None:
    """py-spy (if installed) samples the server during the window; it costs the server some CPU."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("    (no py-spy: .venv/bin/pip install py-spy)")
        return None
    args = ["record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "100", "--nonblocking"]
    return await asyncio.create_subprocess_exec(
        py_spy, *args, "--format", "raw", "--output", str(out),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def measure(system: System, pool: ViewerPool, viewers: int, seconds: float, profile: Path | None) -> Result:
    result = Result(system=system.name, viewers=viewers)
    try:
        await system.start()
        await connect_idle(system, pool, result)
        if result.connected:
            await system.start_traffic()
            await asyncio.sleep(WARMUP_SECONDS)
            await measured_window(system, pool, seconds, result, profile)
            await system.stop_traffic()
            result.note = "; ".join(note for note in (system.traffic_note, result.note) if note)
    finally:
        with contextlib.suppress(Exception):
            await pool.drop()
        await system.stop()
    print_result(result)
    return result


# --- printing ----------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


def core_pct(ms: float, seconds: float) -> str:
    return f"{ms / seconds / 10:.0f}%"


def print_result(r: Result) -> None:
    """Four lines per system: connections, delivery, server CPU and latency, everyone's CPU."""
    errors = f" · errors {json.dumps(r.connect_errors)}" if r.connect_errors else ""
    print(
        f"  {r.system:15} {r.connected:,}/{r.viewers:,} viewers in {r.connect_seconds:.1f} s{errors}"
        f" · idle {fmt(r.idle_kb_per_conn, unit=' KB/conn')}"
    )
    if not r.seconds:
        return
    indent = " " * 18
    report = r.viewers_report
    mix = ", ".join(f"{op} {n / max(1, r.messages):.0%}" for op, n in report.get("ops", {}).items())
    mean_size = report.get("payload_bytes", 0) / max(1, r.messages)
    spread = f"{report.get('per_viewer_min')}/{report.get('per_viewer_median')}/{report.get('per_viewer_max')}"
    closed = f" · {report['closed']} closed, codes {report.get('close_codes')}" if report.get("closed") else ""
    print(
        f"{indent}{r.messages_per_s:,.0f} msg/s delivered ({mix}; mean {mean_size:,.0f} B) = {r.delivered_pct:.0f}% of "
        f"{RATE:g}×{MESSAGES_PER_CHANGE}×viewers · per viewer min/median/max {spread}{closed}"
    )
    print(
        f"{indent}server CPU {core_pct(r.cpu_ms, r.seconds)} of a core = {fmt(r.cpu_ms_per_1k, 2, ' ms')} per 1k msgs"
        f" · latency p50 {fmt(r.p50_ms, unit=' ms')} p99 {fmt(r.p99_ms, unit=' ms')} (n={sum(r.latency.values()):,})"
    )
    viewer_cpu = sum(v for k, v in r.other_cpu_ms.items() if k.startswith("viewers"))
    helpers = "".join(f" · {k} {core_pct(v, r.seconds)}" for k, v in r.other_cpu_ms.items() if "viewers" not in k)
    unattributed = r.machine_busy_ms - r.cpu_ms - sum(r.other_cpu_ms.values())
    noisy = unattributed / r.seconds / 10 > NOISY_PCT_OF_CORE
    print(
        f"{indent}CPU in % of a core: viewers {core_pct(viewer_cpu, r.seconds)}{helpers}"
        f" · not ours (other processes, softirq) {core_pct(unattributed, r.seconds)}"
        f" · machine {core_pct(r.machine_busy_ms, r.seconds)} of {cpu_count() * 100}%, steal {r.steal_pct:.1f}%"
        + (" · NOISY: other load competed for the CPU, latencies are suspect" if noisy else "")
    )
    if r.note:
        print(f"{indent}{r.note}")


def cpu_count() -> int:
    return os.cpu_count() or 1


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def verdict(value: float | None, limit: float) -> str:
    return "n/a" if value is None else ("met" if value <= limit else "NOT met")


def summarise(viewers: int, arena: Result, raw: Result, socketio: Result | None) -> dict[str, Any]:
    """Print the ratios against the targets; return the size's JSON line."""
    vs_socketio = ratio(arena.cpu_ms_per_1k, socketio.cpu_ms_per_1k if socketio else None)
    vs_raw = ratio(arena.cpu_ms_per_1k, raw.cpu_ms_per_1k)
    p99_ratio = ratio(arena.p99_ms, raw.p99_ms)
    p99_scope = "" if viewers == TARGET_P99_AT_VIEWERS else f" (the target is for {TARGET_P99_AT_VIEWERS:,} viewers)"
    print(f"  ratios at {viewers:,} viewers:")
    print(
        f"    CPU per 1k msgs: arena {fmt(arena.cpu_ms_per_1k, 2, ' ms')}, socket.io "
        f"{fmt(socketio.cpu_ms_per_1k if socketio else None, 2, ' ms')}, raw {fmt(raw.cpu_ms_per_1k, 2, ' ms')}"
        f" → arena/socket.io {fmt(vs_socketio, 2)} (target ≤ {TARGET_CPU_VS_SOCKETIO}: "
        f"{verdict(vs_socketio, TARGET_CPU_VS_SOCKETIO)}), arena/raw {fmt(vs_raw, 2)}"
    )
    print(
        f"    p99 latency: arena {fmt(arena.p99_ms, unit=' ms')}, raw {fmt(raw.p99_ms, unit=' ms')}"
        f" → {fmt(p99_ratio, 2)}"
        f" (target ≤ {TARGET_P99_VS_RAW}: {verdict(p99_ratio, TARGET_P99_VS_RAW)}{p99_scope})"
    )
    print(
        f"    idle memory: arena {fmt(arena.idle_kb_per_conn, unit=' KB/conn')} (target ≤ {TARGET_IDLE_KB:g}: "
        f"{verdict(arena.idle_kb_per_conn, TARGET_IDLE_KB)}); raw {fmt(raw.idle_kb_per_conn)}, socket.io "
        f"{fmt(socketio.idle_kb_per_conn if socketio else None)}"
    )
    return {
        "viewers": viewers,
        "cpu_ms_per_1k": rounded(arena.cpu_ms_per_1k),
        "socketio_cpu_ms_per_1k": rounded(socketio.cpu_ms_per_1k) if socketio else None,
        "raw_cpu_ms_per_1k": rounded(raw.cpu_ms_per_1k),
        "ratio_vs_socketio": rounded(vs_socketio),
        "p99_ms": rounded(arena.p99_ms),
        "raw_p99_ms": rounded(raw.p99_ms),
        "p99_ratio": rounded(p99_ratio),
        "idle_kb_per_conn": rounded(arena.idle_kb_per_conn, 2),
    }


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Run:
    workdir: Path
    redis: EmbeddedRedis
    keys: ArenaKeys
    pool: ViewerPool
    seconds: float
    node_modules: Path | None
    profile_dir: Path | None
    org: Org | None = None
    payload: Path = Path()
    subscribe: str = ""

    def arena(self) -> ArenaSystem:
        redis_pid = self.redis.process.pid if self.redis.process else None
        return ArenaSystem(self.workdir, self.redis.url, redis_pid, self.keys, RATE, self.org)

    async def calibrate(self) -> None:
        """Create the contest and capture the frames the baselines will send."""
        arena = self.arena()
        try:
            await arena.start()
            frames = await arena.capture_frames()
            self.org, self.subscribe = arena.org, arena.subscribe
        finally:
            await arena.stop()
        self.payload = self.workdir / "payload.json"
        self.payload.write_text(json.dumps(frames, ensure_ascii=False))
        size = {name: len(text.encode()) for name, text in frames.items()}
        update_op = json.loads(frames["update"])["op"]
        print(
            f"payload captured from Sales Arena: snapshot {size['snapshot']:,} B (on subscribe), board update "
            f"({update_op}) {size['update']:,} B + celebration {size['celebrate']:,} B per change"
        )

    async def size(self, viewers: int) -> dict[str, Any]:
        print(f"\n== {viewers:,} viewers, {self.seconds:g} s window, {RATE:g} board changes/s")
        profile = self.profile_dir / f"arena-{viewers}.txt" if self.profile_dir else None
        arena = await measure(self.arena(), self.pool, viewers, self.seconds, profile)
        raw_system = RawSystem(self.workdir, self.payload, RATE, self.subscribe)
        raw = await measure(raw_system, self.pool, viewers, self.seconds, None)
        socketio = None
        if self.node_modules is not None:
            system = SocketIOSystem(self.workdir, self.payload, RATE, self.node_modules)
            socketio = await measure(system, self.pool, viewers, self.seconds, None)
        return summarise(viewers, arena, raw, socketio)


async def report_background_load(seconds: float = 2.0) -> None:
    """The machine is shared: say how busy it is before we add anything."""
    before = MachineCpu.read()
    await asyncio.sleep(seconds)
    after = MachineCpu.read()
    busy = core_pct(after.busy_ms(before), seconds)
    print(
        f"machine before the run: {busy} busy of {cpu_count() * 100}% ({cpu_count()} cores), "
        f"steal {after.steal_pct(before):.1f}%"
    )


def raise_fd_limit(viewers: int) -> None:
    """Raise the soft RLIMIT_NOFILE to the hard one; children (servers, Node, Redis) inherit it."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    needed = viewers + 256  # the server holds one socket per viewer
    if hard != resource.RLIM_INFINITY and hard < needed:
        print(f"warning: RLIMIT_NOFILE hard limit {hard} < {needed} needed for {viewers:,} viewers")


@contextlib.contextmanager
def workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as name:
        yield Path(name)


async def prepare_socketio(skip: bool, work: Path) -> Path | None:
    if skip:
        print("socket.io: skipped (--skip-socketio); its fields are null")
        return None
    print("socket.io: npm install socket.io@4 into a temp dir …", flush=True)
    node_modules, note = await install_socketio(work)
    print(f"socket.io: {note}" + ("" if node_modules else "; skipping it, its fields are null"))
    return node_modules


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The whole benchmark; SIGTERM cancels it like Ctrl-C, so the clean-up runs either way."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    sizes = [args.viewers] if args.viewers else list(DEFAULT_SIZES)
    raise_fd_limit(max(sizes))
    with workdir(args.workdir) as work, EmbeddedRedis() as redis:
        node_modules = await prepare_socketio(args.skip_socketio, work)
        pool = ViewerPool(args.viewer_procs, work)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        bench = Run(work, redis, ArenaKeys.generate(), pool, args.seconds, node_modules, args.profile)
        try:
            await report_background_load()
            await pool.start()
            await bench.calibrate()
            return [await bench.size(viewers) for viewers in sizes]
        finally:
            await pool.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, help="one size only (default: 1000, 5000 and 10000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per system (default 10)")
    parser.add_argument("--skip-socketio", action="store_true", help="no Node baseline (its fields are null)")
    parser.add_argument(
        "--viewer-procs", type=int, default=2, help="viewer processes (default 2: one lags behind 10k sockets' bursts)"
    )
    parser.add_argument("--profile", type=Path, help="py-spy the Sales Arena server into DIR/arena-N.txt")
    parser.add_argument("--workdir", type=Path, help="keep logs and payload here instead of a temp dir")
    args = parser.parse_args(argv)
    if args.viewers is not None and not 1 <= args.viewers <= 100_000:
        parser.error("--viewers must be between 1 and 100000")
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be between 1 and 600")
    if not 1 <= args.viewer_procs <= 16:
        parser.error("--viewer-procs must be between 1 and 16")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        lines = asyncio.run(run(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted: every process started was stopped", file=sys.stderr)
        return 130
    print()
    for line in lines:
        print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
