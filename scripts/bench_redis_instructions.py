"""What an event costs Redis in instructions, per write script, against the minimal scoring script.

    python -m scripts.bench_redis_instructions [--events 2000] [--warm 4000]

``bench_ingest`` reads Redis's CPU time, which a busy machine inflates and scatters (other processes take the
caches and the cores). This runs a private redis-server under Valgrind's callgrind and counts the instructions
Redis executes: the same events give the same counts on any machine, loaded or not, so a change to the scripts
is measured to the percent. The events and the contest are bench_ingest's; ``--warm`` events are written first
(so the sets and hashes have the sizes of a running contest), then each script runs alone over ``--events``
other events (the log entries, the contest changes, the XP), then the three as ingestion writes them (each event
logged and applied in the same batches, as ``bench_ingest``'s ceiling does: a batch then holds a third of the events,
so its once-per-batch work weighs more per event) over a third set, then the minimal script.
Needs ``valgrind`` (and its ``callgrind_control``). The script ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game.store import Plan, Store  # noqa: E402
from scripts.bench_ingest import PIPELINE, REPS_PER_TEAM, TEAMS, decide_plans, make_events, minimal  # noqa: E402
from scripts.bench_support.contest import bench_contest  # noqa: E402
from server.embedded_redis import EmbeddedRedis, find_redis_server  # noqa: E402


class Counter:
    """Callgrind's instruction count of one redis-server, read phase by phase (instrumentation on only then)."""

    def __init__(self, pid: int, out_dir: Path) -> None:
        self.pid, self.out_dir, self.dumps = pid, out_dir, 0

    def start(self) -> None:
        subprocess.run(["callgrind_control", "-z", str(self.pid)], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-i", "on", str(self.pid)], check=True, capture_output=True)

    def stop(self) -> int:
        """Instructions since ``start``."""
        subprocess.run(["callgrind_control", "-i", "off", str(self.pid)], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "-d", str(self.pid)], check=True, capture_output=True)
        self.dumps += 1
        dump = self.out_dir / f"callgrind.out.{self.dumps}"
        totals = [line for line in dump.read_text().splitlines() if line.startswith("totals:")]
        if not totals:
            raise RuntimeError(f"no instruction total in {dump}")
        return int(totals[-1].split()[1])


def redis_under_callgrind(work: Path) -> Path:
    """A launcher of redis-server under callgrind, counting nothing until asked."""
    launcher = work / "redis-server"
    launcher.write_text(
        "#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no "
        f'--callgrind-out-file={work}/callgrind.out {find_redis_server()} "$@"\n'
    )
    launcher.chmod(0o755)
    return launcher


async def measure(
    redis_url: str, counter: Counter, warm: list[Plan], plans: list[Plan], together: list[Plan]
) -> dict[str, float]:
    """Instructions per event of each write script alone, of the three as ingestion writes them (``together``:
    other events, each logged and applied in the same batches), and of the minimal script."""
    redis = Redis.from_url(redis_url)
    store = Store(redis)
    for offset in range(0, len(warm), PIPELINE):
        await store.write_events(warm[offset : offset + PIPELINE])
    phases = {
        "append_event": ([Plan(p.event, ()) for p in plans], True),
        "apply_contest": ([Plan(p.event, p.changes) for p in plans], False),
        "apply_xp": ([Plan(p.event, (), p.xp) for p in plans], False),
    }
    figures: dict[str, float] = {}
    for name, (phase, log) in phases.items():
        counter.start()
        for offset in range(0, len(phase), PIPELINE):
            await store.write_events(phase[offset : offset + PIPELINE], log=log)
        figures[name] = counter.stop() / len(phase)
    counter.start()
    for offset in range(0, len(together), PIPELINE):
        await store.write_events(together[offset : offset + PIPELINE])
    figures["ingestion"] = counter.stop() / len(together)
    await redis.aclose()
    await minimal(redis_url, warm)  # its dedupe hash and boards as big as ours
    counter.start()
    await minimal(redis_url, plans)
    figures["minimal"] = counter.stop() / len(plans)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, help="events measured")
    parser.add_argument("--warm", type=int, default=4000, help="events written first, not measured")
    args = parser.parse_args()
    if shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed (callgrind_control not found)")
    zone = ZoneInfo("Asia/Shanghai")
    reps = [f"bench-t{t}-r{r}" for t in range(TEAMS) for r in range(REPS_PER_TEAM)]
    definition = bench_contest("bench-" + uuid.uuid4().hex[:6], datetime.now(UTC))
    warm = decide_plans(definition, reps, make_events(reps, args.warm, seed=1), zone, "warm-")
    plans = decide_plans(definition, reps, make_events(reps, args.events, seed=3), zone, "count-")
    together = decide_plans(definition, reps, make_events(reps, args.events, seed=5), zone, "both-")
    with tempfile.TemporaryDirectory() as work:
        embedded = EmbeddedRedis(binary=str(redis_under_callgrind(Path(work)))).start(timeout=120)
        try:
            assert embedded.process is not None
            counter = Counter(embedded.process.pid, Path(work))
            figures = asyncio.run(measure(embedded.url, counter, warm, plans, together))
        finally:
            embedded.stop()
    ours = figures["append_event"] + figures["apply_contest"] + figures["apply_xp"]
    for name, instructions in figures.items():
        print(f"{name:<14}{instructions:10,.0f} instructions/event")
    print(f"cost ratio    {ours / figures['minimal']:10.2f} ours ÷ minimal (instructions, each script alone)")
    together = figures["ingestion"] / figures["minimal"]
    print(f"              {together:10.2f} as ingestion writes them (the three in each batch)")
    print(
        json.dumps(
            {
                **{f"{name}_instructions": round(value) for name, value in figures.items()},
                "instructions_per_event": round(ours),
                "instruction_ratio": round(ours / figures["minimal"], 2),
                "ingestion_instruction_ratio": round(together, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
