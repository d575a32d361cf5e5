"""``GET /metrics`` (server/metrics.py) through a real server: only for the bearer of ARENA_METRICS_TOKEN, the
event counters move by exactly what ingestion answered, an open websocket shows in the connections gauge,
and every metric the Grafana dashboard and the compose profile rely on is in the exposition."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from server.config import ConfigError, load_settings
from tests.support.metrics import samples, scrape
from tests.support.org import deal, make_org, unique
from tests.support.server import ADMIN_KEY, METRICS_TOKEN, RunningServer
from tests.support.waiting import eventually
from tests.support.websocket import next_op
from tests.test_deployment import compose, compose_problems

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "grafana-dashboard.json"


def events_counted(server: RunningServer, source: str) -> dict[str, float]:
    found = samples(scrape(server))
    return {
        outcome: found.get(("arena_events_total", frozenset({("source", source), ("outcome", outcome)})), 0.0)
        for outcome in ("accepted", "duplicate", "rejected", "late")
    }


def test_metrics_are_refused_without_the_token(server: RunningServer) -> None:
    for headers in ({}, {"Authorization": "Bearer not-the-token-at-all"}, {"Authorization": f"Basic {METRICS_TOKEN}"}):
        response = httpx.get(server.base_url + "/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert "ARENA_METRICS_TOKEN" in response.json()["error"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    with server.admin() as admin:  # an admin key is not the metrics token
        assert admin.get("/metrics").status_code == 401
    assert "# TYPE arena_events_total counter" in scrape(server)


def test_metrics_are_off_unless_a_long_enough_token_is_set() -> None:
    assert load_settings({}).metrics_token is None
    assert load_settings({"ARENA_METRICS_TOKEN": ""}).metrics_token is None
    assert load_settings({"ARENA_METRICS_TOKEN": "m" * 16}).metrics_token == "m" * 16
    for weak in ("short", "sixteen chars ok", "tab\tinside-the-token"):
        with pytest.raises(ConfigError, match="ARENA_METRICS_TOKEN"):
            load_settings({"ARENA_METRICS_TOKEN": weak})


def test_event_counters_move_by_exactly_what_ingestion_answered(server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=2)
    first = deal(org.reps[0], "1000")
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=first).json()["accepted"] == 1
        before = events_counted(server, "api")
        batch = [first, deal(org.reps[0], "2000"), deal(org.reps[1], "3000"), deal(unique("nobody"), "10")]
        batch.append({"id": unique("evt"), "type": "deal.won"})  # no rep, no amount
        answer = ingest.post("/api/v1/events", json=batch).json()
    assert (answer["accepted"], answer["duplicates"], len(answer["rejected"])) == (2, 1, 2)
    after = events_counted(server, "api")
    moved = {outcome: after[outcome] - before[outcome] for outcome in after}
    assert moved == {"accepted": 2, "duplicate": 1, "rejected": 2, "late": 0}
    found = samples(scrape(server))
    assert found[("arena_ingest_batch_events_count", frozenset())] >= 2  # the group commits
    written = [v for (name, labels), v in found.items() if name == "arena_redis_script_seconds_count"]
    assert written and sum(written) >= 2


def test_an_open_websocket_shows_in_the_connections_gauge(server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)

    def gauge(name: str) -> float:
        return samples(scrape(server))[(name, frozenset())]

    async def scenario() -> tuple[float, float, float, float]:
        loop = asyncio.get_running_loop()
        read = lambda name: loop.run_in_executor(None, gauge, name)  # noqa: E731
        connections, subscriptions = await read("arena_ws_connections"), await read("arena_ws_subscriptions")
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}", subprotocols=["arena.v1.json"]) as ws:
            await next_op(ws, "hello")
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}"}))
            await next_op(ws, "snapshot")
            return (
                await read("arena_ws_connections") - connections,
                await read("arena_ws_subscriptions") - subscriptions,
                connections,
                subscriptions,
            )

    connected, subscribed, connections, subscriptions = asyncio.run(scenario())
    assert (connected, subscribed) == (1, 1)
    # Closed: the gauges come back (the server sees the close a moment after the client).
    eventually(lambda: gauge("arena_ws_connections") == connections, what="the connection counted as closed")
    eventually(lambda: gauge("arena_ws_subscriptions") == subscriptions, what="its subscription gone")
    sent = samples(scrape(server))[("arena_ws_sent_bytes_total", frozenset())]
    assert sent > 0


def metric_names(exposition: str) -> set[str]:
    """Every series name the exposition offers, those of families without samples yet included."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(family.name + "_total")
        if family.type == "histogram":
            names.update(family.name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


def test_every_metric_the_dashboard_queries_is_exposed(server: RunningServer) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\barena_[a-z_]+", target["expr"])
    }
    assert len(dashboard["panels"]) >= 10 and len(queried) >= 12
    assert queried <= metric_names(scrape(server)), queried - metric_names(scrape(server))
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {"prometheus"}
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


def test_the_monitoring_profile_scrapes_every_app_process_with_the_token() -> None:
    services = compose()["services"]
    assert compose_problems(compose()) == []
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
    assert services["prometheus"]["environment"]["ARENA_METRICS_TOKEN"] == "${ARENA_METRICS_TOKEN:-}"
    assert "ARENA_METRICS_TOKEN" in compose()["x-app-environment"]
    assert "/prometheus/metrics_token" in services["prometheus"]["command"][0]
    (job,) = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"] == {"type": "Bearer", "credentials_file": "/prometheus/metrics_token"}
    assert job["dns_sd_configs"] == [{"names": ["app"], "type": "A", "port": 8000, "refresh_interval": "30s"}]
    datasource = yaml.safe_load((ROOT / "deploy" / "grafana" / "datasources.yml").read_text())["datasources"][0]
    assert datasource["uid"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    mounts = " ".join(services["grafana"]["volumes"])
    assert "./deploy/grafana-dashboard.json:/var/lib/grafana/dashboards/" in mounts
    assert "location = /metrics" in (ROOT / "deploy" / "nginx.conf").read_text()  # the proxy keeps it private
