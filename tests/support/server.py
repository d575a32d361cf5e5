"""The real server in a subprocess on loopback, configured the way an operator would, with keys the tests own."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from server.embedded_redis import free_port, terminate
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
ADMIN_KEY = "ak_test_admin_" + uuid.uuid4().hex
INGEST_KEY = "ak_test_ingest_" + uuid.uuid4().hex
METRICS_TOKEN = "metrics-test-" + uuid.uuid4().hex


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

    def start(self, timeout: float = 60.0, ready: bool = True) -> RunningServer:
        """Start and wait until it serves: ``/readyz`` (keys in place) or, with ``ready=False``, ``/healthz``."""
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        probe = self.base_url + ("/readyz" if ready else "/healthz")

        def serving() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                return httpx.get(probe, timeout=0.5).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            eventually(serving, timeout=timeout, what=f"{probe} answering 200")
        except AssertionError:
            raise RuntimeError(f"server did not come up: {self.log_path.read_text()[-3000:]}") from None
        return self

    def stop(self) -> None:
        if self.process:
            terminate(self.process)
        self.process = None

    def admin(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=15)

    def ingest(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {INGEST_KEY}"}, timeout=60)


def server_env(redis_url: str, port: int, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    env.update(
        ARENA_REDIS_URL=redis_url,
        ARENA_PORT=str(port),
        ARENA_HOST="127.0.0.1",
        ARENA_ADMIN_KEY=ADMIN_KEY,
        ARENA_INGEST_KEY=INGEST_KEY,
        ARENA_METRICS_TOKEN=METRICS_TOKEN,
        ARENA_ADMIN_PASSWORD="admin-test-password",
        ARENA_SECRET_KEY="test-secret-" + uuid.uuid4().hex,
        ARENA_DATA_DIR=str(data_dir),
        ARENA_TICK_MS="100",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    if not redis_url:  # a deployment named otherwise (ARENA_REDIS_SENTINELS in ``extra``)
        del env["ARENA_REDIS_URL"]
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


@contextlib.contextmanager
def server_pair(redis_url: str, tmp: Path, **extra: str) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Two server processes on one store, sharing the secret key (each reads what the other sealed)."""
    first = launch_server(redis_url, tmp / "a", **extra)
    try:
        second = launch_server(redis_url, tmp / "b", **{**extra, "ARENA_SECRET_KEY": first.env["ARENA_SECRET_KEY"]})
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        second.stop()
        first.stop()
