"""Real parts only: a private redis-server for the session, the real server in a subprocess on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from server.embedded_redis import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parent.parent
ADMIN_KEY = "ak_test_admin_" + uuid.uuid4().hex
INGEST_KEY = "ak_test_ingest_" + uuid.uuid4().hex
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        assert server.port != 6379
        yield server


@pytest.fixture
def redis_client(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@dataclass
class RunningServer:
    port: int
    redis_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=Path)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 20.0, ready: bool = True) -> RunningServer:
        """Start and wait until it serves: ``/readyz`` (keys in place) or, with ``ready=False``, ``/healthz``."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.base_url + ("/readyz" if ready else "/healthz"), timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not come up: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=15)

    def ingest(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {INGEST_KEY}"}, timeout=15)


def server_env(redis_url: str, port: int, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    env.update(
        ARENA_REDIS_URL=redis_url,
        ARENA_PORT=str(port),
        ARENA_HOST="127.0.0.1",
        ARENA_ADMIN_KEY=ADMIN_KEY,
        ARENA_INGEST_KEY=INGEST_KEY,
        ARENA_ADMIN_PASSWORD="admin-test-password",
        ARENA_SECRET_KEY="test-secret-" + uuid.uuid4().hex,
        ARENA_DATA_DIR=str(data_dir),
        ARENA_TICK_MS="100",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def launch_server(redis_url: str, tmp: Path, ready: bool = True, **extra: str) -> RunningServer:
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    server = RunningServer(
        port=port,
        redis_url=redis_url,
        env=server_env(redis_url, port, tmp, **extra),
        log_path=tmp / f"server-{port}.log",
    )
    return server.start(ready=ready)


@pytest.fixture(scope="session")
def server(redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = launch_server(redis_server.url, tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


@pytest.fixture
def admin(server: RunningServer) -> Iterator[httpx.Client]:
    with server.admin() as client:
        yield client


@pytest.fixture
def ingest(server: RunningServer) -> Iterator[httpx.Client]:
    with server.ingest() as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Org:
    """A small organisation made through the public API: teams, reps and one live contest."""

    contest: str
    teams: list[str]
    reps: list[str]
    definition: dict[str, Any]


CONTESTS_START = "2026-11-01T00:00:00+08:00"  # before the fixed dates the tests' deals carry


def live_until(days: int = 60) -> str:
    """An end some weeks after today, so a test's contest is running whenever the suite runs (and stays
    within the 388-day limit from ``CONTESTS_START`` until late 2027)."""
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def make_org(admin: httpx.Client, *, teams: int = 2, reps_per_team: int = 3, **contest: Any) -> Org:
    team_ids = [unique("team") for _ in range(teams)]
    rep_ids: list[str] = []
    for t_index, team_id in enumerate(team_ids):
        assert admin.put(f"/api/v1/teams/{team_id}", json={"name": f"战队 {t_index}"}).status_code == 201
        for r_index in range(reps_per_team):
            rep_id = unique("rep")
            response = admin.put(f"/api/v1/reps/{rep_id}", json={"name": f"销售 {t_index}-{r_index}", "team": team_id})
            assert response.status_code == 201, response.text
            rep_ids.append(rep_id)
    definition = {
        "id": unique("contest"),
        "name": "十二月销冠赛",
        "kind": "individual",
        "starts_at": CONTESTS_START,
        "ends_at": live_until(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
        "team_score": "sum",
        "teams": team_ids,
    }
    definition.update(contest)
    response = admin.post("/api/v1/contests", json=definition)
    assert response.status_code == 201, response.text
    return Org(contest=definition["id"], teams=team_ids, reps=rep_ids, definition=definition)


def deal(rep: str, amount: str | int, *, event_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": event_id or unique("evt"),
        "type": "deal.won",
        "rep": rep,
        "amount": str(amount),
        "occurred_at": "2026-11-20T10:00:00+08:00",
        **extra,
    }
