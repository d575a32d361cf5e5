"""The phones benchmark in one process, without HTTP: both per-frame costs from one run, as a ratio.

A private Redis and the server's own ``Arena`` (its stores, registry and hub, default settings) hold a
contest of ``reps`` reps with one deal each (written by ``services.ingest``, as ``POST /api/v1/events``
writes them). ``phones`` viewers, each following a different rep, watch the contest's board and their own
``me:`` view, as the phone app does; ``tvs`` viewers watch the board. Every viewer has a real loopback TCP
connection (an asyncio transport, as uvicorn gives the server), whose far end discards what it reads.
Then ``rounds`` rounds, each ``deals`` won deals for reps with a phone (a seeded draw: every run makes the
same moves) and the wait for their celebrations on a TV. What the hub's flushes spent meanwhile is read
from the counters ``server/live/cpu_meter.py`` keeps (``arena_hub_cpu_seconds`` and ``arena_hub_frames``,
by path), so the two costs come from the same ticks and the machine's other load cannot move one
without the other.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server import gc_tuning, metrics
from server.arena import Arena
from server.config import Settings
from server.embedded_redis import EmbeddedRedis
from server.live.viewer import Viewer
from server.redis_connection import RedisDeployment
from server.services.ingest import ingest

CONTEST = "bench-phones"
TEAMS = 10
CHUNK = 1_000
CELEBRATE = b'"op":"celebrate"'


class Socket(asyncio.Protocol):
    """A viewer's connection: the transport the server writes to, ready unless its buffer is backed up."""

    def __init__(self) -> None:
        self.ready = False
        self.transport: asyncio.Transport | None = None
        self.celebrations = 0  # counted on the TVs' first socket only (``counting``)
        self.counting = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport, self.ready = transport, True

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)
        if self.counting:
            self.celebrations += data.count(CELEBRATE)

    def close(self, code: int, reason: str) -> None:
        self.ready = False

    def pause_writing(self) -> None:
        self.ready = False

    def resume_writing(self) -> None:
        self.ready = True


class Discard(asyncio.Protocol):
    """The screen's end: reads and forgets."""

    def data_received(self, data: bytes) -> None:
        pass


@dataclass
class Result:
    phone_ns: int
    phone_frames: int
    shared_ns: int
    shared_frames: int
    flusher_seconds: float
    process_seconds: float
    wall_seconds: float

    def summary(self) -> dict[str, Any]:
        per_phone = self.phone_ns / max(1, self.phone_frames) / 1000
        per_shared = self.shared_ns / max(1, self.shared_frames) / 1000
        return {
            "per_phone_frame_us": round(per_phone, 2),
            "per_shared_frame_us": round(per_shared, 2),
            "phone_frames": self.phone_frames,
            "shared_frames": self.shared_frames,
            "flusher_cpu_s": round(self.flusher_seconds, 3),
            "process_cpu_s": round(self.process_seconds, 3),
            "wall_s": round(self.wall_seconds, 2),
            "phone_cpu_ratio": round(per_phone / per_shared, 3) if per_shared else None,
        }


def counters() -> tuple[int, int, int, int]:
    cpu, frames = metrics.HUB_CPU.by_path, metrics.HUB_FRAMES.by_path
    return cpu["phone"], frames["phone"], cpu["shared"], frames["shared"]


async def make_contest(arena: Arena, reps: int) -> list[str]:
    """``reps`` reps in TEAMS teams, a live contest of all of them and one deal each (distinct scores)."""
    for t in range(TEAMS):
        await arena.registry.put_team({"id": f"t{t}", "name": f"战队 {t}", "color": ""}, "bench")
    ids = [f"r{r:05d}" for r in range(reps)]
    documents = [
        {"id": rep, "name": f"销售 {r}", "team": f"t{r % TEAMS}", "active": True, "opted_out": False, "aliases": {}}
        for r, rep in enumerate(ids)
    ]
    for first in range(0, reps, CHUNK):
        await arena.registry.put_reps(documents[first : first + CHUNK], "bench")
    now = datetime.now(UTC)
    definition = {
        "id": CONTEST,
        "name": "手机压测赛",
        "kind": "individual",
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=30)).isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
    }
    document = {"definition": definition, "state": "active", "version": 1, "epoch": 1, "history": []}
    await arena.registry.put_contest(document, "bench", "contest.create")
    deals = [won(f"seed-{i}", rep, 1000 * (1 + i), now) for i, rep in enumerate(ids)]
    for first in range(0, reps, CHUNK):
        answer = await ingest(arena, deals[first : first + CHUNK], now=now)
        assert answer["accepted"] == len(deals[first : first + CHUNK]), answer
    return ids


