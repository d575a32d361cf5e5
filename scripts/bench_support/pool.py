"""The benchmark's side of the viewer processes (``viewers.py``): spread commands, merge the replies."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from scripts.bench_support.measure import merge_histograms
from scripts.bench_support.systems import spawn, stop_process

REPLY_TIMEOUT = 30.0
# Handshakes in flight across all viewer processes. Sales Arena answers a handshake with HTTP 500 when more than
# 100 Redis calls are in flight at once (redis-py's default pool size), so stay below that.
HANDSHAKES_IN_FLIGHT = 64


class ViewerPool:
    """``processes`` viewer processes, kept for the whole run so every system meets the same viewers."""

    def __init__(self, processes: int, log_dir: Path) -> None:
        self.size = processes
        self.log_dir = log_dir
        self.processes: list[asyncio.subprocess.Process] = []

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    async def start(self) -> None:
        for index in range(self.size):
            log_path = self.log_dir / f"viewers-{index}.log"
            self.processes.append(await spawn([sys.executable, "-m", "scripts.bench_support.viewers"], log_path))

    async def close(self) -> None:
        await asyncio.gather(*(stop_process(p) for p in self.processes))

    async def _ask(self, process: asyncio.subprocess.Process, command: dict[str, Any], timeout: float) -> dict:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(command).encode() + b"\n")
        await process.stdin.drain()
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"viewer process {process.pid} exited (see {self.log_dir}/viewers-*.log)")
        reply = json.loads(line)
        if not reply.pop("ok"):
            raise RuntimeError(f"viewer process {process.pid}: {reply['error']}")
        return reply

    async def _ask_all(self, commands: list[dict[str, Any]], timeout: float = REPLY_TIMEOUT) -> list[dict]:
        asks = (self._ask(p, c, timeout) for p, c in zip(self.processes, commands, strict=True))
        return list(await asyncio.gather(*asks))

    async def connect(
        self, url: str, count: int, mode: str, subscribe: str, cookies: list[str] | None = None
    ) -> dict[str, Any]:
        """Open ``count`` viewers spread over the processes (with a session cookie each, when given: phones);
        returns connected, seconds and error counts."""
        shares = [count // self.size + (i < count % self.size) for i in range(self.size)]
        firsts = [sum(shares[:i]) for i in range(self.size)]
        timeout = 60 + count / 50
        commands = [
            {"cmd": "connect", "url": url, "count": share, "mode": mode, "subscribe": subscribe}
            | {"concurrency": max(1, HANDSHAKES_IN_FLIGHT // self.size), "timeout": timeout}
            | ({"cookies": cookies[first : first + share]} if cookies else {})
            for share, first in zip(shares, firsts, strict=True)
        ]
        replies = await self._ask_all(commands, timeout + REPLY_TIMEOUT)
        errors: Counter[str] = Counter()
        for reply in replies:
            errors.update(reply["errors"])
        return {
            "connected": sum(r["connected"] for r in replies),
            "seconds": max(r["seconds"] for r in replies),
            "errors": dict(errors),
        }

    async def mark(self) -> None:
        await self._ask_all([{"cmd": "mark"}] * self.size)

    async def report(self) -> dict[str, Any]:
        replies = await self._ask_all([{"cmd": "report"}] * self.size)
        codes: Counter[str] = Counter()
        ops: Counter[str] = Counter()
        for reply in replies:
            codes.update(reply["close_codes"])
            ops.update(reply["ops"])
        return {
            "messages": sum(r["messages"] for r in replies),
            "payload_bytes": sum(r["payload_bytes"] for r in replies),
            "ops": dict(ops.most_common()),
            "latency": merge_histograms([r["latency"] for r in replies]),
            "me_latency": merge_histograms([r.get("me_latency", {}) for r in replies]),
            "open": sum(r["open"] for r in replies),
            "closed": sum(r["closed"] for r in replies),
            "close_codes": dict(codes),
            "per_viewer_min": min(r["per_viewer_min"] for r in replies),
            "per_viewer_max": max(r["per_viewer_max"] for r in replies),
            "per_viewer_median": sorted(r["per_viewer_median"] for r in replies)[self.size // 2],
        }

    async def drop(self) -> None:
        await self._ask_all([{"cmd": "drop"}] * self.size)
