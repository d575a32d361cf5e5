"""Two server processes on one Redis: a directory change made through one is seen through the other, in the
order it was made, and applied there without reading the whole directory again; a process that cannot know
what changed (a version the change log does not explain) reads everything again and carries on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from game import keys
from server.embedded_redis import EmbeddedRedis
from tests.support.org import deal, make_org, scores, unique
from tests.support.server import RunningServer, launch_server
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, RunningServer, str]]:
    with EmbeddedRedis() as shared_redis:
        first = launch_server(shared_redis.url, Path(tmp_path_factory.mktemp("first")))
        second = launch_server(shared_redis.url, Path(tmp_path_factory.mktemp("second")))
        try:
            yield first, second, shared_redis.url
        finally:
            first.stop()
            second.stop()


def team_of(client: httpx.Client, rep: str) -> str | None:
    listed = {r["id"]: r for r in client.get("/api/v1/reps").json()["reps"]}
    return listed[rep]["team"] if rep in listed else None


def test_moves_made_through_one_process_are_seen_through_the_other_in_order(two_servers) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = two_servers
    with first.admin() as one, second.admin() as other, first.ingest() as ingest:
        org = make_org(one, kind="team", team_score="average", teams=3)
        east, west, north = org.teams
        mover = org.reps[0]
        assert ingest.post("/api/v1/events", json=[deal(mover, 9_000)]).json()["accepted"] == 1
        eventually(lambda: scores(other, org.contest, "teams")[east] == 3, what="the deal on the team board (9 / 3)")
        for team in (west, north, east, west):  # each move seen through the other process before the next
            assert one.put(f"/api/v1/reps/{mover}", json={"name": mover, "team": team}).status_code == 200
            eventually(lambda team=team: team_of(other, mover) == team, what=f"{mover} in {team} through the other")
        # Quick successive moves through both processes: each process ends where the last one left the rep.
        order = [north, east, west, north, east, north]
        for index, team in enumerate(order):
            client = one if index % 2 == 0 else other
            assert client.put(f"/api/v1/reps/{mover}", json={"name": mover, "team": team}).status_code == 200
        for client in (one, other):
            eventually(lambda client=client: team_of(client, mover) == north, what="both processes agree")
        # The points stay with the team they were earned for, and each move was regrouped by the process that
        # made it, from its own copy of the directory: East now divides its 9 points by its 2 members.
        assert scores(other, org.contest, "teams")[east] == 4


def test_a_change_the_log_cannot_explain_makes_the_other_process_read_everything(two_servers) -> None:  # type: ignore[no-untyped-def]
    first, second, redis_url = two_servers
    with first.admin() as one, second.admin() as other:
        team = unique("team")
        assert one.put(f"/api/v1/teams/{team}", json={"name": "Gap"}).status_code == 201
        eventually(lambda: any(t["id"] == team for t in other.get("/api/v1/teams").json()["teams"]))
        # Written behind the registry's back: the version moves on with no note of what changed, as if a
        # process had missed it. Only reading everything again can find this rep.
        hidden = unique("rep")
        direct = redis.Redis.from_url(redis_url)
        try:
            direct.hset(keys.REPS, hidden, json.dumps({"id": hidden, "name": "Hidden", "team": team}))
            direct.incr(keys.CONFIG_VERSION)
            direct.publish(keys.CONFIG_CHANNEL, b"{}")
        finally:
            direct.close()
        eventually(lambda: team_of(other, hidden) == team, what="the rep found by a full reload")
        eventually(lambda: team_of(one, hidden) == team, what="the rep found by a full reload")
        # And changes after it are applied one by one again.
        later = unique("rep")
        assert other.put(f"/api/v1/reps/{later}", json={"name": "Later", "team": team}).status_code == 201
        eventually(lambda: team_of(one, later) == team, what="a change after the reload")
