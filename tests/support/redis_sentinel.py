"""A real Redis Sentinel set-up on loopback: one master, its replicas (one by default) and three sentinels
(quorum 2).

Started from the same redis-server binary as the rest of the suite (``redis-server <conf> --sentinel`` is
the sentinel), on free ports, with a short ``down-after-milliseconds`` so that a killed master is replaced
in a few seconds. Every process dies with the test process and its files are removed afterwards. Tests wait
for what a failover means (the sentinels naming the other node, which answers as master), never for a guess.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import redis

from server.embedded_redis import find_redis_server, free_port, spawn_owned, terminate
from tests.support.waiting import eventually

MASTER_NAME = "arena"
QUORUM = 2
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 3000


class RedisNode:
    """One redis-server process (data node or sentinel) with its configuration file in its own folder."""

    def __init__(self, binary: str, root: Path, name: str) -> None:
        self.binary = binary
        self.folder = root / name
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, config: list[str], *, sentinel: bool = False) -> RedisNode:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "redis.conf"  # a sentinel rewrites its file: it must be its own and writable
        lines = [
            f"port {self.port}",
            "bind 127.0.0.1",
            f"dir {self.folder}",
            'save ""',
            "appendonly no",
            "loglevel notice",
            f"logfile {self.folder / 'redis.log'}",
        ]
        conf.write_text("\n".join(lines + config) + "\n")
        args = [self.binary, str(conf)] + (["--sentinel"] if sentinel else [])
        self.process = spawn_owned(args)
        eventually(self._answers, timeout=10, what=f"redis on port {self.port} answering PING")
        return self

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"redis-server on port {self.port} exited: {self.log_tail()}")
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2, socket_connect_timeout=1)

    def kill(self) -> None:
        """``kill -9``: no shutdown, no last word to the replica."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
        self.process = None

    def log_tail(self) -> str:
        log = self.folder / "redis.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""


class SentinelSetup:
    """A master and its replicas watched by sentinels: what ``ARENA_REDIS_SENTINELS`` names in production."""

    def __init__(self, replicas: int = 1, sentinels: int = 3, quorum: int = QUORUM, binary: str | None = None) -> None:
        self.binary = find_redis_server(binary)
        self.root = Path(tempfile.mkdtemp(prefix="arena-sentinel-"))
        self.data = [RedisNode(self.binary, self.root, f"node-{i}") for i in range(1 + replicas)]
        self.sentinels = [RedisNode(self.binary, self.root, f"sentinel-{i}") for i in range(sentinels)]
        self.quorum = quorum

    @property
    def env(self) -> dict[str, str]:
        """The server's settings for this set-up (no ``ARENA_REDIS_URL``: the sentinels name the master)."""
        return {
            "ARENA_REDIS_SENTINELS": ",".join(f"127.0.0.1:{node.port}" for node in self.sentinels),
            "ARENA_REDIS_SENTINEL_MASTER": MASTER_NAME,
        }

    def start(self) -> SentinelSetup:
        master, *replicas = self.data
        master.start([])
        for replica in replicas:
            replica.start([f"replicaof 127.0.0.1 {master.port}"])
        for sentinel in self.sentinels:
            sentinel.start(
                [
                    f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master.port} {self.quorum}",
                    f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
                    f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}",
                    f"sentinel parallel-syncs {MASTER_NAME} 1",
                ],
                sentinel=True,
            )
        eventually(self._settled, timeout=30, what="sentinels agreeing on a master with its replicas online")
        return self

    def master(self) -> RedisNode:
        """The node the sentinels name as master (the first sentinel that answers)."""
        for sentinel in self.sentinels:
            try:
                with sentinel.client() as client:
                    _, port = client.sentinel_get_master_addr_by_name(MASTER_NAME)
            except (redis.RedisError, TypeError):
                continue
            return next(node for node in self.data if node.port == int(port))
        raise AssertionError("no sentinel names a master")

    def _settled(self) -> bool:
        """Every sentinel names the same master and knows the other sentinels and the replicas, and the master
        answers as master with every replica online."""
        master = self.master()
        for sentinel in self.sentinels:
            with sentinel.client() as client:
                state = client.sentinel_master(MASTER_NAME)
            if int(state["port"]) != master.port or "s_down" in state["flags"] or "failover" in state["flags"]:
                return False
            if state["num-other-sentinels"] != len(self.sentinels) - 1 or state["num-slaves"] < len(self.data) - 1:
                return False
        with master.client() as client:
            info = client.info("replication")
        replicas = [value for name, value in info.items() if name.startswith("slave") and isinstance(value, dict)]
        online = [r for r in replicas if r["state"] == "online"]
        return info["role"] == "master" and len(online) == len(self.data) - 1

    def fail_over(self) -> RedisNode:
        """``SENTINEL FAILOVER``: a replica is promoted and the old master becomes its replica. Returns the new
        master once every sentinel names it and it has all its replicas."""
        old = self.master()
        with self.sentinels[0].client() as client:
            client.sentinel_failover(MASTER_NAME)
        eventually(lambda: self.master() is not old and self._settled(), timeout=30, what="a new master")
        return self.master()

    def kill_master(self) -> RedisNode:
        """``kill -9`` the master; returns it (stopped). The sentinels promote a replica on their own."""
        old = self.master()
        old.kill()
        eventually(lambda: self.master() is not old, timeout=30, what="the sentinels promoting the replica")
        return old

    def bring_back(self, node: RedisNode) -> None:
        """Restart a killed node as a replica of the current master, as an operator would."""
        node.start([f"replicaof 127.0.0.1 {self.master().port}"])
        eventually(self._settled, timeout=30, what="the restarted node back as an online replica")

    def stop(self) -> None:
        nodes = [*self.sentinels, *self.data]
        terminate(*(node.process for node in nodes if node.process is not None))
        for node in nodes:
            node.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> SentinelSetup:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
