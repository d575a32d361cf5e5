"""XP in three shards by rep (``ARENA_XP_SHARDS=3``) through two server processes, on a real 3-master Redis
Cluster of this module's own (the shard count is kept in Redis, so the session's shared cluster, written with one
shard, cannot serve) and on a single embedded Redis: each shard's XP on its own node, the merged ``xp:week`` board
and every rep's rank as an independent computation has them, duplicates and corrections exact, first-deal badges
awarded and sent to a chat once, and a screen's XP board kept up to date by diffs."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from redis.cluster import key_slot
from websockets.asyncio.client import connect as ws_connect

from game import keys
from game.ranking import competition_ranks
from server.config import load_settings
from server.embedded_redis import EmbeddedRedis
from server.redis_connection import connect
from server.services.progress_store import ProgressStore
from tests.support.fake_chat import FakeChat, running_fake_chat
from tests.support.journeys import DIFF_ROUNDS, Place, post
from tests.support.org import Org, deal, make_org, unique
from tests.support.redis_cluster import RedisCluster, cluster_binary
from tests.support.server import ADMIN_KEY, RunningServer, server_pair
from tests.support.waiting import eventually
from tests.support.websocket import BoardCopy, follow

Pair = tuple[RunningServer, RunningServer]
SHARDS = 3


@pytest.fixture(scope="module", params=["single", "cluster"])
def place(request: pytest.FixtureRequest) -> Iterator[Place]:
    env = {"ARENA_XP_SHARDS": str(SHARDS)}
    if request.param == "cluster":
        binary = cluster_binary()
        if binary is None:
            pytest.skip("no redis-server 7 or newer here: a Redis Cluster with sharded pub/sub needs one")
        with RedisCluster(binary) as cluster:
            yield Place("cluster", cluster.url, {**env, "ARENA_REDIS_CLUSTER": "1"})
        return
    with EmbeddedRedis() as single:
        yield Place("single", single.url, env)


@pytest.fixture(scope="module")
def pair(place: Place, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    tmp = tmp_path_factory.mktemp(f"xp-shards-{place.name}")
    fast = {"ARENA_SCHEDULER_SECONDS": "1", "ARENA_NOTIFY_SECONDS": "1", "ARENA_OUTBOUND_ALLOW_PRIVATE": "1"}
    with server_pair(place.url, tmp, **fast, **place.env) as servers:
        yield servers


@pytest.fixture(scope="module", autouse=True)
def xp_shards() -> Iterator[None]:
    """This process names XP keys as the servers do (one shard again afterwards)."""
    keys.use_xp_shards(SHARDS)
    try:
        yield
    finally:
        keys.use_xp_shards(1)


@pytest.fixture(scope="module")
def chat() -> Iterator[FakeChat]:
    with running_fake_chat() as fake:
        yield fake


def xp(amount: int) -> int:
    """A won deal's XP by the workspace rules (``game/xp.py``): 10, and 1 per 1,000 of the organisation's money."""
    return 10 + amount // 1000


def org_on_every_shard(server: RunningServer) -> Org:
    with server.admin() as admin:
        org = make_org(admin, teams=3, reps_per_team=10)
    assert {keys.xp_shard_of(rep) for rep in org.reps} == set(range(SHARDS))
    return org


def week_rows(server: RunningServer) -> list[dict[str, Any]]:
    with server.admin() as admin:
        response = admin.get("/api/v1/xp/week", params={"limit": 500})
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


def in_reps(rows: list[dict[str, Any]], org: Org) -> dict[str, int]:
    """This organisation's reps with XP on a board (a rep whose deals were all taken back stays on it with 0)."""
    return {row["id"]: row["score"] for row in rows if row["id"] in org.reps and row["score"]}


def node_of(url: str, key: str) -> int:
    """The port of the cluster node holding ``key``'s slot."""
    with redis.Redis.from_url(url) as client:
        for first, last, (_host, port, *_), *_ in client.execute_command("CLUSTER", "SLOTS"):
            if first <= key_slot(key.encode()) <= last:
                return int(port)
    raise AssertionError(f"no node holds {key}")


