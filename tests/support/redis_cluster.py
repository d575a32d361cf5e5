"""A real 3-master Redis Cluster on loopback, started from the redis-server binary the suite uses.

Each node is a redis-server with ``cluster-enabled yes`` on a free port, owning a third of the 16,384 slots
(``CLUSTER ADDSLOTSRANGE``, or ``ADDSLOTS`` on 6.2) and introduced to the others with ``CLUSTER MEET``; the
cluster is ready when every node reports ``cluster_state:ok`` and knows all three. The nodes die with the
test process (``PR_SET_PDEATHSIG``) and their directories are removed when it stops. A binary of Redis 7 or
newer is preferred so that sharded pub/sub (SSUBSCRIBE/SPUBLISH) is exercised.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import redis

from server.embedded_redis import EmbeddedRedisError, find_redis_server, free_port, spawn_owned, terminate
from tests.support.waiting import eventually

SLOTS = 16384
MASTERS = 3


def redis_version(binary: str) -> tuple[int, ...]:
    """``redis-server --version`` as numbers, (0,) when it does not answer."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, timeout=5, text=True).stdout
    except (OSError, subprocess.TimeoutExpired):
        return (0,)
    found = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in found.groups()) if found else (0,)


def cluster_binary(minimum: tuple[int, ...] = (7,)) -> str | None:
    """The newest redis-server at hand (the suite's own first), or None when none reaches ``minimum``."""
    candidates: list[str] = []
    with contextlib.suppress(EmbeddedRedisError):
        candidates.append(find_redis_server())
    for path in (shutil.which("redis-server"), "/usr/bin/redis-server", "/usr/local/bin/redis-server"):
        if path and os.access(path, os.X_OK) and path not in candidates:
            candidates.append(path)
    versioned = sorted(((redis_version(path), path) for path in candidates), reverse=True)
    return versioned[0][1] if versioned and versioned[0][0] >= minimum else None


def cluster_port() -> int:
    """A free port whose cluster bus port (10,000 higher) is free too: Redis refuses ports above 55535."""
    while True:
        port = free_port()
        if port <= 65535 - 10000:
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
            return port


@dataclass
class RedisCluster:
    """Three master nodes forming one cluster; ``url`` is a seed node for ``ARENA_REDIS_URL``."""

    binary: str
    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="arena-cluster-")))
    ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    @property
    def version(self) -> tuple[int, ...]:
        return redis_version(self.binary)

    def node(self, index: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.ports[index])

    def start(self) -> RedisCluster:
        for index in range(MASTERS):
            self.ports.append(self._start_node(index))
        for index in range(MASTERS):
            first, last = index * SLOTS // MASTERS, (index + 1) * SLOTS // MASTERS - 1
            with self.node(index) as client:
                if self.version >= (7,):
                    client.execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
                else:
                    client.execute_command("CLUSTER", "ADDSLOTS", *range(first, last + 1))
                if index:
                    client.execute_command("CLUSTER", "MEET", "127.0.0.1", self.ports[0])
        eventually(self._ready, timeout=30, what="cluster_state:ok on every node")
        return self

    def _start_node(self, index: int) -> int:
        directory = self.data_dir / f"node{index}"
        directory.mkdir(parents=True, exist_ok=True)
        port = cluster_port()
        args = [
            self.binary,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(directory),
            "--cluster-enabled", "yes",
            "--cluster-config-file", str(directory / "nodes.conf"),
            "--cluster-node-timeout", "2000",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(directory / "redis.log"),
        ]  # fmt: skip
        process = spawn_owned(args)
        self.processes.append(process)

        def answers() -> bool:
            if process.poll() is not None:
                log = directory / "redis.log"
                raise EmbeddedRedisError(f"cluster node exited: {log.read_text()[-2000:] if log.exists() else ''}")
            try:
                with redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5) as client:
                    return bool(client.ping())
            except redis.RedisError:
                return False

        eventually(answers, timeout=10, what=f"cluster node on port {port}")
        return port

    def _ready(self) -> bool:
        for index in range(MASTERS):
            with self.node(index) as client:
                info = client.execute_command("CLUSTER", "INFO").decode()
                state = dict(line.split(":", 1) for line in info.split() if ":" in line)
                if state.get("cluster_state") != "ok" or state.get("cluster_known_nodes") != str(MASTERS):
                    return False
        return True

    def flush(self) -> None:
        """Empty every node (between tests that must not see each other's keys)."""
        for index in range(MASTERS):
            with self.node(index) as client:
                client.flushall()

    def stop(self) -> None:
        terminate(*self.processes)
        self.processes.clear()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> RedisCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
