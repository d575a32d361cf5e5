"""Last quarter's deals imported from a CSV today: the simulator counts them by when they occurred, and a
contest created over that quarter scores them (its window, from the event log) — the two agree rep by rep."""

from __future__ import annotations

import random
from datetime import datetime, time

import httpx

from tests.support.calendar import Calendar
from tests.support.org import make_org, unique
from tests.support.waiting import eventually

FIRST_DAY, LAST_DAY = 100, 10  # the quarter: from 100 days ago to 10 days ago


def test_a_csv_imported_quarter_simulates_as_the_contest_that_covered_it_scores(
    admin: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin, teams=2, reps_per_team=3)
    rng = random.Random(14)
    prefix = unique("q")
    lines = ["id,rep,amount,occurred_at"]
    for index in range(40):
        days_ago = rng.randint(LAST_DAY + 1, FIRST_DAY - 1)
        lines.append(
            f"{prefix}-{index},{rng.choice(org.reps[:5])},{rng.randint(1, 90) * 1000},{calendar.date_text(days_ago)}"
        )
    headers = {"content-type": "text/csv; charset=utf-8"}
    imported = admin.post("/api/v1/events/import", content="\n".join(lines).encode(), headers=headers).json()
    assert imported["accepted"] == 40 and not imported["errors"]
    start = datetime.combine(calendar.day(FIRST_DAY), time(0), calendar.zone).isoformat()
    end = datetime.combine(calendar.day(LAST_DAY), time(0), calendar.zone).isoformat()
    rules = [{"on": "deal.won", "points_per": 1000}]
    draft = {"name": "上季度销冠赛", "rules": rules, "teams": org.teams, "team_score": "average"}
    simulation = admin.post("/api/v1/contests/simulate", json={"definition": draft, "from": start, "to": end})
    assert simulation.status_code == 200, simulation.text
    simulated = {row["id"]: (row["rank"], row["score"]) for row in simulation.json()["standings"]}
    assert sum(score for _, score in simulated.values()) > 0  # received today, occurred last quarter: counted
    contest = unique("quarter")
    created = admin.post("/api/v1/contests", json={**draft, "id": contest, "starts_at": start, "ends_at": end})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "ended" and created.json()["window"] == "scoring"

    def scored() -> dict | None:
        window = admin.get(f"/api/v1/contests/{contest}/rescore").json()["window"]
        return window if window["state"] == "done" else None

    assert eventually(scored, what="the quarter scored from the log")["share"] == 1.0
    board = admin.get(f"/api/v1/contests/{contest}/leaderboard", params={"limit": 500}).json()["rows"]
    assert {row["id"]: (row["rank"], row["score"]) for row in board} == simulated
    teams = admin.get(f"/api/v1/contests/{contest}/teams", params={"limit": 500}).json()["rows"]
    simulated_teams = {row["id"]: (row["rank"], row["score"]) for row in simulation.json()["teams"]}
    assert {row["id"]: (row["rank"], row["score"]) for row in teams} == simulated_teams
    results = admin.get(f"/api/v1/contests/{contest}/results").json()
    assert {row["id"]: row["score"] for row in results["standings"]} == {k: v[1] for k, v in simulated.items()}