def won(deal: str, rep: str, amount: int, at: datetime) -> dict[str, Any]:
    return {"id": deal, "type": "deal.won", "rep": rep, "amount": str(amount), "currency": "CNY",
            "occurred_at": at.isoformat()}  # fmt: skip


async def connect(arena: Arena, port: int, count: int) -> list[Viewer]:
    loop = asyncio.get_running_loop()
    viewers = []
    for _ in range(count):
        _, socket = await loop.create_connection(Socket, "127.0.0.1", port)
        viewers.append(Viewer(socket, binary=False, public=False, batch=arena.hub.batch))
    return viewers


async def until(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.01)


async def measure(arena: Arena, phones: int, tvs: int, reps: int, rounds: int, deals: int) -> Result:
    ids = await make_contest(arena, reps)
    gc_tuning.freeze_startup_objects()  # as the server does once started, before screens connect
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Discard, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await arena.hub.start()
    try:
        board, me = f"contest:{CONTEST}", f"me:{CONTEST}"
        screens = await connect(arena, port, tvs)
        followed = ids[:: max(1, reps // phones)][:phones]
        for viewer in screens:
            assert await arena.hub.subscribe(viewer, board) is None
        for viewer, rep in zip(await connect(arena, port, phones), followed, strict=True):
            assert await arena.hub.subscribe(viewer, board) is None
            assert await arena.hub.subscribe(viewer, me, rep=rep) is None
        first = screens[0].link
        assert isinstance(first, Socket)
        first.counting = True
        draw, now, seen = random.Random(2026), datetime.now(UTC), 0

        async def round_of_deals(number: int) -> None:
            nonlocal seen
            batch = [
                won(f"d{number}-{i}", draw.choice(followed), draw.randrange(1, 50) * 1000, now) for i in range(deals)
            ]
            await ingest(arena, batch, now=now)
            seen += deals
            await until(lambda: first.celebrations >= seen, "the round's celebrations on a TV")

        for number in range(3):  # warm-up: the phones' board read in full once, caches filled
            await round_of_deals(-1 - number)
        before, cpu, started = counters(), time.process_time(), time.monotonic()
        for number in range(rounds):
            await round_of_deals(number)
        await asyncio.sleep(arena.hub.tick * 2)  # the last flush's histories recorded
        after = counters()
        phone_ns, phone_frames, shared_ns, shared_frames = (a - b for a, b in zip(after, before, strict=True))
        return Result(
            phone_ns, phone_frames, shared_ns, shared_frames,
            (phone_ns + shared_ns) / 1e9, time.process_time() - cpu, time.monotonic() - started,
        )  # fmt: skip
    finally:
        await arena.hub.stop()
        server.close()
        await arena.redis.aclose()


def run(phones: int, tvs: int, reps: int, rounds: int, deals: int) -> dict[str, Any]:
    """Start a private Redis and measure; the summary printed and returned."""
    with EmbeddedRedis() as redis:
        gc_tuning.configure()  # the server's collector settings (``server/gc_tuning.py``)
        arena = Arena(Settings(secret_key="bench-phones-in-process"), RedisDeployment(url=redis.url))
        result = asyncio.run(measure(arena, phones, tvs, reps, rounds, deals))
    line = {"phones": phones, "tvs": tvs, "rounds": rounds, "deals_per_round": deals, **result.summary()}
    print(
        f"  in process: {line['phone_frames']:,} phone frames at {line['per_phone_frame_us']} µs,"
        f" {line['shared_frames']:,} shared frames at {line['per_shared_frame_us']} µs"
        f" → ratio {line['phone_cpu_ratio']} (the flusher {line['flusher_cpu_s']} s of CPU, the process"
        f" {line['process_cpu_s']} s, in {line['wall_s']} s)",
        flush=True,
    )
    return line
