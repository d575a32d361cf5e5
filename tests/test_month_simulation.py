"""A month of simulated activity — 20,000 events, 200 reps, 10 teams — scores and rescores identically."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx

from scripts.simulator import Simulator
from tests.support.org import unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

EVENTS = 20_000  # calls, meetings and deals of 200 reps over 29 days: some 3 events a rep a day


def all_rows(admin: httpx.Client, contest: str, path: str) -> list[tuple[int, str, int]]:
    rows = admin.get(f"/api/v1/contests/{contest}/{path}", params={"limit": 500}).json()["rows"]
    return [(row["rank"], row["id"], row["score"]) for row in rows]


def test_a_month_of_activity_scores_and_rescores_to_identical_boards(server: RunningServer) -> None:
    now = datetime.now(UTC)
    start = now - timedelta(days=30)
    with server.admin() as admin:
        teams = [unique("sim-team") for _ in range(10)]
        reps: list[str] = []
        for index, team in enumerate(teams):
            admin.put(f"/api/v1/teams/{team}", json={"name": f"战队{index}"}).raise_for_status()
            for member in range(20):
                rep = f"{team}-{member}"
                admin.put(
                    f"/api/v1/reps/{rep}", json={"name": f"Rep {index}-{member}", "team": team}
                ).raise_for_status()
                reps.append(rep)
        contest = unique("month")
        admin.post(
            "/api/v1/contests",
            json={
                "id": contest,
                "name": "月度销冠赛",
                "starts_at": start.isoformat(),
                "ends_at": (now + timedelta(days=1)).isoformat(),
                "teams": teams,
                "team_score": "average",
                "multipliers": {"category": {"high_margin": 1.5}},
                "rules": [
                    {"on": "deal.won", "points_per": 1000},
                    {"on": "deal.won", "points": 20, "new_customer_only": True},
                    {"on": "call.logged", "points": 1, "cap_per_day": 10},
                    {"on": "meeting.held", "points": 5},
                ],
            },
        ).raise_for_status()
        events = Simulator(reps, seed=2026).events(EVENTS, start + timedelta(minutes=1), timedelta(days=29))
        started = time.monotonic()
        with server.ingest() as ingest:
            accepted = 0
            for offset in range(0, len(events), 1000):
                answer = ingest.post("/api/v1/events", json=events[offset : offset + 1000]).json()
                assert not answer["rejected"], answer["rejected"][:3]
                accepted += answer["accepted"]
        ingest_seconds = time.monotonic() - started
        assert accepted == EVENTS
        live_reps, live_teams = all_rows(admin, contest, "leaderboard"), all_rows(admin, contest, "teams")
        assert len(live_reps) == 200 and len(live_teams) == 10
        assert sum(score for *_, score in live_reps) > 0
        for rep in (live_reps[0][1], live_reps[-1][1]):
            book = admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": contest, "limit": 500}).json()
            total = book["total"]
            points = sum(e["points"] for e in book["entries"])
            cursor = book["next_cursor"]
            while cursor:
                page = admin.get(
                    f"/api/v1/reps/{rep}/ledger", params={"contest": contest, "limit": 500, "cursor": cursor}
                ).json()
                points += sum(e["points"] for e in page["entries"])
                cursor = page["next_cursor"]
            assert points == total == next(score for _, r, score in live_reps if r == rep)
        started = time.monotonic()
        assert admin.post(f"/api/v1/contests/{contest}/rescore").status_code == 202
        eventually(
            lambda: admin.get(f"/api/v1/contests/{contest}/rescore").json()["state"] == "done",
            timeout=240,
            what="the rescore finished",
        )
        rescore_seconds = time.monotonic() - started
        assert admin.get(f"/api/v1/contests/{contest}").json()["epoch"] == 2
        assert all_rows(admin, contest, "leaderboard") == live_reps
        assert all_rows(admin, contest, "teams") == live_teams
        print(f"\n{EVENTS} events: ingest {ingest_seconds:.1f}s, rescore {rescore_seconds:.1f}s")
