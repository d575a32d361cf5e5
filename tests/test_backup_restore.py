"""The restore drill: an organisation built through the server, backed up by the scheduler, restored into a fresh
Redis and served by a second server answers every board, ledger and result as the first did."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from server.embedded_redis import EmbeddedRedis
from server.services.backup_store import CONFIG_FILE, LATEST, backups
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, unique
from tests.support.server import ROOT, RunningServer, launch_server
from tests.support.waiting import eventually

RULES = [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 3, "cap_per_day": 7}]


def backup_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.backup", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in names}


def everything(server: RunningServer, contests: list[str], reps: list[str]) -> dict[str, Any]:
    """What the organisation's people see: its directory, every board, ledger, result, profile and XP board."""
    seen: dict[str, Any] = {}
    with server.admin() as admin:

        def get(path: str, **params: Any) -> Any:
            response = admin.get(path, params=params)
            assert response.status_code == 200, (path, response.text)
            return response.json()

        seen["teams"] = get("/api/v1/teams")["teams"]
        seen["reps"] = get("/api/v1/reps")["reps"]
        seen["contests"] = sorted(c["id"] for c in get("/api/v1/contests")["contests"])
        seen["xp"] = get("/api/v1/xp/month")["rows"]
        for contest in contests:
            seen[contest] = {
                "reps": get(f"/api/v1/contests/{contest}/leaderboard", limit=500)["rows"],
                "teams": get(f"/api/v1/contests/{contest}/teams")["rows"],
                "results": get(f"/api/v1/contests/{contest}/results"),
                "ledgers": {
                    rep: [without(e, "id") for e in get(f"/api/v1/reps/{rep}/ledger", contest=contest)["entries"]]
                    for rep in reps
                },
            }
        seen["badges"] = {rep: get(f"/api/v1/reps/{rep}/profile")["badges"] for rep in reps}
    return seen


def test_a_scheduled_backup_restores_into_a_fresh_redis_with_every_board_ledger_and_result(
    tmp_path: Path, calendar: Calendar
) -> None:
    directory = tmp_path / "backups"
    with EmbeddedRedis() as source_redis, EmbeddedRedis() as target_redis:
        source = launch_server(
            source_redis.url,
            tmp_path / "a",
            ARENA_SCHEDULER_SECONDS="1",
            ARENA_BACKUP_DIR=str(directory),
            ARENA_BACKUP_HOURS="0.0003",  # about a second: a backup on nearly every tick
            ARENA_BACKUP_KEEP="2",
        )
        target = None
        try:
            with source.admin() as admin:
                org = make_org(admin, rules=RULES)
                closing = unique("closing")
                closed = {**org.definition, "id": closing, "starts_at": iso(-timedelta(days=1))}
                closed.update(ends_at=iso(timedelta(seconds=3)), grace_hours=0, prizes=[{"rank": 1, "prize": "奖杯"}])
                admin.post("/api/v1/contests", json=closed).raise_for_status()
                archived = unique("archived")
                admin.post("/api/v1/contests", json={**org.definition, "id": archived}).raise_for_status()
            won = deal(org.reps[0], "120000")
            events = [
                won,
                deal(org.reps[1], "45000", category="x"),
                deal(org.reps[4], "99000", occurred_at=iso(-timedelta(hours=1))),
                *(
                    {"id": f"call-{i}", "type": "call.logged", "rep": org.reps[2], "occurred_at": calendar.at(1, 9)}
                    for i in range(4)
                ),
                {"id": "undo", "type": "deal.reversed", "rep": org.reps[0], "ref": won["id"]},
            ]
            with source.ingest() as ingest:
                answer = ingest.post("/api/v1/events", json=events + events[:3]).json()  # duplicates too
                assert (answer["accepted"], answer["duplicates"]) == (8, 3)
            with source.admin() as admin:
                eventually(lambda: admin.get(f"/api/v1/contests/{closing}/results").json()["final"])
                admin.post(f"/api/v1/contests/{archived}/archive").raise_for_status()  # kept, never rebuilt
            settled = datetime.now(UTC)

            def backed_up_after_settling() -> Path:
                newest = directory / (directory / LATEST).read_text().strip()
                manifest = json.loads((newest / CONFIG_FILE).read_text())
                assert datetime.fromisoformat(manifest["created_at"]) > settled
                return newest

            backup = eventually(backed_up_after_settling, timeout=20)
            assert httpx.get(source.base_url + "/readyz").json()["backups"]["last_name"]
            assert 1 <= len(backups(directory)) <= 2  # rotated
            assert not [p for p in directory.iterdir() if p.name.endswith(".tmp")]
            before = everything(source, [org.contest, closing, archived], org.reps)
            assert before[closing]["results"]["final"] and before[closing]["results"]["prizes"]
            assert any(badge["badge"] == "champion" for badge in before["badges"][org.reps[4]])
            assert before[closing]["results"]["champion"] == org.reps[4]
            assert any(row["score"] for row in before[org.contest]["reps"])
            assert before[archived]["reps"] == before[org.contest]["reps"]

            source.stop()  # no more backups: the newest (LATEST) stays, not rotated away while it is read
            assert backups(directory)[-1] >= backup
            restored = backup_cli("restore", str(directory), "--redis", target_redis.url)
            assert restored.returncode == 0, restored.stderr
            summary = json.loads(restored.stdout.strip().splitlines()[-1])
            assert (summary["imported"], summary["unknown_reps"]) == (8, 0)
            assert set(summary["rebuilt"]) == {org.contest, closing}
            again = backup_cli("restore", str(directory), "--redis", target_redis.url)
            assert again.returncode != 0 and "--force" in again.stderr  # never over an organisation

            target = launch_server(target_redis.url, tmp_path / "b", ARENA_SECRET_KEY=source.env["ARENA_SECRET_KEY"])
            assert everything(target, [org.contest, closing, archived], org.reps) == before
        finally:
            source.stop()
            if target is not None:
                target.stop()
