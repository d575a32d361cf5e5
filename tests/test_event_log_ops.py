"""Backup and restore of the event log with one command each, and rebuilding boards from it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server.embedded_redis import EmbeddedRedis
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org
from tests.support.server import ROOT, RunningServer, launch_server


def events_cli(redis_url: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.events", *args, "--redis", redis_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "events" in result.stderr or "rebuilt" in result.stderr  # progress is shown
    return json.loads(result.stdout.strip().splitlines()[-1])


def boards(server: RunningServer, contest: str) -> tuple[list, list]:
    with server.admin() as admin:
        reps = admin.get(f"/api/v1/contests/{contest}/leaderboard", params={"limit": 500}).json()["rows"]
        teams = admin.get(f"/api/v1/contests/{contest}/teams").json()["rows"]
    return reps, teams


@pytest.mark.parametrize("suffix", [".jsonl", ".msgpack"])
def test_export_then_import_into_an_empty_store_rebuilds_the_same_boards(
    tmp_path: Path, suffix: str, calendar: Calendar
) -> None:
    with EmbeddedRedis() as source_redis, EmbeddedRedis() as target_redis:
        source = launch_server(source_redis.url, tmp_path / "a")
        target = launch_server(target_redis.url, tmp_path / "b")
        try:
            with source.admin() as admin:
                org = make_org(
                    admin,
                    rules=[
                        {"on": "deal.won", "points_per": 1000},
                        {"on": "call.logged", "points": 3, "cap_per_day": 7},
                    ],
                )
            with source.ingest() as ingest:
                won = deal(org.reps[0], "120000")
                ingest.post(
                    "/api/v1/events",
                    json=[
                        won,
                        deal(org.reps[1], "45000", category="x"),
                        deal(org.reps[4], "99000"),
                        *(
                            {
                                "id": f"call-{i}",
                                "type": "call.logged",
                                "rep": org.reps[2],
                                "occurred_at": calendar.at(1, 9),
                            }
                            for i in range(4)
                        ),
                        {"id": "undo", "type": "deal.reversed", "rep": org.reps[0], "ref": won["id"]},
                    ],
                ).raise_for_status()
            backup = tmp_path / f"backup{suffix}"
            assert events_cli(source_redis.url, "export", str(backup)) == {"exported": 8, "file": str(backup)}
            # The same organisation and contest on the new installation, then the log.
            with target.admin() as admin:
                with source.admin() as old:
                    for team in old.get("/api/v1/teams").json()["teams"]:
                        admin.put(f"/api/v1/teams/{team['id']}", json={"name": team["name"]}).raise_for_status()
                    for rep in old.get("/api/v1/reps").json()["reps"]:
                        if rep["id"] in org.reps:
                            admin.put(f"/api/v1/reps/{rep['id']}", json={"name": rep["name"], "team": rep["team"]})
                admin.post("/api/v1/contests", json=org.definition).raise_for_status()
            summary = events_cli(target_redis.url, "import", str(backup))
            assert summary == {"read": 8, "imported": 8, "duplicates": 0, "unknown_reps": 0}
            assert boards(target, org.contest) == boards(source, org.contest)
            again = events_cli(target_redis.url, "import", str(backup))
            assert again["imported"] == 0 and again["duplicates"] == 8
            assert boards(target, org.contest) == boards(source, org.contest)
            rebuilt = events_cli(target_redis.url, "rebuild", "--contest", org.contest)
            assert rebuilt["rebuilt"][org.contest]["epoch"] == 2
            assert boards(target, org.contest) == boards(source, org.contest)
            assert httpx.get(target.base_url + "/readyz").status_code == 200
        finally:
            source.stop()
            target.stop()
