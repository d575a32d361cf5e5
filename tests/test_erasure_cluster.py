"""The erasure of a person on a real 3-master Redis Cluster with a two-shard event log: every script stays in one
slot, the log is rewritten per shard, boards and team scores come out the same under the pseudonym. And the two
moves a per-rep key may need there: a RENAME within a slot, a copy and a delete across slots (a cluster refuses a
RENAME between slots), for plain keys and for a stream rewritten into another slot with its ids kept."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import cast

import httpx
import pytest
from redis.asyncio.cluster import RedisCluster as AsyncCluster
from redis.cluster import key_slot

from game.pseudonym import pseudonym
from server.services.stream_rewrite_store import StreamRewriter, move_key
from tests.support.accounts import signed_in
from tests.support.org import deal, make_org, scores, unique
from tests.support.redis_cluster import RedisCluster
from tests.support.server import RunningServer, launch_server

XP_SHARDS = 3


def xp_shard(rep: str) -> int:
    """The XP shard a rep's XP lives in (``game.keys.xp_shard_of`` with three shards)."""
    return zlib.crc32(rep.encode()) % XP_SHARDS


def xp_all(admin: httpx.Client, reps: set[str]) -> dict[str, int]:
    """The reps' XP of all time (a week's or a month's board may no longer hold yesterday's deals)."""
    rows = admin.get("/api/v1/xp/all", params={"limit": 500}).json()["rows"]
    return {row["id"]: row["score"] for row in rows if row["id"] in reps}


@pytest.fixture(scope="module")
def server(redis_cluster: RedisCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = launch_server(
        redis_cluster.url,
        Path(tmp_path_factory.mktemp("erasure-cluster")),
        ARENA_REDIS_CLUSTER="1",
        ARENA_LOG_SHARDS="2",
        ARENA_XP_SHARDS=str(XP_SHARDS),
        ARENA_KEY_PREFIX=unique("era").replace("-", ""),
    )
    yield running
    running.stop()


def test_an_erasure_on_a_cluster_with_a_sharded_log(server: RunningServer) -> None:
    secret = server.env["ARENA_SECRET_KEY"]
    with server.admin() as admin, server.ingest() as ingest:
        org = make_org(admin, teams=2, reps_per_team=2)
        while not (moving := [r for r in org.reps if xp_shard(r) != xp_shard(pseudonym(secret, r))]):
            org = make_org(admin, teams=2, reps_per_team=2)
        me = moving[0]  # the pseudonym's XP lives in another shard, on another node: the rep's XP moves there
        events = [deal(rep, 1_000 * (n + 3)) for n, rep in enumerate(org.reps * 3)]  # both shards hold some of mine
        assert ingest.post("/api/v1/events", json=events).json()["accepted"] == len(events)
        manager = signed_in(server, admin, "manager", teams=list(org.teams))
        assert manager.call("POST", "/api/v1/kudos", json={"rep": me, "message": "集群上的赞"}).status_code == 201
        assert (
            admin.post("/api/v1/rewards/grants", json={"rep": me, "points": 9, "ref": unique("g")}).status_code == 200
        )
        before = (scores(admin, org.contest), scores(admin, org.contest, "teams"))
        xp_before = xp_all(admin, set(org.reps))
        assert xp_before[me] > 0

        answer = admin.delete(f"/api/v1/people/{me}")
        assert answer.status_code == 200, answer.text
        alias = pseudonym(server.env["ARENA_SECRET_KEY"], me)
        assert answer.json()["sections"]["events"] == 3 and answer.json()["sections"]["rewards"] > 0
        renamed = {alias if rep == me else rep: score for rep, score in before[0].items()}
        assert (scores(admin, org.contest), scores(admin, org.contest, "teams")) == (renamed, before[1])
        xp_renamed = {alias if rep == me else rep: xp for rep, xp in xp_before.items()}
        assert xp_all(admin, set(xp_renamed)) == xp_renamed
        profile = admin.get(f"/api/v1/reps/{alias}/profile").json()
        assert profile["xp"]["all"] == xp_before[me] and profile["badges"]  # read in the pseudonym's shard
        export = admin.get(f"/api/v1/people/{alias}/export").json()
        assert len(export["events"]["items"]) == 3 and {e["rep"] for e in export["events"]["items"]} == {alias}
        assert [k["message"] for k in export["kudos"]["items"]] == [""]
        assert export["rewards"]["balance"] == 9


def test_keys_and_streams_move_across_slots(redis_cluster: RedisCluster) -> None:
    async def scenario() -> None:
        client = AsyncCluster.from_url(redis_cluster.url)
        try:
            first, second = f"{{a}}:{unique('k')}", f"{{b}}:{unique('k')}"
            assert key_slot(first.encode()) != key_slot(second.encode())
            await client.hset(first, mapping={"x": "1"})
            await client.expire(first, 600)
            assert await move_key(client, first, second)  # type: ignore[arg-type]
            assert await client.hgetall(second) == {b"x": b"1"} and not await client.exists(first)
            assert 0 < await client.ttl(second) <= 600
            same = f"{{b}}:{unique('k')}"
            assert await move_key(client, second, same)  # type: ignore[arg-type]
            assert await client.hgetall(same) == {b"x": b"1"}
            assert not await move_key(client, first, second)  # type: ignore[arg-type]  # nothing left to move

            stream, moved = f"{{a}}:{unique('s')}", f"{{b}}:{unique('s')}"
            ids = [await client.xadd(stream, {"v": str(n)}) for n in range(5)]
            rewriter = StreamRewriter(client)  # type: ignore[arg-type]

            def doubled(fields: Mapping[bytes, bytes]) -> dict[bytes, bytes] | None:
                return None if fields[b"v"] == b"0" else {b"v": str(2 * int(fields[b"v"])).encode()}

            assert await rewriter.rewrite(stream, doubled, moved) == 4
            entries = cast("list[tuple[bytes, dict[bytes, bytes]]]", await client.xrange(moved))
            assert [entry_id for entry_id, _ in entries] == ids
            assert [fields[b"v"] for _, fields in entries] == [b"0", b"2", b"4", b"6", b"8"]
            assert not await client.exists(stream)
        finally:
            await client.aclose()

    asyncio.run(scenario())
