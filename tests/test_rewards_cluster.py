"""Rewards on a real 3-master Redis Cluster: every key of reward points, stock, requests, budgets, ledgers and the
audit log shares the ``{cfg}`` slot, so the scripts run there as on a single Redis; parallel redemptions still
never spend a point twice, and a decision lands with its audit entry."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from redis.cluster import key_slot

from game import keys
from tests.support.accounts import signed_in
from tests.support.org import make_org, unique
from tests.support.redis_cluster import RedisCluster
from tests.support.server import RunningServer, launch_server


@pytest.fixture(scope="module")
def server(redis_cluster: RedisCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = launch_server(
        redis_cluster.url, Path(tmp_path_factory.mktemp("rewards-cluster")), ARENA_REDIS_CLUSTER="1"
    )
    yield running
    running.stop()


def test_reward_keys_share_one_slot_with_the_audit_log() -> None:
    names = [value for name, value in vars(keys).items() if name.startswith("REWARD_") and isinstance(value, str)]
    assert len(names) >= 10
    slots = {key_slot(name.encode()) for name in [*names, keys.reward_ledger("王芳"), keys.AUDIT_LOG]}
    assert slots == {key_slot(keys.AUDIT_LOG.encode())}


def test_parallel_redemptions_and_a_decision_on_a_cluster(server: RunningServer) -> None:
    with server.admin() as admin:
        org = make_org(admin, teams=1, reps_per_team=1)
        me = org.reps[0]
        reward = unique("day-off")
        assert (
            admin.put(f"/api/v1/rewards/catalogue/{reward}", json={"name": "休假一天", "cost": 100}).status_code == 201
        )
        grant = {"rep": me, "points": 250, "ref": unique("cluster")}
        assert admin.post("/api/v1/rewards/grants", json=grant).json()["balance"] == 250
        rep = signed_in(server, admin, "rep", rep=me)
        with ThreadPoolExecutor(6) as pool:
            answers = list(
                pool.map(lambda _: rep.call("POST", "/api/v1/rewards/redemptions", json={"reward": reward}), range(6))
            )
        assert sorted(a.status_code for a in answers) == [201, 201, 409, 409, 409, 409]
        first = next(a.json()["id"] for a in answers if a.status_code == 201)
        decided = admin.post(
            f"/api/v1/rewards/redemptions/{first}/decision", json={"status": "rejected", "note": "下月再兑"}
        )
        assert decided.json()["status"] == "rejected"
        assert admin.get(f"/api/v1/rewards/reps/{me}").json() | {"ledger": None} == {
            "rep": me, "balance": 150, "held": 100, "ledger": None
        }  # fmt: skip
        actions = [e["action"] for e in admin.get("/api/v1/audit", params={"target": me}).json()["entries"]]
        assert actions.count("reward.requested") == 2 and "reward.rejected" in actions