def ranks(place: Place, week: str, reps: list[str]) -> list[tuple[int, int] | None]:
    """Each rep's rank and XP on the week's board, as ``ProgressStore`` counts them over every shard."""

    async def read() -> list[tuple[int, int] | None]:
        redis = connect(load_settings({**place.env, "ARENA_REDIS_URL": place.url}).redis, max_connections=4)
        try:
            return [await ProgressStore(redis).xp_rank("week", week, rep) for rep in reps]
        finally:
            await redis.aclose()

    return asyncio.run(read())


def test_merged_board_ranks_duplicates_and_corrections_are_exact(pair: Pair, place: Place) -> None:
    a, b = pair
    org = org_on_every_shard(a)
    now = datetime.now(UTC).isoformat()
    deals = [deal(rep, 1000 * (index % 7) + 2500, occurred_at=now) for index, rep in enumerate(org.reps)]
    expected = Counter({d["rep"]: xp(int(d["amount"])) for d in deals})
    assert post(a, deals)["accepted"] == len(deals)
    assert post(b, deals[:5])["duplicates"] == 5

    first, moved = org.reps[0], org.reps[1]
    elsewhere = next(rep for rep in org.reps if keys.xp_shard_of(rep) != keys.xp_shard_of(moved))
    reversal = {"id": unique("fix"), "type": "deal.reversed", "rep": first, "ref": deals[0]["id"]}
    move = {"id": unique("fix"), "type": "deal.updated", "rep": elsewhere, "ref": deals[1]["id"]}
    move |= {"amount": "20000", "occurred_at": now}
    post(b, [reversal, move])
    post(a, [reversal, move, deals[0], deals[1]])  # corrections again, originals again: nothing moves
    expected[first] = 0
    expected[moved] = 0
    expected[elsewhere] += xp(20000)
    # A reversal naming another rep arrives before its deal: the deal counts nowhere when it comes.
    late = deal(next(rep for rep in org.reps if keys.xp_shard_of(rep) != keys.xp_shard_of(first)), 9000)
    post(a, [{"id": unique("fix"), "type": "deal.reversed", "rep": first, "ref": late["id"]}])
    post(b, [late | {"occurred_at": now}])

    standing = {rep: score for rep, score in expected.items() if score}
    rows = eventually(lambda: week_rows(b) if in_reps(week_rows(b), org) == standing else None, what="XP applied")
    ours = [row for row in rows if row["id"] in standing]
    order = sorted(standing.items(), key=lambda item: (item[1], item[0].encode()), reverse=True)
    assert [(row["id"], row["score"]) for row in ours] == order  # the order of one sorted set
    with a.admin() as admin:
        week = admin.get("/api/v1/xp/week").json()["period"]
    whole = [(row["id"], row["score"]) for row in rows if row["score"]]  # every organisation's reps
    by_rank = {r.id: (r.rank, r.score) for r in competition_ranks(whole)}
    assert {row["id"]: row["rank"] for row in rows if row["score"]} == {rep: r for rep, (r, _) in by_rank.items()}
    assert ranks(place, week, list(standing)) == [by_rank[rep] for rep in standing]


def test_each_shard_is_on_its_own_node(pair: Pair, place: Place) -> None:
    if place.name != "cluster":
        pytest.skip("only a cluster has nodes")
    a, _ = pair
    org = org_on_every_shard(a)
    now = datetime.now(UTC).isoformat()
    post(a, [deal(rep, 4000, occurred_at=now) for rep in org.reps])
    nodes = {shard.shard: node_of(place.url, shard.seq) for shard in keys.all_xp_keys()}
    assert len(set(nodes.values())) == SHARDS, nodes  # each shard's slot on another master
    with a.admin() as admin:
        week = admin.get("/api/v1/xp/week").json()["period"]

    def members() -> dict[int, set[str]] | None:
        """Each shard's members of the week's board, read on the node holding its slot."""
        found = {}
        for shard in keys.all_xp_keys():
            port = nodes[shard.shard]
            with redis.Redis(host="127.0.0.1", port=port) as client:
                found[shard.shard] = {m.decode() for m in client.zrange(shard.board("week", week), 0, -1)}
        return found if set(org.reps) <= set().union(*found.values()) else None

    found = eventually(members, what="every rep's XP")
    for rep in org.reps:
        assert [s for s, reps in found.items() if rep in reps] == [keys.xp_shard_of(rep)]


