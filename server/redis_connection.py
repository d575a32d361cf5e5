"""Which Redis deployment Sales Arena talks to, and the one way to connect to it.

A single server (``redis://`` or ``rediss://`` for TLS), a Redis Cluster reached through any seed node, or the
master of a Sentinel set-up: the server, its workers and the operations scripts all connect through
``connect``, so moving between them is configuration, never code. Keys are hash-tagged (``game/keys.py``) so
that every script and transaction stays within one cluster slot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import Sentinel
from redis.connection import parse_url

# Connections one process may hold (per node in a cluster). A blocking pool: a burst of thousands of screens
# connecting waits for a connection, never fails.
MAX_CONNECTIONS = 64
POOL_TIMEOUT_SECONDS = 10
HEALTH_CHECK_SECONDS = 30


class DeploymentError(ValueError):
    """The Redis settings name no deployment the server can use."""


@dataclass(frozen=True)
class RedisDeployment:
    """Where the live store is. ``url`` is the single server, the cluster's seed node, or — with Sentinel —
    only the credentials, database and TLS of the master (its address comes from the sentinels)."""

    url: str | None = None
    cluster: bool = False
    sentinels: tuple[tuple[str, int], ...] = ()
    sentinel_master: str | None = None

    def __post_init__(self) -> None:
        if self.cluster and self.sentinels:
            raise DeploymentError("ARENA_REDIS_CLUSTER and ARENA_REDIS_SENTINELS cannot be used together")
        if self.sentinels and not self.sentinel_master:
            raise DeploymentError("ARENA_REDIS_SENTINELS needs ARENA_REDIS_SENTINEL_MASTER (the master's name)")
        if self.sentinel_master and not self.sentinels:
            raise DeploymentError("ARENA_REDIS_SENTINEL_MASTER needs ARENA_REDIS_SENTINELS (host:port,host:port)")
        if self.url is not None:
            try:
                parsed = parse_url(self.url)
            except ValueError as exc:
                raise DeploymentError(f"ARENA_REDIS_URL is not a Redis URL: {exc}") from None
            # Database numbers do not exist in a cluster; elsewhere they separate keys but never pub/sub, so
            # tenants sharing a Redis are told apart by ARENA_KEY_PREFIX, not by a database number.
            if self.cluster and int(parsed.get("db") or 0) != 0:
                raise DeploymentError("a Redis Cluster has only database 0: remove the database number from the URL")

    @property
    def needs_embedded(self) -> bool:
        """No Redis named at all: the server and the demo start a private one."""
        return self.url is None and not self.sentinels

    def with_url(self, url: str) -> RedisDeployment:
        return replace(self, url=url)

    def describe(self) -> str:
        """For logs and messages: where, without credentials."""
        if self.sentinels:
            nodes = ",".join(f"{host}:{port}" for host, port in self.sentinels)
            return f"sentinel master {self.sentinel_master!r} via {nodes}"
        if self.url is None:
            return "embedded"
        parsed = parse_url(self.url)
        where = f"{parsed.get('host', parsed.get('path', '?'))}:{parsed.get('port', '')}".rstrip(":")
        return f"cluster via {where}" if self.cluster else where


def parse_sentinels(raw: str) -> tuple[tuple[str, int], ...]:
    """``host:port,host:port`` (IPv6 as ``[::1]:26379``) into addresses; a clear error for anything else."""
    nodes: list[tuple[str, int]] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        host = host.strip("[]")
        if not sep or not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
            raise DeploymentError(f"ARENA_REDIS_SENTINELS entries are host:port, got {item!r}")
        nodes.append((host, int(port)))
    if not nodes:
        raise DeploymentError("ARENA_REDIS_SENTINELS names no sentinel")
    return tuple(nodes)


def connect(deployment: RedisDeployment, *, max_connections: int = MAX_CONNECTIONS) -> Redis:
    """A client for the deployment. Every store takes it as a ``Redis``: the cluster client answers the same
    commands and routes each to the node of its key's slot (a pipeline splits by slot, a transaction or a
    script must stay in one slot, which the keys' hash tags ensure)."""
    if deployment.sentinels:
        options: dict[str, Any] = {}
        if deployment.url is not None:
            options = {k: v for k, v in parse_url(deployment.url).items() if k not in ("host", "port", "path")}
        sentinel = Sentinel(
            list(deployment.sentinels),
            sentinel_kwargs={"socket_timeout": 2, "socket_connect_timeout": 2},
            socket_keepalive=True,
            health_check_interval=HEALTH_CHECK_SECONDS,
            **options,
        )
        assert deployment.sentinel_master is not None  # checked in __post_init__
        return sentinel.master_for(deployment.sentinel_master, redis_class=Redis)
    if deployment.url is None:
        raise DeploymentError("no Redis to connect to: set ARENA_REDIS_URL or ARENA_REDIS_SENTINELS")
    if deployment.cluster:
        cluster = RedisCluster.from_url(deployment.url, max_connections=max_connections, socket_keepalive=True)
        return cast("Redis", cluster)
    pool = BlockingConnectionPool.from_url(
        deployment.url,
        max_connections=max_connections,
        timeout=POOL_TIMEOUT_SECONDS,
        health_check_interval=HEALTH_CHECK_SECONDS,
        socket_keepalive=True,
    )
    return Redis(connection_pool=pool)


def is_cluster(redis: Redis) -> bool:
    """Whether a client talks to a Redis Cluster (pub/sub and multi-node scans differ there)."""
    return isinstance(redis, RedisCluster)
