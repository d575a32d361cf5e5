"""Backup and restore of the event log with one command each, and rebuilding boards from it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis

from game import keys
from server.embedded_redis import EmbeddedRedis
from tests.support.calendar import Calendar
from tests.support.events_cli import events_cli_with, summary_of
from tests.support.org import Org, deal, make_org
from tests.support.server import ROOT, RunningServer, launch_server
from tests.support.waiting import eventually


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


RULES = [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 3, "cap_per_day": 7}]


def copy_org(source: RunningServer, target: RunningServer, org: Org) -> None:
    """The same organisation and contest on the new installation (then the log can follow)."""
    with target.admin() as admin, source.admin() as old:
        for team in old.get("/api/v1/teams").json()["teams"]:
            admin.put(f"/api/v1/teams/{team['id']}", json={"name": team["name"]}).raise_for_status()
        for rep in old.get("/api/v1/reps").json()["reps"]:
            if rep["id"] in org.reps:
                admin.put(f"/api/v1/reps/{rep['id']}", json={"name": rep["name"], "team": rep["team"]})
        admin.post("/api/v1/contests", json=org.definition).raise_for_status()


@pytest.mark.parametrize("suffix", [".jsonl", ".msgpack"])
def test_export_then_import_into_an_empty_store_rebuilds_the_same_boards(
    tmp_path: Path, suffix: str, calendar: Calendar
) -> None:
    with EmbeddedRedis() as source_redis, EmbeddedRedis() as target_redis:
        source = launch_server(source_redis.url, tmp_path / "a")
        target = launch_server(target_redis.url, tmp_path / "b")
        try:
            with source.admin() as admin:
                org = make_org(admin, rules=RULES)
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
            copy_org(source, target, org)
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


def test_a_sharded_log_exports_in_order_rebuilds_and_moves_to_another_shard_count(
    tmp_path: Path, calendar: Calendar
) -> None:
    with EmbeddedRedis() as source_redis, EmbeddedRedis() as target_redis:
        source = launch_server(source_redis.url, tmp_path / "a", ARENA_LOG_SHARDS="3")
        target = launch_server(target_redis.url, tmp_path / "b")  # one shard: the log moves to another count
        client = redis.Redis.from_url(source_redis.url)
        try:
            with source.admin() as admin:
                org = make_org(admin, rules=RULES)
            requests: list[list[dict]] = []
            for round_ in range(4):
                deals = [deal(org.reps[(round_ + i) % 6], 10_000 + 1_000 * i) for i in range(12)]
                calls = [
                    {
                        "id": f"call-{round_}-{i}",
                        "type": "call.logged",
                        "rep": org.reps[i % 6],
                        "occurred_at": calendar.at(1, 9),
                    }
                    for i in range(8)
                ]
                undo = {"id": f"undo-{round_}", "type": "deal.reversed", "rep": deals[0]["rep"], "ref": deals[0]["id"]}
                requests.append([*deals, *calls, undo])

            def redis_millis() -> int:
                seconds, micros = client.time()
                return seconds * 1000 + micros // 1000

            with source.ingest() as ingest:
                for number, batch in enumerate(requests):
                    if number == 2:  # a moment between the second and the third request, by Redis's clock
                        between = redis_millis() + 1
                        eventually(lambda moment=between: redis_millis() > moment)
                    answer = ingest.post("/api/v1/events", json=batch + batch[:5]).json()  # duplicates in the batch
                    assert (answer["accepted"], answer["duplicates"]) == (21, 5)
                answer = ingest.post("/api/v1/events", json=requests[0]).json()  # and across batches
                assert (answer["accepted"], answer["duplicates"]) == (0, 21)
            assert all(client.xlen(keys.event_log(shard)) for shard in range(3))  # spread over the three shards
            before = boards(source, org.contest)
            assert summary_of(events_cli_with(source_redis.url, 3, "rebuild", "--contest", org.contest))
            assert boards(source, org.contest) == before  # rebuilt from three shards: the same boards

            backup = tmp_path / "backup.jsonl"
            assert summary_of(events_cli_with(source_redis.url, 3, "export", str(backup)))["exported"] == 84
            exported = [json.loads(line)["id"] for line in backup.read_text().splitlines()]
            # One global order: every request's events after the earlier requests' ones.
            assert [sorted(exported[21 * n : 21 * (n + 1)]) for n in range(4)] == [
                sorted(e["id"] for e in batch) for batch in requests
            ]
            older = tmp_path / "older.jsonl"
            moment = datetime.fromtimestamp(between / 1000, UTC).isoformat()
            assert summary_of(events_cli_with(source_redis.url, 3, "export", str(older), "--before", moment)) == {
                "exported": 42,
                "file": str(older),
            }
            assert [json.loads(line)["id"] for line in older.read_text().splitlines()] == exported[:42]
            refused = events_cli_with(source_redis.url, 2, "export", str(tmp_path / "no.jsonl"))
            assert refused.returncode != 0
            assert "the event log is written in 3 shard(s) but ARENA_LOG_SHARDS is 2" in refused.stderr

            copy_org(source, target, org)
            imported = summary_of(events_cli_with(target_redis.url, 1, "import", str(backup)))
            assert (imported["imported"], imported["duplicates"]) == (84, 0)
            assert boards(target, org.contest) == before
            assert summary_of(events_cli_with(target_redis.url, 1, "rebuild", "--contest", org.contest))
            assert boards(target, org.contest) == before  # one shard rebuilds what three did
            moved = tmp_path / "moved.jsonl"
            summary_of(events_cli_with(target_redis.url, 1, "export", str(moved)))
            assert [json.loads(line)["id"] for line in moved.read_text().splitlines()] == exported
        finally:
            client.close()
            source.stop()
            target.stop()
