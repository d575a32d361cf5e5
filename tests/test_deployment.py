"""The production shape in docker-compose.yml: Redis 7 with AOF on a named volume, app, proxy, health checks;
and its "cluster" profile: the same app on a 3-master Redis Cluster."""

from __future__ import annotations

import copy
import ipaddress
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from server.config import Settings, load_settings
from tests.support.server import ROOT


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
    # Only the proxy is published, and only this network's X-Forwarded-For is trusted: per-address limits count
    # clients, and what a client writes in that header itself is not believed.
    assert "ports" not in app and services["proxy"]["ports"]
    network = compose()["networks"]["default"]
    (subnet,) = [pool["subnet"] for pool in network["ipam"]["config"]]
    assert app["environment"]["ARENA_TRUSTED_PROXIES"] == subnet
    assert ipaddress.ip_network(subnet).is_private
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header Upgrade $http_upgrade" in nginx
    assert "server app:8000" in nginx
    assert services["proxy"]["healthcheck"]["test"]


def test_the_cluster_profile_runs_the_app_on_a_three_master_redis_cluster() -> None:
    """``docker compose --profile cluster up -d proxy-cluster``: three Redis 7 masters with AOF, a one-shot
    service that forms the cluster (once), the app told it is a cluster, its own proxy and network."""
    services = compose()["services"]
    profiled = {name for name, service in services.items() if "cluster" in service.get("profiles", [])}
    assert profiled == {"redis-node-1", "redis-node-2", "redis-node-3", "cluster-init", "app-cluster", "proxy-cluster"}
    nodes = [services[f"redis-node-{i}"] for i in (1, 2, 3)]
    addresses = [node["networks"]["cluster"]["ipv4_address"] for node in nodes]
    for node in nodes:
        assert node["image"].startswith("redis:7")  # sharded pub/sub for the contests' doorbells
        command = " ".join(node["command"])
        assert "--cluster-enabled yes" in command and "--appendonly yes" in command
        assert node["volumes"][0].split(":")[0] in compose()["volumes"] and node["healthcheck"]["test"]
    init = " ".join(services["cluster-init"]["command"])
    assert "--cluster create " + " ".join(f"{a}:6379" for a in addresses) in init and "cluster_state:ok" in init
    assert all(rule["condition"] == "service_healthy" for rule in services["cluster-init"]["depends_on"].values())
    app = services["app-cluster"]
    assert app["environment"]["ARENA_REDIS_CLUSTER"] == "1"
    assert app["environment"]["ARENA_REDIS_URL"] == f"redis://{addresses[0]}:6379"
    assert app["environment"]["ARENA_SECRET_KEY"] == services["app"]["environment"]["ARENA_SECRET_KEY"]
    assert app["depends_on"]["cluster-init"]["condition"] == "service_completed_successfully"
    assert app["deploy"]["replicas"] >= 2 and "app" in app["networks"]["cluster"]["aliases"]
    (subnet,) = [pool["subnet"] for pool in compose()["networks"]["cluster"]["ipam"]["config"]]
    assert app["environment"]["ARENA_TRUSTED_PROXIES"] == subnet
    proxy = services["proxy-cluster"]
    assert list(proxy["networks"]) == ["cluster"] and proxy["ports"] != services["proxy"]["ports"]
    assert proxy["volumes"] == services["proxy"]["volumes"]


