"""The production shape in docker-compose.yml: Redis 7 with AOF on a named volume, app, proxy, health checks."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_redis_keeps_an_append_only_file_on_a_named_volume() -> None:
    services = compose()["services"]
    redis = services["redis"]
    assert redis["image"].startswith("redis:7")
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command and "--appendfsync everysec" in command
    volume = redis["volumes"][0].split(":")[0]
    assert volume in compose()["volumes"]
    assert redis["healthcheck"]["test"]


def test_app_is_built_scaled_and_health_checked_behind_a_websocket_proxy() -> None:
    services = compose()["services"]
    app = services["app"]
    assert app["build"] == "." and (ROOT / "Dockerfile").exists()
    assert app["deploy"]["replicas"] >= 2
    assert app["environment"]["ARENA_REDIS_URL"].startswith("redis://redis:")
    assert "/readyz" in " ".join(app["healthcheck"]["test"])
    assert app["depends_on"]["redis"]["condition"] == "service_healthy"
    # Only the proxy is published, and its X-Forwarded-For is trusted: per-address limits count clients.
    assert "ports" not in app and services["proxy"]["ports"]
    assert app["environment"]["ARENA_TRUSTED_PROXIES"] == "*"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade" in nginx
    assert "server app:8000" in nginx
    assert services["proxy"]["healthcheck"]["test"]


def docker_compose_available() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not docker_compose_available(), reason="docker compose plugin not installed here")
def test_docker_compose_accepts_the_file() -> None:
    result = subprocess.run(
        ["docker", "compose", "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"ARENA_SECRET_KEY": "x", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert result.returncode == 0, result.stderr
