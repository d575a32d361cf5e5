"""The three systems under test, each a subprocess on 127.0.0.1 with the same small interface.

- ``ArenaSystem``: ``python -m server`` against the run's Redis; its traffic is deals posted over the HTTP API.
- ``RawSystem``: ``scripts/bench_support/raw_server.py`` (websockets + ``broadcast()``).
- ``SocketIOSystem``: ``scripts/bench_support/socketio_server.js`` with socket.io from a temp-dir npm install.

Every child starts in its own session (a Ctrl-C reaches only the benchmark, which stops them in order) and
gets SIGTERM from the kernel if the benchmark dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from scripts.bench_support.measure import STAMP_DIGITS, STAMP_MARK, stamp_now
from server.embedded_redis import die_with_parent, free_port

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = Path(__file__).resolve().parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
TEAMS, REPS_PER_TEAM = 5, 6
WS_PER_IP = 100_000
SEASONING_DEALS = 60  # before capturing frames, so the board has the spread of scores it has in a run
PROBE_DEALS = 6


async def spawn(
    args: list[str], log_path: Path, *, env: dict[str, str] | None = None, control: bool = True
) -> asyncio.subprocess.Process:
    """A child logging to ``log_path``; with ``control``, commands go to its stdin and replies come on stdout."""
    pipe = asyncio.subprocess.PIPE
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            *args,
            cwd=ROOT,
            env=env,
            stdin=pipe if control else asyncio.subprocess.DEVNULL,
            stdout=pipe if control else log,
            stderr=log,
            preexec_fn=die_with_parent,
            start_new_session=True,
            limit=16 * 1024 * 1024,
        )


async def stop_process(process: asyncio.subprocess.Process | None) -> None:
    """EOF on the control pipe (if any), then SIGTERM, then SIGKILL, each with a bounded wait."""
    if process is None or process.returncode is not None:
        return
    steps: list[tuple[Callable[[], None] | None, float]] = [(process.terminate, STOP_TIMEOUT), (process.kill, 5.0)]
    if process.stdin is not None:
        with contextlib.suppress(Exception):
            process.stdin.close()
        steps.insert(0, (None, 2.0))
    for send_signal, wait in steps:
        if send_signal is not None:
            with contextlib.suppress(ProcessLookupError):
                send_signal()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), wait)
            return


async def wait_for_ready_line(process: asyncio.subprocess.Process, log_path: Path) -> None:
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
    except TimeoutError:
        line = b""
    if line.strip() != b"ready":
        raise RuntimeError(f"{log_path.name}: did not start: {log_path.read_text(errors='replace')[-2000:]}")


class System:
    """What the benchmark needs from a server: start, a pid, a websocket URL, traffic on/off, stop."""

    name = "?"
    mode = "?"  # the viewers' mode, see viewers.py

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.subscribe = ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def helper_pids(self) -> dict[str, int]:
        """Other processes whose CPU belongs to this system (reported, not counted)."""
        return {}

    @property
    def ws_url(self) -> str:
        raise NotImplementedError

    @property
    def traffic_note(self) -> str:
        """What the traffic generator saw, for the report."""
        return ""

    async def start(self) -> None:
        raise NotImplementedError

    async def start_traffic(self) -> None:
        raise NotImplementedError

    async def stop_traffic(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        await stop_process(self.process)


# --- Sales Arena -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArenaKeys:
    admin: str
    ingest: str
    secret: str

    @classmethod
    def generate(cls) -> ArenaKeys:
        return cls(
            admin="ak_bench_admin_" + secrets.token_hex(16),
            ingest="ak_bench_ingest_" + secrets.token_hex(16),
            secret="bench-secret-" + secrets.token_hex(16),
        )


@dataclass(frozen=True)
class Org:
    contest: str
    reps: list[str]


def arena_env(redis_url: str, port: int, data_dir: Path, keys: ArenaKeys) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    env.update(
        ARENA_REDIS_URL=redis_url,
        ARENA_HOST="127.0.0.1",
        ARENA_PORT=str(port),
        ARENA_ADMIN_KEY=keys.admin,
        ARENA_INGEST_KEY=keys.ingest,
        ARENA_SECRET_KEY=keys.secret,
        ARENA_DATA_DIR=str(data_dir),
        ARENA_WS_PER_IP=str(WS_PER_IP),  # every viewer comes from 127.0.0.1; older servers ignore it
        ARENA_METRICS_TOKEN=keys.admin,  # the admin client reads /metrics (the hub's CPU by path)
        PYTHONUNBUFFERED="1",
    )
    return env


def deal_event(rep: str, amount: int) -> dict[str, Any]:
    """A won deal whose id carries its send time, so the celebration tells each viewer the latency."""
    return {
        "id": f"{STAMP_MARK.decode().removeprefix('api:')}{stamp_now()}",
        "type": "deal.won",
        "rep": rep,
        "amount": str(amount),
        "currency": "CNY",
        "occurred_at": datetime.now(UTC).isoformat(),
    }


async def make_org(admin: httpx.AsyncClient) -> Org:
    """5 teams × 6 reps and one live individual contest, through the public API."""
    run = secrets.token_hex(3)
    teams = [f"bench-{run}-t{t}" for t in range(TEAMS)]
    reps: list[str] = []
    for t, team in enumerate(teams):
        (await admin.put(f"/api/v1/teams/{team}", json={"name": f"战队 {t}"})).raise_for_status()
        for r in range(REPS_PER_TEAM):
            rep = f"{team}-r{r}"
            (await admin.put(f"/api/v1/reps/{rep}", json={"name": f"销售 {t}-{r}", "team": team})).raise_for_status()
            reps.append(rep)
    now = datetime.now(UTC)
    contest = {
        "id": f"bench-{run}",
        "name": "压测销冠赛",
        "kind": "individual",
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=30)).isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
        "team_score": "sum",
        "teams": teams,
    }
    (await admin.post("/api/v1/contests", json=contest)).raise_for_status()
    return Org(contest=contest["id"], reps=reps)


class DealPoster:
    """Posts one deal every ``1/rate`` seconds on a fixed schedule, whatever the server's response times.

    Open loop: a slow response does not delay the next deal (a closed loop would offer a struggling server
    less work and hide its latency). At most ``MAX_IN_FLIGHT`` requests are outstanding; a deal due beyond
    that is skipped and counted.
    """

    MAX_IN_FLIGHT = 32

    def __init__(self, base_url: str, ingest_key: str, reps: list[str], rate: float) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {ingest_key}"},
            timeout=30,
            limits=httpx.Limits(max_connections=self.MAX_IN_FLIGHT),
        )
        self.reps = reps
        self.interval = 1 / rate
        self.random = random.Random(7)
        self.in_flight: set[asyncio.Task[None]] = set()
        self.posted = 0
        self.failed = 0
        self.skipped = 0
        self.post_ms: list[float] = []  # request → response, to tell ingestion from fan-out latency

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        beat = 0
        while True:
            beat += 1
            await asyncio.sleep(max(0.0, started + beat * self.interval - loop.time()))
            if len(self.in_flight) >= self.MAX_IN_FLIGHT:
                self.skipped += 1
                continue
            event = deal_event(self.random.choice(self.reps), self.random.randrange(1_000, 80_000, 100))
            task = asyncio.create_task(self._post(event))
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)

    async def _post(self, event: dict[str, Any]) -> None:
        sent = time.perf_counter()
        try:
            response = await self.client.post("/api/v1/events", json=event)
            ok = response.status_code == 200 and response.json().get("accepted") == 1
        except httpx.HTTPError:
            ok = False
        self.post_ms.append((time.perf_counter() - sent) * 1000)
        self.posted += ok
        self.failed += not ok

    def summary(self) -> str:
        if not self.post_ms:
            return "no deal answered"
        times = sorted(self.post_ms)
        p50, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
        counts = ((self.failed, "failed"), (self.skipped, "skipped (too many in flight)"))
        problems = "".join(f", {n} {what}" for n, what in counts if n)
        return f"{self.posted} deals posted{problems}; POST p50 {p50:.1f} ms p99 {p99:.1f} ms"

    async def close(self) -> None:
        for task in self.in_flight:
            task.cancel()
        await asyncio.gather(*self.in_flight, return_exceptions=True)
        await self.client.aclose()


class ArenaSystem(System):
    name = "sales-arena"
    mode = "arena"

    def __init__(
        self, workdir: Path, redis_url: str, redis_pid: int | None, keys: ArenaKeys, rate: float, org: Org | None
    ) -> None:
        super().__init__(workdir)
        self.redis_url = redis_url
        self.redis_pid = redis_pid
        self.keys = keys
        self.rate = rate
        self.org = org  # None: the first start creates one
        self.poster: DealPoster | None = None
        self._posting: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws?token={self.keys.admin}"

    @property
    def helper_pids(self) -> dict[str, int]:
        return {"redis": self.redis_pid} if self.redis_pid else {}

    def admin(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, headers={"Authorization": f"Bearer {self.keys.admin}"})

    async def start(self) -> None:
        """Start the server, wait until it answers authorised calls, create the org unless given one."""
        data_dir = self.workdir / f"arena-{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.workdir / f"arena-{self.port}.log"
        env = arena_env(self.redis_url, self.port, data_dir, self.keys)
        self.process = await spawn([sys.executable, "-m", "server"], log_path, env=env, control=False)
        async with self.admin() as admin:
            await self._wait_ready(admin, log_path)
            self.org = self.org or await make_org(admin)
        self.subscribe = json.dumps({"op": "subscribe", "board": f"contest:{self.org.contest}"})

    async def _wait_ready(self, admin: httpx.AsyncClient, log_path: Path) -> None:
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT
        while asyncio.get_running_loop().time() < deadline:
            assert self.process is not None
            if self.process.returncode is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if (await admin.get("/api/v1/contests", timeout=1)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"sales-arena did not start: {log_path.read_text(errors='replace')[-2000:]}")

    async def capture_frames(self) -> dict[str, str]:
        """Real frames for the baselines' payload: the board as a subscriber first gets it, a board update
        after one deal on a seasoned board (whatever the server sends: snapshot or diff; the median size of
        a few) and a deal's celebration."""
        assert self.org is not None
        async with httpx.AsyncClient(base_url=self.base_url, timeout=15) as client:
            client.headers["Authorization"] = f"Bearer {self.keys.ingest}"
            rng = random.Random(3)
            seasoning = [
                deal_event(rng.choice(self.org.reps), rng.randrange(1_000, 80_000, 100)) for _ in range(SEASONING_DEALS)
            ]
            for index, event in enumerate(seasoning):
                event["id"] += f"-{index}"
            (await client.post("/api/v1/events", json=seasoning)).raise_for_status()
            await asyncio.sleep(0.5)
            return await self._probe(client)

    async def _probe(self, client: httpx.AsyncClient) -> dict[str, str]:
        assert self.org is not None
        subprotocols: Any = ["arena.v1.json"]
        frames: dict[str, str] = {}
        updates: list[str] = []
        board = json.loads(self.subscribe)["board"]
        async with asyncio.timeout(30), connect(self.ws_url, subprotocols=subprotocols, compression=None) as ws:
            await ws.send(self.subscribe)
            while "snapshot" not in frames:
                text = str(await ws.recv())
                if json.loads(text)["op"] == "snapshot":
                    frames["snapshot"] = text
            for index in range(PROBE_DEALS):
                posted = deal_event(self.org.reps[index], 30_000 + 1_000 * index)
                (await client.post("/api/v1/events", json=posted)).raise_for_status()
                while True:  # the board update comes first, then the celebration
                    text = str(await ws.recv())
                    message = json.loads(text)
                    if message["op"] in ("snapshot", "diff") and message.get("board") == board:
                        updates.append(text)
                    elif message["op"] == "celebrate" and message.get("event") == f"api:{posted['id']}":
                        frames["celebrate"] = text
                        break
                await asyncio.sleep(0.3)  # past the hub's tick, so each deal gets its own update
        if not updates:
            raise RuntimeError("no board update after the probe deals")
        frames["update"] = sorted(updates, key=len)[len(updates) // 2]
        at = frames["celebrate"].find(STAMP_MARK.decode())
        if at < 0 or not frames["celebrate"][at + len(STAMP_MARK) :][:STAMP_DIGITS].isdigit():
            raise RuntimeError(f"celebration does not carry the event id: {frames['celebrate']}")
        return frames

    async def start_traffic(self) -> None:
        assert self.org is not None
        self.poster = DealPoster(self.base_url, self.keys.ingest, self.org.reps, self.rate)
        self._posting = asyncio.create_task(self.poster.run())

    @property
    def traffic_note(self) -> str:
        return f"warm-up + window: {self.poster.summary()}" if self.poster else ""

    async def stop_traffic(self) -> None:
        if self._posting is not None:
            self._posting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._posting
            self._posting = None
            if self.poster is not None:
                await self.poster.close()

    async def stop(self) -> None:
        await self.stop_traffic()
        await super().stop()


# --- baselines ---------------------------------------------------------------------------------


class BaselineSystem(System):
    """A baseline server broadcasting the captured frames; ``start``/``stop`` lines on its stdin."""

    def __init__(self, workdir: Path, payload: Path, rate: float) -> None:
        super().__init__(workdir)
        self.payload = payload
        self.rate = rate

    def command(self) -> tuple[list[str], dict[str, str] | None]:
        raise NotImplementedError

    async def start(self) -> None:
        log_path = self.workdir / f"{self.name}-{self.port}.log"
        args, env = self.command()
        self.process = await spawn(args, log_path, env=env)
        await wait_for_ready_line(self.process, log_path)

    async def _tell(self, line: str) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def start_traffic(self) -> None:
        await self._tell("start")

    async def stop_traffic(self) -> None:
        await self._tell("stop")


class RawSystem(BaselineSystem):
    name = "raw-websockets"
    mode = "raw"

    def __init__(self, workdir: Path, payload: Path, rate: float, subscribe: str) -> None:
        super().__init__(workdir, payload, rate)
        self.subscribe = subscribe

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def command(self) -> tuple[list[str], dict[str, str] | None]:
        module = "scripts.bench_support.raw_server"
        args = ["--port", str(self.port), "--payload", str(self.payload), "--rate", str(self.rate)]
        return [sys.executable, "-m", module, *args], None


class SocketIOSystem(BaselineSystem):
    name = "socket.io"
    mode = "socketio"

    def __init__(self, workdir: Path, payload: Path, rate: float, node_modules: Path) -> None:
        super().__init__(workdir, payload, rate)
        self.node_modules = node_modules

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/socket.io/?EIO=4&transport=websocket"

    def command(self) -> tuple[list[str], dict[str, str] | None]:
        node = shutil.which("node") or "node"
        script = str(SUPPORT / "socketio_server.js")
        env = {**os.environ, "NODE_PATH": str(self.node_modules)}
        return [node, script, str(self.port), str(self.payload), str(self.rate)], env


async def install_socketio(workdir: Path) -> tuple[Path | None, str]:
    """``npm install socket.io`` into a temp dir: (node_modules, version) or (None, why not)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        return None, "node/npm not found on PATH"
    target = workdir / "socketio"
    target.mkdir(parents=True, exist_ok=True)
    (target / "package.json").write_text('{"name": "arena-bench-socketio", "private": true}\n')
    log_path = workdir / "npm-install.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "socket.io@4",
            cwd=target, stdout=log, stderr=log, stdin=asyncio.subprocess.DEVNULL,
            preexec_fn=die_with_parent, start_new_session=True,
        )  # fmt: skip
        try:
            code = await asyncio.wait_for(process.wait(), 300)
        except TimeoutError:
            await stop_process(process)
            return None, "npm install socket.io timed out after 300 s"
    if code != 0:
        return None, f"npm install socket.io failed ({code}): {log_path.read_text(errors='replace')[-500:]}"
    manifest = target / "node_modules" / "socket.io" / "package.json"
    return target / "node_modules", "socket.io " + json.loads(manifest.read_text())["version"]
