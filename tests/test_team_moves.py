"""A rep who changes team, or leaves, re-ranks the teams at once: both teams' scores (sum, average, best-N,
percent of target) change with the answer to the move, and the team board's viewers get the diff, with no
further event. Points stay with the team they were earned for."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from tests.support.org import deal, make_org, scores
from tests.support.server import ADMIN_KEY, RunningServer
from tests.support.websocket import BoardCopy, follow, next_op


def move(admin: httpx.Client, rep: str, team: str, *, active: bool = True) -> None:
    response = admin.put(f"/api/v1/reps/{rep}", json={"name": rep, "team": team, "active": active})
    assert response.status_code == 200, response.text


def send(ingest: httpx.Client, *events: dict[str, Any]) -> None:
    response = ingest.post("/api/v1/events", json=list(events))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(events), response.text


def test_a_move_changes_both_teams_averages_at_once(server: RunningServer, admin, ingest) -> None:  # type: ignore[no-untyped-def]
    org = make_org(admin, kind="team", team_score="average")
    east, west = org.teams
    send(ingest, deal(org.reps[0], 12_000), deal(org.reps[3], 6_000))
    assert scores(admin, org.contest, "teams") == {east: 4, west: 2}  # 12 / 3 and 6 / 3

    move(admin, org.reps[1], west)  # no points of its own: only the sizes change
    assert scores(admin, org.contest, "teams") == {east: 6, west: 1}  # 12 / 2 and floor(6 / 4)

    move(admin, org.reps[0], west)  # the 12 points stay with the team they were earned for
    assert scores(admin, org.contest, "teams") == {east: 12, west: 1}  # 12 / 1 and floor(6 / 5)

    send(ingest, deal(org.reps[0], 4_000))  # a deal after the move counts for the new team
    assert scores(admin, org.contest, "teams") == {east: 12, west: 2}  # floor(10 / 5)

    move(admin, org.reps[2], east, active=False)  # the last member leaves: the team divides by one
    assert scores(admin, org.contest, "teams") == {east: 12, west: 2}


def test_best_n_picks_from_the_members_of_the_moment(server: RunningServer, admin, ingest) -> None:  # type: ignore[no-untyped-def]
    org = make_org(admin, kind="team", team_score="best:1")
    east, west = org.teams
    send(ingest, deal(org.reps[0], 10_000), deal(org.reps[1], 5_000), deal(org.reps[3], 2_000))
    assert scores(admin, org.contest, "teams") == {east: 10, west: 2}

    move(admin, org.reps[0], west)  # East's best is now its second; West's best is still its own 2
    assert scores(admin, org.contest, "teams") == {east: 5, west: 2}

    move(admin, org.reps[0], east)  # back again: the points East kept for it count again
    assert scores(admin, org.contest, "teams") == {east: 10, west: 2}


def test_a_csv_import_that_moves_reps_rescores_the_teams(server: RunningServer, admin, ingest) -> None:  # type: ignore[no-untyped-def]
    org = make_org(admin, kind="team", team_score="average")
    east, west = org.teams
    send(ingest, deal(org.reps[0], 9_000))
    assert scores(admin, org.contest, "teams") == {east: 3, west: 0}
    rows = "\n".join(f"{rep},{rep},{west}" for rep in org.reps[1:3])
    response = admin.post(
        "/api/v1/reps/import", content=f"id,name,team\n{rows}\n", headers={"content-type": "text/csv"}
    )
    assert response.status_code == 200 and response.json()["imported"] == 2, response.text
    assert scores(admin, org.contest, "teams") == {east: 9, west: 0}


def test_percent_of_target_teams_follow_their_members_targets(server: RunningServer, admin, ingest) -> None:  # type: ignore[no-untyped-def]
    org = make_org(admin, kind="team", scoring="percent_of_target", default_target=10)
    east, west = org.teams
    send(ingest, deal(org.reps[0], 6_000))
    assert scores(admin, org.contest, "teams")[east] == 200  # 6 of a 30-point target: 20.0 %
    move(admin, org.reps[1], west)
    assert scores(admin, org.contest, "teams") == {east: 300, west: 0}  # 6 of 20


def test_team_board_viewers_see_a_move_without_another_event(server: RunningServer, admin, ingest) -> None:  # type: ignore[no-untyped-def]
    org = make_org(admin, kind="team", team_score="average")
    east, west = org.teams
    send(ingest, deal(org.reps[0], 12_000))

    async def scenario() -> None:
        async with connect(f"{server.ws_url}?token={ADMIN_KEY}", subprotocols=["arena.v1.json"]) as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": f"contest:{org.contest}:teams"}))
            copy = BoardCopy()
            copy.apply(await next_op(ws, "snapshot"))
            assert copy.rows[east]["score"] == 4
            seq = copy.seq
            await asyncio.get_running_loop().run_in_executor(None, move, admin, org.reps[1], west)
            # a directory change may rename rows, so the hub may send a fresh snapshot rather than a diff
            await follow(ws, copy, lambda c: c.rows[east]["score"] == 6)
            assert copy.seq > seq and [(r["id"], r["score"]) for r in copy.ordered()] == [(east, 6), (west, 0)]

    asyncio.run(scenario())


MODES = ["sum", "average", "best:2"]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("deal"), st.integers(0, 5), st.integers(0, 30)),
        st.tuples(st.just("move"), st.integers(0, 5), st.integers(0, 2), st.booleans()),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(mode=st.sampled_from(MODES), history=steps)
def test_after_random_moves_the_team_board_is_recomputed_from_the_points(  # type: ignore[no-untyped-def]
    server: RunningServer, admin, ingest, mode: str, history: list[tuple[Any, ...]]
) -> None:
    """Whatever the moves, the team board equals the team scores recomputed from who earned what for which
    team and the rosters as they are now, each read right after the last change."""
    org = make_org(admin, teams=3, reps_per_team=2, kind="team", team_score=mode)
    team_of = {rep: org.teams[i // 2] for i, rep in enumerate(org.reps)}
    active = dict.fromkeys(org.reps, True)
    earned: dict[tuple[str, str], int] = {}  # (team, rep) -> points earned for that team
    for step in history:
        rep = org.reps[step[1]]
        if step[0] == "deal":
            send(ingest, deal(rep, step[2] * 1000))
            earned[(team_of[rep], rep)] = earned.get((team_of[rep], rep), 0) + step[2]
        else:
            team_of[rep], active[rep] = org.teams[step[2]], step[3]
            move(admin, rep, team_of[rep], active=active[rep])
    expected = {}
    for team in org.teams:
        points = {rep: p for (t, rep), p in earned.items() if t == team}
        roster = [rep for rep in org.reps if team_of[rep] == team and active[rep]]
        if mode == "best:2":
            expected[team] = sum(sorted((points.get(rep, 0) for rep in roster), reverse=True)[:2])
        elif mode == "average":
            expected[team] = math.floor(sum(points.values()) / max(len(roster), 1))
        else:
            expected[team] = sum(points.values())
    assert scores(admin, org.contest, "teams") == expected