def test_first_deal_badges_are_awarded_and_sent_once(pair: Pair, chat: FakeChat) -> None:
    a, b = pair
    org = org_on_every_shard(a)
    name = unique("badges")
    with a.admin() as admin:
        created = admin.post(
            "/api/v1/notifications/channels",
            json={"type": "wecom", "name": name, "url": chat.hook("wecom", name), "contests": [org.contest]}
            | {"events": ["deal", "badge"]},
        )
        assert created.status_code == 201, created.text
        names = {rep: admin.get(f"/api/v1/reps/{rep}/profile").json()["name"] for rep in org.reps}
    path = f"/wecom/{name}"
    # Two reps of each shard (a chat takes 20 messages a minute: a few reps keep every message single).
    chosen = [rep for shard in range(SHARDS) for rep in [r for r in org.reps if keys.xp_shard_of(r) == shard][:2]]
    warm = next(rep for rep in org.reps if rep not in chosen)
    post(a, [deal(warm, 1500)])  # once its deal is announced, the channel's cursors are set: no badge skipped
    eventually(lambda: any(f"**{names[warm]}**" in m.text for m in chat.at(path)), what="the first deal announced")
    post(a, [deal(rep, 3000) for rep in chosen[:3]])
    post(b, [deal(rep, 3000) for rep in chosen[3:]] + [deal(chosen[0], 5000), deal(chosen[3], 5000)])

    def badge_messages() -> Counter[str]:
        told = [m.text for m in chat.at(path) if "首单" in m.text or "First Deal" in m.text]
        return Counter(rep for rep in chosen for text in told if f"**{names[rep]}**" in text)

    eventually(lambda: set(badge_messages()) == set(chosen), timeout=30, what="every first deal badge sent")
    with b.admin() as admin:
        for rep in [*chosen, warm]:
            badges = admin.get(f"/api/v1/reps/{rep}/profile").json()["badges"]
            assert [badge["badge"] for badge in badges].count("first-deal") == 1
    post(a, [deal(chosen[0], 2000)])  # one more announcement after all: nothing sent before it is still coming
    eventually(lambda: any("¥2,000" in m.text for m in chat.at(path)), timeout=30, what="a later deal announced")
    assert badge_messages() == Counter(chosen)


def test_a_screen_gets_diffs_of_an_xp_board(pair: Pair) -> None:
    a, b = pair
    org = org_on_every_shard(a)
    now = datetime.now(UTC).isoformat()
    # Reps of two shards, each far ahead of everyone else's deals so far.
    top = org.reps[0]
    other = next(rep for rep in org.reps if keys.xp_shard_of(rep) != keys.xp_shard_of(top))

    async def watch() -> BoardCopy:
        copy = BoardCopy()
        async with ws_connect(f"{b.ws_url}?token={ADMIN_KEY}", subprotocols=["arena.v1.json"]) as ws:
            await ws.send(json.dumps({"op": "subscribe", "board": "xp:week"}))
            await follow(ws, copy, lambda c: c.seq >= 0)
            for round_ in range(1, DIFF_ROUNDS + 1):  # a snapshot may stand in for a diff while b hears the set-up
                await asyncio.to_thread(post, a, [deal(top, 9_000_000, occurred_at=now)])
                want_top = xp(9_000_000) * round_
                await follow(ws, copy, lambda c, w=want_top: c.rows.get(top, {}).get("score") == w, timeout=10)
                await asyncio.to_thread(post, a, [deal(other, 9_500_000, occurred_at=now)])
                want_other = xp(9_500_000) * round_
                await follow(ws, copy, lambda c, w=want_other: c.rows.get(other, {}).get("score") == w, timeout=10)
                if any(m["op"] == "diff" for m in copy.log):
                    break
        return copy

    copy = asyncio.run(watch())
    assert any(m["op"] == "diff" for m in copy.log), "changes arrive as diffs, not snapshots"
    assert [row["id"] for row in copy.ordered()][:2] == [other, top]
