"""The core journeys on a real 3-master Redis Cluster and, the same functions, on a single embedded Redis:
contest, ingest with duplicates and reversals, boards and ledger read by another process, websocket diffs,
rescore, closing with results, a notification sent once by two processes, export → import → rebuild. Then
what only a cluster shows: sharded doorbells on the contest's slot, and the event log as the source of truth
when a contest's node refuses a write."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.cluster import key_slot
from websockets.sync.client import connect as ws_connect
from websockets.typing import Subprotocol

from game import keys
from server.embedded_redis import EmbeddedRedis
from tests.support import journeys
from tests.support.fake_chat import FakeChat, running_fake_chat
from tests.support.journeys import Place, post
from tests.support.org import deal, make_org, scores, unique
from tests.support.redis_cluster import RedisCluster
from tests.support.server import ADMIN_KEY, RunningServer, server_pair
from tests.support.waiting import eventually

Pair = tuple[RunningServer, RunningServer]


@pytest.fixture(scope="module", params=["single", "cluster"])
def place(request: pytest.FixtureRequest) -> Iterator[Place]:
    if request.param == "cluster":
        cluster: RedisCluster = request.getfixturevalue("redis_cluster")
        yield Place("cluster", cluster.url, {"ARENA_REDIS_CLUSTER": "1"})
        return
    with EmbeddedRedis() as single:
        yield Place("single", single.url, {})


@pytest.fixture(scope="module")
def pair(place: Place, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two server processes on one store, with a one-second scheduler (closing, repair) and loopback chats."""
    tmp = tmp_path_factory.mktemp(f"journeys-{place.name}")
    fast = {"ARENA_SCHEDULER_SECONDS": "1", "ARENA_NOTIFY_SECONDS": "1", "ARENA_OUTBOUND_ALLOW_PRIVATE": "1"}
    with server_pair(place.url, tmp, **fast, **place.env) as servers:
        yield servers


@pytest.fixture(scope="module")
def chat() -> Iterator[FakeChat]:
    with running_fake_chat() as fake:
        yield fake


def test_scoring_rescore_and_the_event_log_commands(pair: Pair, place: Place, tmp_path: Path) -> None:
    contest = journeys.scoring(*pair)
    journeys.rescore(*pair)
    journeys.export_import_rebuild(pair[0], place, contest, tmp_path)


def test_events_logged_before_a_crash_are_completed_by_the_repair_pass(pair: Pair, place: Place) -> None:
    journeys.completed_after_a_crash(*pair, place)


def test_a_screen_gets_diffs_of_writes_made_by_another_process(pair: Pair) -> None:
    journeys.websocket_diff(*pair)


def test_a_contest_closes_with_its_results(pair: Pair) -> None:
    journeys.closing(pair[0])


def test_two_processes_announce_each_deal_once(pair: Pair, chat: FakeChat) -> None:
    journeys.notified_once(*pair, chat)


# --- what only a cluster shows -------------------------------------------------------------------------------


def node_of(cluster: RedisCluster, key: str) -> int:
    """Which of the cluster's nodes holds ``key``'s slot."""
    with cluster.node(0) as client:
        for first, last, (_host, port, *_), *_ in client.execute_command("CLUSTER", "SLOTS"):
            if first <= key_slot(key.encode()) <= last:
                return cluster.ports.index(int(port))
    raise AssertionError(f"no node holds {key}")


def contest_elsewhere(cluster: RedisCluster) -> tuple[str, int]:
    """A contest id whose slot lives on another node than the event log's, and that node."""
    log_node = node_of(cluster, keys.EVENT_LOG)
    while True:
        contest = unique("contest")
        node = node_of(cluster, keys.ContestKeys(contest).meta)
        if node != log_node:
            return contest, node


@contextlib.contextmanager
def screen(server: RunningServer, contest: str) -> Iterator[None]:
    """A screen watching a contest's board (the hub subscribes to its doorbell while one does)."""
    with ws_connect(f"{server.ws_url}?token={ADMIN_KEY}", subprotocols=[Subprotocol("arena.v1.json")]) as ws:
        ws.send(json.dumps({"op": "subscribe", "board": f"contest:{contest}"}))
        assert json.loads(ws.recv(timeout=10))["op"]
        yield


@pytest.fixture
def cluster_pair(place: Place, pair: Pair) -> Pair:
    if place.name != "cluster":
        pytest.skip("only a cluster has nodes and slots of its own")
    return pair


