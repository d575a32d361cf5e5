"""What the benchmark reads from Linux and how it summarises latencies.

CPU time comes from ``/proc/<pid>/stat`` (utime + stime of the whole thread group, so Node's helper threads
count too), memory from ``VmRSS`` in ``/proc/<pid>/status``, machine load and hypervisor steal from
``/proc/stat``. Latencies are kept as mergeable histograms of 0.1 ms buckets.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BUCKET_NS = 100_000  # latency histogram resolution: 0.1 ms
STAMP_MARK = b"api:bench-"  # event ids are "bench-<monotonic ns, 20 digits>"; celebrations carry "api:<id>"
STAMP_DIGITS = 20


def stamp_now() -> str:
    """The send time as it travels inside an event id: CLOCK_MONOTONIC nanoseconds, fixed width.

    CLOCK_MONOTONIC is one clock for every process of the machine; Node's ``process.hrtime`` reads it too.
    """
    return f"{time.monotonic_ns():0{STAMP_DIGITS}d}"


def cpu_ms(pid: int) -> float:
    """User + system CPU the process has used so far, in milliseconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) * 1000 / CLOCK_TICKS


def rss_kb(pid: int) -> int:
    """Resident set size in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


@dataclass(frozen=True)
class MachineCpu:
    """Counters of the first line of /proc/stat, in clock ticks."""

    busy: int
    steal: int
    total: int

    @classmethod
    def read(cls) -> MachineCpu:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
        return cls(busy=user + nice + system + irq + softirq, steal=steal, total=sum(values[:8]))

    def busy_ms(self, earlier: MachineCpu) -> float:
        """CPU time all cores spent busy between two readings (every process, interrupts included)."""
        return (self.busy - earlier.busy) * 1000 / CLOCK_TICKS

    def steal_pct(self, earlier: MachineCpu) -> float:
        """Share of the time the hypervisor gave our cores to someone else."""
        return 100 * (self.steal - earlier.steal) / max(1, self.total - earlier.total)


def merge_histograms(histograms: list[Mapping[str, int]]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            merged[int(bucket)] = merged.get(int(bucket), 0) + count
    return merged


def percentile_ms(histogram: Mapping[int, int], fraction: float) -> float | None:
    """The latency below which ``fraction`` of the samples fall (upper edge of its bucket), in ms."""
    total = sum(histogram.values())
    if total == 0:
        return None
    wanted = fraction * total
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= wanted:
            return (bucket + 1) * BUCKET_NS / 1e6
    return (max(histogram) + 1) * BUCKET_NS / 1e6