def docker_compose_available() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(
    not docker_compose_available(),
    reason="no docker compose client here (test_the_compose_file_is_well_formed_without_a_docker_client checks it)",
)
def test_docker_compose_accepts_the_file() -> None:
    result = subprocess.run(
        ["docker", "compose", "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"ARENA_SECRET_KEY": "x", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    assert result.returncode == 0, result.stderr


TOP_LEVEL = {"name", "services", "volumes", "networks", "configs", "secrets", "include"}
SERVICE_KEYS = {
    "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose", "volumes",
    "healthcheck", "depends_on", "deploy", "restart", "networks", "labels", "logging", "ulimits", "user",
    "working_dir", "stop_grace_period", "stop_signal", "init", "configs", "secrets", "profiles", "sysctls",
}  # fmt: skip
RESTART = {"no", "always", "on-failure", "unless-stopped"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
DURATION = re.compile(r"^(\d+(\.\d+)?(us|ms|s|m|h))+$")
INTERPOLATION = re.compile(r"\$(\$|\{[A-Za-z_][A-Za-z0-9_]*((:?[-?+])[^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)")
# [host address:][host port:]container port[/protocol]: "127.0.0.1:3000:3000" publishes on loopback only.
PORT = re.compile(r"^(\d{1,3}(\.\d{1,3}){3}:)?(\d{1,5}(-\d{1,5})?:)?\d{1,5}(-\d{1,5})?(/(tcp|udp))?$")


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def compose_problems(document: dict) -> list[str]:
    """What ``docker compose config`` would refuse, checked without a docker client: unknown keys, services
    without an image, dangling references, bad durations, ports, restart policies and ``${...}`` syntax."""
    problems = [
        f"unknown top-level key {key!r}" for key in document if key not in TOP_LEVEL and not key.startswith("x-")
    ]
    services = document.get("services") or {}
    volumes = document.get("volumes") or {}
    networks = document.get("networks") or {}
    if not services:
        problems.append("no services")
    for text in strings_in(document):
        stripped = INTERPOLATION.sub("", text)
        if "$" in stripped:
            problems.append(f"bad interpolation in {text!r}")
    for name, service in services.items():
        where = f"services.{name}"
        problems += [f"{where}: unknown key {key!r}" for key in service if key not in SERVICE_KEYS]
        if "image" not in service and "build" not in service:
            problems.append(f"{where}: neither image nor build")
        if isinstance(service.get("build"), str) and not (ROOT / service["build"] / "Dockerfile").exists():
            problems.append(f"{where}: no Dockerfile in {service['build']!r}")
        if service.get("restart", "no") not in RESTART:
            problems.append(f"{where}: restart {service['restart']!r}")
        environment = service.get("environment") or {}
        if isinstance(environment, dict):
            for key, value in environment.items():
                if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                    problems.append(f"{where}.environment.{key}: must be a string or a number, not {value!r}")
        depends = service.get("depends_on") or {}
        for target, rule in depends.items() if isinstance(depends, dict) else ((d, {}) for d in depends):
            if target not in services:
                problems.append(f"{where}: depends on unknown service {target!r}")
            if rule and rule.get("condition", "service_started") not in CONDITIONS:
                problems.append(f"{where}: depends_on condition {rule.get('condition')!r}")
        for mount in service.get("volumes") or []:
            source = mount.split(":")[0] if isinstance(mount, str) else mount.get("source", "")
            if source.startswith((".", "/")):
                if source.startswith(".") and not (ROOT / source).exists():
                    problems.append(f"{where}: bind mount of missing {source!r}")
            elif source not in volumes:
                problems.append(f"{where}: volume {source!r} is not declared")
        for port in service.get("ports") or []:
            if not isinstance(port, str) or not PORT.match(port):
                problems.append(f"{where}: port {port!r} (quote it: YAML reads 80:80 as a number)")
        for network in service.get("networks") or []:
            if network not in networks:
                problems.append(f"{where}: network {network!r} is not declared")
        check = service.get("healthcheck")
        if check:
            test = check.get("test")
            if isinstance(test, list) and (not test or test[0] not in ("CMD", "CMD-SHELL", "NONE")):
                problems.append(f"{where}: healthcheck test must start with CMD or CMD-SHELL")
            for key in ("interval", "timeout", "start_period"):
                if key in check and not DURATION.match(str(check[key])):
                    problems.append(f"{where}: healthcheck {key} {check[key]!r}")
        profiles = set(service.get("profiles") or [])
        for target in depends if isinstance(depends, (dict, list)) else []:
            needed = set((services.get(target) or {}).get("profiles") or [])
            if needed and not needed & profiles:
                problems.append(f"{where}: depends on {target!r}, which starts only with profile(s) {sorted(needed)}")
        attached = service.get("networks") or {}
        for network, settings in attached.items() if isinstance(attached, dict) else []:
            address = (settings or {}).get("ipv4_address")
            pools = [pool.get("subnet") for pool in ((networks.get(network) or {}).get("ipam") or {}).get("config", [])]
            if address and not any(ipaddress.ip_address(address) in ipaddress.ip_network(pool) for pool in pools):
                problems.append(f"{where}: address {address} is outside network {network!r}")
        replicas = (service.get("deploy") or {}).get("replicas", 1)
        if not isinstance(replicas, int) or replicas < 0:
            problems.append(f"{where}: replicas {replicas!r}")
    return problems


def test_the_compose_file_is_well_formed_without_a_docker_client() -> None:
    document = compose()
    assert compose_problems(document) == []
    # The check itself catches what it claims to: each broken copy names its fault.
    broken = copy.deepcopy(document)
    broken["services"]["app"]["depends_on"]["cache"] = {"condition": "service_healthy"}
    broken["services"]["proxy"]["ports"] = [8080]
    broken["services"]["redis"]["volumes"] = ["missing-volume:/data"]
    broken["services"]["redis"]["healthcheck"]["interval"] = "5 seconds"
    broken["services"]["app"]["environment"]["ARENA_PORT"] = True
    broken["services"]["app"]["environment"]["ARENA_LOCALE"] = "${ARENA_LOCALE:-zh-CN"
    broken["services"]["proxy"]["depends_on"]["app-cluster"] = {"condition": "service_healthy"}
    broken["services"]["redis-node-2"]["networks"]["cluster"]["ipv4_address"] = "172.30.0.12"
    problems = compose_problems(broken)
    for fault in ("unknown service 'cache'", "port 8080", "'missing-volume' is not declared", "interval '5 seconds'",
                  "ARENA_PORT: must be a string", "bad interpolation", "only with profile(s) ['cluster']",
                  "172.30.0.12 is outside network 'cluster'"):  # fmt: skip
        assert any(fault in problem for problem in problems), (fault, problems)


def test_the_sentinel_profile_adds_a_replica_and_three_sentinels_the_app_can_be_pointed_at() -> None:
    services = compose()["services"]
    sentinels = [name for name, service in services.items() if name.startswith("sentinel-")]
    assert len(sentinels) == 3
    for name in [*sentinels, "redis-replica"]:
        assert services[name]["profiles"] == ["sentinel"]
    assert "--replicaof redis 6379" in " ".join(services["redis-replica"]["command"])
    conf = (ROOT / "deploy" / "sentinel.conf").read_text()
    assert "sentinel monitor arena redis 6379 2" in conf  # quorum 2 of the 3
    environment = services["app"]["environment"]
    assert environment["ARENA_REDIS_SENTINELS"] == "${ARENA_REDIS_SENTINELS:-}"  # unset: the single Redis
    documented = "ARENA_REDIS_SENTINELS=" + ",".join(f"{name}:26379" for name in sentinels)
    assert documented in (ROOT / "docker-compose.yml").read_text()


DEFAULTED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])([^}]*)\}")


