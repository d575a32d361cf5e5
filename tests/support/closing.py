"""Contests that close while a test watches: a server with a one-second scheduler, and a contest whose results
are kept (rep a champion over rep b) for tests of what may still change them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.api.contest_payloads import ContestDefinition
from server.embedded_redis import EmbeddedRedis
from tests.support.org import Org, deal, make_org
from tests.support.server import RunningServer, launch_server
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with EmbeddedRedis() as redis:
        running = launch_server(redis.url, Path(tmp_path_factory.mktemp("corrections")), ARENA_SCHEDULER_SECONDS="1")
        yield running
        running.stop()


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def badges_of(admin: httpx.Client, rep: str) -> set[str]:
    return {b["badge"] for b in admin.get(f"/api/v1/reps/{rep}/profile").json()["badges"]}


def results(admin: httpx.Client, contest: str) -> dict[str, Any]:
    response = admin.get(f"/api/v1/contests/{contest}/results")
    assert response.status_code == 200, response.text
    return dict(response.json())


def board(admin: httpx.Client, contest: str) -> list[tuple[int, str, int]]:
    rows = admin.get(f"/api/v1/contests/{contest}/leaderboard", params={"limit": 500}).json()["rows"]
    return [(row["rank"], row["id"], row["score"]) for row in rows]


def rescored(admin: httpx.Client, contest: str, epoch: int) -> None:
    def done() -> bool:
        progress = admin.get(f"/api/v1/contests/{contest}/rescore").json()
        return bool(progress["epoch"] >= epoch and progress["state"] == "done")

    eventually(done, what=f"{contest} rescored into epoch {epoch}")


def closed_contest(admin: httpx.Client, ingest: httpx.Client, **extra: Any) -> tuple[Org, str, str]:
    """A contest that closed (grace 0) with rep a (a low-margin ¥90,000 deal) ahead of rep b (high margin,
    ¥60,000), its ¥5,000 champion prize and champion badge given to a."""
    org = make_org(
        admin,
        starts_at=iso(-timedelta(days=1)),
        ends_at=iso(timedelta(seconds=3)),
        grace_hours=0,
        prizes=[{"rank": 1, "prize": "¥5,000"}],
        **extra,
    )
    a, b = org.reps[0], org.reps[4]
    answer = ingest.post(
        "/api/v1/events",
        json=[
            deal(a, "90000", event_id=f"{org.contest}-a", category="low", occurred_at=iso(-timedelta(hours=1))),
            deal(b, "60000", event_id=f"{org.contest}-b", category="high", occurred_at=iso(-timedelta(hours=2))),
        ],
    ).json()
    assert answer["accepted"] == 2, answer
    final = eventually(lambda: (r := results(admin, org.contest))["final"] and r, what="the contest closed")
    assert final["champion"] == a and final["version"] == 1 and final["corrections"] == []
    assert eventually(lambda: "champion" in badges_of(admin, a))
    return org, a, b


def results_match_the_board(admin: httpx.Client, contest: str) -> dict[str, Any]:
    """The kept results are the final board: same ranks, same scores, the champion on top, prizes by rank."""
    kept = results(admin, contest)
    rows = board(admin, contest)
    assert [(r["rank"], r["id"], r["score"]) for r in kept["standings"]] == rows
    top = [rep for rank, rep, score in rows if rank == 1 and score > 0]
    assert kept["champion"] == (top[0] if top else None)
    assert sorted(p["id"] for p in kept["prizes"]) == sorted(rep for rank, rep, _ in rows if rank == 1)
    return kept


def close_now(admin: httpx.Client, contest: str) -> dict[str, Any]:
    """Close a live contest now, with no grace period (a change with a reason, as a manager makes one through the
    API), and wait for its kept final results."""
    stored = admin.get(f"/api/v1/contests/{contest}").json()
    body = {k: v for k, v in stored.items() if k in ContestDefinition.__struct_fields__}
    body.update(ends_at=iso(timedelta(seconds=2)), grace_hours=0, change_reason="closed early")
    response = admin.put(f"/api/v1/contests/{contest}", json=body)
    assert response.status_code == 202, response.text
    return eventually(lambda: (r := results(admin, contest))["final"] and r, timeout=30, what=f"{contest} closed")
