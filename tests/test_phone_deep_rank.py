"""A phone far down a big board: a contest of 12,001 reps (imported in files of 1,000, one deal each), and
the phone of the rep ranked 12,000th — below the 10,000 rows a tick reads — sees its rank, score and gap
to the next rank, and sees them move when a deal takes it past the rep above (real server, real Redis)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.accounts import rep_session_cookie
from tests.support.calendar import Calendar
from tests.support.org import deal, import_reps, post_events, unique
from tests.support.server import RunningServer
from tests.support.websocket import next_op

pytestmark = pytest.mark.own_server

REPS = 12_001
FILE_ROWS = 1_000  # the import's limit per file, and the ingest's per batch
STEP = 3  # points between two neighbours on the board: rank i has 3 × (REPS + 1 - i)
BATCH_TIMEOUT = 60.0  # seconds for a batch of 1,000 deals (a loaded machine takes longer than httpx's 5)


def post_batch(server: RunningServer, events: list[dict[str, object]]) -> dict[str, object]:
    with server.ingest() as client:
        client.timeout = httpx.Timeout(BATCH_TIMEOUT)
        answer: dict[str, object] = client.post("/api/v1/events", json=events).json()
        return answer


def test_the_rep_ranked_12000th_sees_the_right_rank_and_gap_on_the_phone(server: RunningServer) -> None:
    team = unique("team")
    reps = [f"deep-{index:05d}" for index in range(REPS)]
    with server.admin() as admin:
        assert admin.put(f"/api/v1/teams/{team}", json={"name": "深海战队"}).status_code == 201
        import_reps(admin, [(rep, f"销售 {rep}", team) for rep in reps], FILE_ROWS)
        calendar = Calendar.from_clock()
        contest = unique("contest")
        definition = {
            "id": contest,
            "name": "万人赛",
            "kind": "individual",
            "starts_at": calendar.starts,
            "ends_at": calendar.ends(),
            "rules": [{"on": "deal.won", "points_per": 1000}],
            "teams": [team],
        }
        assert admin.post("/api/v1/contests", json=definition).status_code == 201
    deals = [deal(rep, 1000 * STEP * (REPS - index)) for index, rep in enumerate(reps)]  # rank index + 1
    for first in range(0, REPS, FILE_ROWS):
        batch = deals[first : first + FILE_ROWS]
        assert post_batch(server, batch)["accepted"] == len(batch)
    deep = reps[11_999]  # ranked 12,000th with 6 points; the 11,999th has 9
    cookie = rep_session_cookie(server, deep)

    async def scenario() -> None:
        async with connect(server.ws_url, additional_headers={"Cookie": cookie}, max_size=None) as ws:
            await next_op(ws, "hello")
            await ws.send(json.dumps({"op": "subscribe", "board": f"me:{contest}"}))
            first = await next_op(ws, "me", timeout=15)
            assert (first["rep"], first["rank"], first["score"], first["gap_to_next"]) == (deep, 12_000, 6, 3)
            assert first["of"] == REPS
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, post_events, server, deal(deep, 4000))  # 10 points: past the 11,999th (9)
            async with asyncio.timeout(15):
                while True:
                    moved = await next_op(ws, "me", timeout=15)
                    if moved["score"] == 10:
                        break
            assert (moved["rank"], moved["gap_to_next"]) == (11_999, 2)  # the 11,998th has 12
            assert [row["amount"] for row in moved["recent"]] == ["4000", "6000"]  # its seed deal was among the last

    asyncio.run(scenario())
