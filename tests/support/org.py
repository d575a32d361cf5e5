"""A small organisation made through the public API, and the events the tests send it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.support.calendar import Calendar


def unique(prefix: str) -> str:
    """An id no other test will make: 48 random bits, so even 12,000 deals in one test do not collide."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class Org:
    """Teams, reps and one contest, live from a month ago until two months ahead."""

    contest: str
    teams: list[str]
    reps: list[str]
    definition: dict[str, Any]


def make_org(admin: httpx.Client, *, teams: int = 2, reps_per_team: int = 3, **contest: Any) -> Org:
    """Teams ``战队 0..`` with reps ``销售 t-r`` and a contest over them (``contest`` overrides its fields)."""
    team_ids = [unique("team") for _ in range(teams)]
    rep_ids: list[str] = []
    for t_index, team_id in enumerate(team_ids):
        assert admin.put(f"/api/v1/teams/{team_id}", json={"name": f"战队 {t_index}"}).status_code == 201
        for r_index in range(reps_per_team):
            rep_id = unique("rep")
            response = admin.put(f"/api/v1/reps/{rep_id}", json={"name": f"销售 {t_index}-{r_index}", "team": team_id})
            assert response.status_code == 201, response.text
            rep_ids.append(rep_id)
    calendar = Calendar.from_clock()
    definition = {
        "id": unique("contest"),
        "name": "十二月销冠赛",
        "kind": "individual",
        "starts_at": calendar.starts,
        "ends_at": calendar.ends(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
        "team_score": "sum",
        "teams": team_ids,
    }
    definition.update(contest)
    response = admin.post("/api/v1/contests", json=definition)
    assert response.status_code == 201, response.text
    return Org(contest=definition["id"], teams=team_ids, reps=rep_ids, definition=definition)


def import_reps(admin: httpx.Client, reps: list[tuple[str, str, str]], file_rows: int = 1000) -> None:
    """Reps (id, name, team) stored through the CSV import, ``file_rows`` to a file: many reps in little time."""
    for first in range(0, len(reps), file_rows):
        rows = "".join(f"{rep},{name},{team}\n" for rep, name, team in reps[first : first + file_rows])
        response = admin.post(
            "/api/v1/reps/import", content=f"id,name,team\n{rows}", headers={"Content-Type": "text/csv"}
        )
        assert response.status_code == 200 and response.json()["invalid"] == 0, response.text[:500]


def deal(rep: str, amount: str | int, *, event_id: str | None = None, **extra: Any) -> dict[str, Any]:
    """A won deal, by default at 10:00 yesterday (local): in the past, inside every ``make_org`` contest."""
    return {
        "id": event_id or unique("evt"),
        "type": "deal.won",
        "rep": rep,
        "amount": str(amount),
        "occurred_at": Calendar.from_clock().at(1),
        **extra,
    }


def post_events(server: Any, events: Any) -> dict[str, Any]:
    """Events (one or a list) sent with the ingest key; the API's answer."""
    with server.ingest() as client:
        return client.post("/api/v1/events", json=events).json()


def scores(admin: httpx.Client, contest: str, path: str = "leaderboard") -> dict[str, int]:
    """Rep (or team) id → score on one of a contest's boards."""
    response = admin.get(f"/api/v1/contests/{contest}/{path}", params={"limit": 500})
    assert response.status_code == 200, response.text
    return {row["id"]: row["score"] for row in response.json()["rows"]}


def scored_in_order(server: Any, reps: list[str], now: datetime) -> None:
    """A deal each, an hour before ``now``, each smaller than the one before: ``reps`` rank in their order."""
    with server.ingest() as ingest:
        for index, rep in enumerate(reps):
            moment = (now - timedelta(hours=1, minutes=index)).isoformat()
            response = ingest.post("/api/v1/events", json=deal(rep, 90_000 - index * 5000, occurred_at=moment))
            assert response.json()["accepted"] == 1, response.text