def test_contest_doorbells_are_sharded_channels_on_the_contest_slot(
    cluster_pair: Pair, redis_cluster: RedisCluster
) -> None:
    a, _ = cluster_pair
    contest, node = contest_elsewhere(redis_cluster)
    channel = keys.doorbell_channel(contest)
    assert key_slot(channel.encode()) == key_slot(keys.ContestKeys(contest).meta.encode())
    with a.admin() as admin:
        org = make_org(admin, id=contest, teams=1, reps_per_team=1)
    with redis_cluster.node(node) as client, screen(a, contest):
        # The hub listens on the contest's own node, on a sharded channel: classic pub/sub does not carry it.
        eventually(lambda: client.execute_command("PUBSUB", "SHARDNUMSUB", channel)[1] >= 1, what="ssubscribed")
        assert client.execute_command("PUBSUB", "NUMSUB", channel)[1] == 0
        contest_bell = client.pubsub()
        contest_bell.ssubscribe(channel)
        xp_shard = keys.xp_keys_of(org.reps[0])  # XP of more shards: tests/test_cluster_xp_shards.py
        with redis_cluster.node(node_of(redis_cluster, xp_shard.seq)) as xp_node:
            xp_bell = xp_node.pubsub()  # XP, rung on every event too, rings in the rep's {xp} slot
            xp_bell.ssubscribe(xp_shard.channel)
            post(a, [deal(org.reps[0], 8000)])
            for bell, what in ((contest_bell, "contest's"), (xp_bell, "XP")):
                eventually(lambda bell=bell: rung(bell), what=f"the deal rung on the {what} sharded channel")
                bell.close()


def rung(bell: redis.client.PubSub) -> bool:
    message = bell.get_sharded_message(ignore_subscribe_messages=True, timeout=0.2)
    return message is not None and message["type"] == "smessage"


def test_an_event_whose_contest_write_failed_is_completed_by_the_repair_pass(
    cluster_pair: Pair, redis_cluster: RedisCluster
) -> None:
    """The contest's node refuses writes (out of memory) while the log's node takes the event: the event is
    acknowledged with a warning, logged, not on the board; once the node takes writes again the scheduler's
    repair pass puts it on the board, once — and a client's retry meanwhile is a duplicate that also
    completes it. A log node refusing the entry means the event is not acknowledged and scores nowhere."""
    a, b = cluster_pair
    contest, node = contest_elsewhere(redis_cluster)
    with a.admin() as admin:
        org = make_org(admin, id=contest, teams=1, reps_per_team=2)
    repaired, retried = deal(org.reps[0], "11000"), deal(org.reps[1], "22000")
    with redis_cluster.node(node) as client:
        client.config_set("maxmemory", 1)
        try:
            answer = post(a, [repaired, retried])
        finally:
            client.config_set("maxmemory", 0)
    # Both logged and acknowledged, each with the contest write's failure (and XP's, if it shares that node).
    assert answer["accepted"] == 2, answer
    assert {w["id"] for w in answer.get("warnings", []) if contest in w["error"]} == {repaired["id"], retried["id"]}
    with b.admin() as admin:
        assert post(b, [retried])["duplicates"] == 1  # a retry completes its own event at once
        assert scores(admin, contest)[org.reps[1]] == 22
        eventually(lambda: scores(admin, contest)[org.reps[0]] == 11, what="the repair pass completing the event")
        assert scores(admin, contest) == {org.reps[0]: 11, org.reps[1]: 22}
        assert journeys.ledger(admin, org.reps[0], contest)["total"] == 11
    log_node = node_of(redis_cluster, keys.EVENT_LOG)
    refused = deal(org.reps[0], "99000")
    with redis_cluster.node(log_node) as client, a.ingest() as ingest:
        client.config_set("maxmemory", 1)
        try:
            response = ingest.post("/api/v1/events", json=[refused])
        finally:
            client.config_set("maxmemory", 0)
    assert response.status_code != 200 or response.json()["accepted"] == 0, response.text
    with b.admin() as admin:
        assert scores(admin, contest)[org.reps[0]] == 11  # no points without a log entry


def test_a_node_that_lost_its_scripts_gets_them_again(cluster_pair: Pair, redis_cluster: RedisCluster) -> None:
    """SCRIPT FLUSH on the contest's node (a restart without persistence does as much): the next event is
    scored all the same — the scripts are loaded again on every primary — and counted once."""
    a, b = cluster_pair
    contest, node = contest_elsewhere(redis_cluster)
    with a.admin() as admin:
        org = make_org(admin, id=contest, teams=1, reps_per_team=1)
    with redis_cluster.node(node) as client:
        client.script_flush()
    won = deal(org.reps[0], "6000")
    answer = post(a, [won])
    assert answer["accepted"] == 1 and "warnings" not in answer, answer
    with b.admin() as admin:  # the other process may hear of the contest a moment after its first deal
        eventually(lambda: scores(admin, contest) == {org.reps[0]: 6}, what="the deal scored once, seen by b")