def as_started(environment: dict[str, str], given: dict[str, str]) -> dict[str, str]:
    """A service's environment as ``docker compose`` hands it over with ``given`` set: ``${X:-default}`` read."""

    def value(match: re.Match[str]) -> str:
        name, form, fallback = match.groups()
        if name in given:
            return given[name]
        assert not form.endswith("?"), f"{name} must be given"
        return fallback

    return {key: DEFAULTED.sub(value, str(text)) for key, text in environment.items()}


def test_scheduled_backups_go_to_a_named_volume_every_app_process_mounts() -> None:
    """Each app service (single Redis and cluster) writes its backups to a named volume of its own mounted where
    ``ARENA_BACKUP_DIR`` points, on the server's default schedule unless ``ARENA_BACKUP_HOURS``/``KEEP`` say."""
    document = compose()
    services = document["services"]
    volumes = []
    for name in ("app", "app-cluster"):
        environment = services[name]["environment"]
        mounts = dict(reversed(mount.split(":")[:2]) for mount in services[name]["volumes"])
        volume = mounts[environment["ARENA_BACKUP_DIR"]]
        assert volume in document["volumes"] and volume.startswith("arena-backups"), (name, mounts)
        volumes.append(volume)
        secret = {"ARENA_SECRET_KEY": "s" * 32}
        settings = load_settings(as_started(environment, secret))
        assert settings.backup_dir == Path(environment["ARENA_BACKUP_DIR"])
        assert (settings.backup_hours, settings.backup_keep) == (Settings.backup_hours, Settings.backup_keep)
        chosen = load_settings(
            as_started(environment, {**secret, "ARENA_BACKUP_HOURS": "6", "ARENA_BACKUP_KEEP": "28"})
        )
        assert (chosen.backup_hours, chosen.backup_keep) == (6.0, 28)
    assert len(set(volumes)) == 2  # the cluster's backups apart from the single Redis's
    # the image makes the mount point the app user's, so a new (empty) volume is writable by it
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"chown arena [^\n]*" + re.escape(services["app"]["environment"]["ARENA_BACKUP_DIR"]), dockerfile)
    readme = (ROOT / "README.md").read_text()
    assert "**Backups with `docker compose`.**" in readme and all(volume in readme for volume in volumes)
