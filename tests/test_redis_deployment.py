"""The Redis deployment named by the environment: single, cluster or Sentinel, and the mistakes refused."""

from __future__ import annotations

import pytest

from server.config import ConfigError, load_settings
from server.redis_connection import RedisDeployment, connect, is_cluster


def settings_of(**env: str):
    return load_settings({f"ARENA_{name}": value for name, value in env.items()})


def test_no_url_means_the_embedded_redis() -> None:
    assert settings_of().redis.needs_embedded


def test_a_single_redis_and_tls() -> None:
    deployment = settings_of(REDIS_URL="rediss://:secret@redis.example.com:6380/0").redis
    assert not deployment.needs_embedded and not deployment.cluster
    assert deployment.describe() == "redis.example.com:6380"  # no password in logs


def test_a_cluster_is_named_by_any_seed_node() -> None:
    deployment = settings_of(REDIS_URL="redis://10.0.0.5:7000", REDIS_CLUSTER="1").redis
    assert deployment.cluster and deployment.describe() == "cluster via 10.0.0.5:7000"
    assert is_cluster(connect(deployment))  # no connection is made before the first command


def test_sentinels_need_no_url() -> None:
    deployment = settings_of(REDIS_SENTINELS="10.0.0.1:26379, [::1]:26380", REDIS_SENTINEL_MASTER="arena").redis
    assert deployment.sentinels == (("10.0.0.1", 26379), ("::1", 26380))
    assert not deployment.needs_embedded
    assert "arena" in deployment.describe() and "10.0.0.1:26379" in deployment.describe()


def test_under_sentinel_a_replica_acknowledges_each_write_of_events() -> None:
    sentinel = {"REDIS_SENTINELS": "10.0.0.1:26379", "REDIS_SENTINEL_MASTER": "arena"}
    assert settings_of(**sentinel).redis_wait_replicas == 1
    assert settings_of(**sentinel, REDIS_WAIT_REPLICAS="2").redis_wait_replicas == 2
    assert settings_of(REDIS_URL="redis://10.0.0.5:6379").redis_wait_replicas == 0
    assert settings_of(REDIS_URL="redis://10.0.0.5:6379", REDIS_WAIT_REPLICAS="1").redis_wait_replicas == 1
    with pytest.raises(ConfigError, match="ARENA_REDIS_WAIT_REPLICAS"):
        settings_of(**sentinel, REDIS_WAIT_REPLICAS="-1")
    with pytest.raises(ConfigError, match="ARENA_REDIS_WAIT_REPLICAS is for a single Redis or Sentinel"):
        settings_of(REDIS_URL="redis://10.0.0.5:7000", REDIS_CLUSTER="1", REDIS_WAIT_REPLICAS="1")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_CLUSTER": "1"}, "ARENA_REDIS_CLUSTER=1 needs ARENA_REDIS_URL"),
        ({"REDIS_CLUSTER": "1", "REDIS_URL": "redis://h:7000/2"}, "only database 0"),
        ({"REDIS_CLUSTER": "1", "REDIS_URL": "redis://h:7000?db=3"}, "only database 0"),
        ({"REDIS_SENTINELS": "h:26379"}, "needs ARENA_REDIS_SENTINEL_MASTER"),
        ({"REDIS_SENTINEL_MASTER": "arena"}, "needs ARENA_REDIS_SENTINELS"),
        ({"REDIS_SENTINELS": "h", "REDIS_SENTINEL_MASTER": "m"}, "host:port"),
        ({"REDIS_SENTINELS": "h:99999", "REDIS_SENTINEL_MASTER": "m"}, "host:port"),
        ({"REDIS_SENTINELS": "h:2637¹", "REDIS_SENTINEL_MASTER": "m"}, "host:port"),
        ({"REDIS_SENTINELS": " , ", "REDIS_SENTINEL_MASTER": "m"}, "names no sentinel"),
        (
            {"REDIS_CLUSTER": "1", "REDIS_URL": "redis://h:1", "REDIS_SENTINELS": "h:1", "REDIS_SENTINEL_MASTER": "m"},
            "cannot be used together",
        ),
        ({"REDIS_URL": "http://h:1"}, "not a Redis URL"),
    ],
)
def test_mistakes_are_refused_with_the_setting_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_of(**env)


def test_a_deployment_is_checked_wherever_it_is_built() -> None:
    with pytest.raises(ValueError, match="only database 0"):
        RedisDeployment(url="redis://h:7000/1", cluster=True)
