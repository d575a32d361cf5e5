"""A Redis outage is answered as one: ``503`` JSON with ``Retry-After`` on the ingest fast path and through the
app, never a ``500 text/plain`` a client would take for a bug; and once Redis is back the server serves again.
The test stops and restarts a Redis of its own, never the suite's."""

from __future__ import annotations

from pathlib import Path

import httpx

from server.embedded_redis import EmbeddedRedis
from tests.support.org import deal, make_org, scores
from tests.support.server import METRICS_TOKEN, launch_server
from tests.support.waiting import eventually


def _is_outage(response: httpx.Response) -> bool:
    assert response.status_code == 503, (response.request.url, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.json() == {"error": "storage unavailable"}
    assert int(response.headers["retry-after"]) > 0
    return True


def test_an_outage_answers_503_json_and_the_server_serves_again_when_redis_is_back(tmp_path: Path) -> None:
    redis = EmbeddedRedis(data_dir=tmp_path / "redis", appendonly=True).start()
    server = launch_server(redis.url, tmp_path / "server")
    try:
        with server.admin() as admin, server.ingest() as ingest:
            org = make_org(admin, reps_per_team=1)
            rep = org.reps[0]
            assert ingest.post("/api/v1/events", json=deal(rep, 1000)).status_code == 200
            assert scores(admin, org.contest)[rep] == 1
            redis.stop()  # its data directory is the test's: the append-only file stays for the restart

            assert _is_outage(ingest.post("/api/v1/events", json=[deal(rep, 1000), deal(rep, 2000)]))
            assert _is_outage(ingest.post("/api/v1/events", json=deal(rep, 1000)))
            assert _is_outage(admin.get(f"/api/v1/contests/{org.contest}/leaderboard"))
            assert _is_outage(admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": org.contest}))
            assert _is_outage(admin.put(f"/api/v1/teams/{org.teams[0]}", json={"name": "改名"}))
            assert admin.get("/readyz").status_code == 503
            # The metrics need no Redis, and count each outage answered, the fast ingest path's too.
            exposition = httpx.get(server.base_url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            assert 'arena_redis_errors_total{where="http"} 5.0' in exposition.text.splitlines()

            redis = EmbeddedRedis(data_dir=tmp_path / "redis", appendonly=True, port=redis.port).start()
            eventually(
                lambda: ingest.post("/api/v1/events", json=deal(rep, 2000)).status_code == 200,
                what="ingest accepted again once Redis is back",
            )
            assert scores(admin, org.contest)[rep] == 3
    finally:
        server.stop()
        redis.stop()
