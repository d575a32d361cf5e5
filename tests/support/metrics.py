"""Reading a test server's ``GET /metrics`` (server/metrics.py) with the suite's metrics token."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.server import METRICS_TOKEN, RunningServer

Series = tuple[str, frozenset[tuple[str, str]]]


def scrape(server: RunningServer) -> str:
    """The text exposition, checked to be one Prometheus reads."""
    response = httpx.get(server.base_url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def samples(text: str) -> dict[Series, float]:
    """Each sample's value by its name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(server: RunningServer, name: str, **labels: str) -> float:
    """One series' value (0 while it has not been touched)."""
    return samples(scrape(server)).get((name, frozenset(labels.items())), 0.0)
