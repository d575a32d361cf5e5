"""Accepted events are never lost or double counted, whatever the retries and the interleaving."""

from __future__ import annotations

import asyncio
import random

import httpx

from tests.support.calendar import Calendar
from tests.support.org import make_org, unique
from tests.support.server import INGEST_KEY, RunningServer


def test_thousand_events_sent_three_times_shuffled_and_concurrently_give_exact_totals(
    server: RunningServer, calendar: Calendar
) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=2, reps_per_team=5)
    rng = random.Random(20261122)
    events = []
    expected: dict[str, int] = dict.fromkeys(org.reps, 0)
    for index in range(1000):
        rep = rng.choice(org.reps)
        amount = rng.randrange(1000, 200_000)
        events.append(
            {
                "id": f"{unique('idem')}-{index}",
                "type": "deal.won",
                "rep": rep,
                "amount": str(amount),
                "occurred_at": calendar.at(1),
            }
        )
        expected[rep] += amount // 1000
    sends = events * 3
    rng.shuffle(sends)
    batches: list[list[dict]] = []
    position = 0
    while position < len(sends):  # a mix of single events and batches of up to 50
        size = rng.choice([1, 1, 7, 50])
        batches.append(sends[position : position + size])
        position += size

    async def send_all() -> tuple[int, int]:
        limits = asyncio.Semaphore(16)
        async with httpx.AsyncClient(
            base_url=server.base_url, timeout=30, headers={"Authorization": f"Bearer {INGEST_KEY}"}
        ) as client:

            async def send(batch: list[dict]) -> dict:
                async with limits:
                    body = batch[0] if len(batch) == 1 else batch
                    response = await client.post("/api/v1/events", json=body)
                    assert response.status_code == 200, response.text
                    return response.json()

            answers = await asyncio.gather(*(send(b) for b in batches))
        return sum(a["accepted"] for a in answers), sum(a["duplicates"] for a in answers)

    accepted, duplicates = asyncio.run(send_all())
    assert (accepted, duplicates) == (1000, 2000)
    with server.admin() as admin:
        rows = admin.get(f"/api/v1/contests/{org.contest}/leaderboard", params={"limit": 100}).json()["rows"]
        teams = admin.get(f"/api/v1/contests/{org.contest}/teams").json()["rows"]
    assert {r["id"]: r["score"] for r in rows} == expected
    team_of = {rep: org.teams[i // 5] for i, rep in enumerate(org.reps)}
    team_expected = {t: sum(v for r, v in expected.items() if team_of[r] == t) for t in org.teams}
    assert {r["id"]: r["score"] for r in teams} == team_expected
