"""Tenants: ``ARENA_KEY_PREFIX`` begins every Redis key and every pub/sub channel, so two deployments on one
Redis see nothing of each other: not their keys, boards, celebrations nor badges. Database numbers cannot do
this (pub/sub ignores them), so a test with two servers on one Redis proves it, both using the same team, rep
and contest ids: without the prefix they would share every key and every doorbell."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import connect

from game import keys
from server.config import ConfigError, load_settings
from server.embedded_redis import EmbeddedRedis, free_port
from tests.support.org import Org, deal, make_org, scores
from tests.support.server import ROOT, RunningServer, launch_server, server_env
from tests.support.websocket import BoardCopy, follow, next_op

PREFIXES = ("orga", "orgb")
REPS_PER_TEAM = 3


@dataclass
class Tenant:
    """One deployment: its server and its own keys."""

    prefix: str
    server: RunningServer
    admin_key: str
    ingest_key: str

    def admin(self) -> httpx.Client:
        return self._client(self.admin_key)

    def ingest(self) -> httpx.Client:
        return self._client(self.ingest_key)

    def _client(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=15)


@dataclass
class SharedRedis:
    redis: EmbeddedRedis
    a: Tenant
    b: Tenant


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedRedis]:
    """Two servers, prefixes ``orga`` and ``orgb``, on one Redis of the module's own."""
    with EmbeddedRedis() as one_redis:
        tenants: list[Tenant] = []
        try:
            for prefix in PREFIXES:
                admin_key, ingest_key = f"ak_{prefix}_admin_{uuid.uuid4().hex}", f"ak_{prefix}_in_{uuid.uuid4().hex}"
                running = launch_server(
                    one_redis.url,
                    tmp_path_factory.mktemp(prefix),
                    ARENA_KEY_PREFIX=prefix,
                    ARENA_ADMIN_KEY=admin_key,
                    ARENA_INGEST_KEY=ingest_key,
                )
                tenants.append(Tenant(prefix, running, admin_key, ingest_key))
            yield SharedRedis(one_redis, *tenants)
        finally:
            for tenant in tenants:
                tenant.server.stop()


def mirror(admin: httpx.Client, org: Org) -> None:
    """The same teams, reps and contest, with the same ids, in another deployment."""
    for index, team in enumerate(org.teams):
        assert admin.put(f"/api/v1/teams/{team}", json={"name": f"战队 {index}"}).status_code == 201
    for index, rep in enumerate(org.reps):
        team_index, rep_index = divmod(index, REPS_PER_TEAM)
        body = {"name": f"销售 {team_index}-{rep_index}", "team": org.teams[team_index]}
        response = admin.put(f"/api/v1/reps/{rep}", json=body)
        assert response.status_code == 201, response.text
    response = admin.post("/api/v1/contests", json=org.definition)
    assert response.status_code == 201, response.text


def tv_token(admin: httpx.Client, contest: str) -> str:
    display = admin.post("/api/v1/displays", json={"name": "大厅电视", "playlist": [f"contest:{contest}"]})
    assert display.status_code == 201, display.text
    return str(display.json()["token"])


def ops(copy: BoardCopy) -> set[str]:
    return {message["op"] for message in copy.log}


def wall(admin: httpx.Client) -> list[dict[str, Any]]:
    response = admin.get("/api/v1/wall/badges")
    assert response.status_code == 200, response.text
    return list(response.json()["badges"])


def subscribed_channels(client: redis.Redis) -> set[str]:
    """Every channel some client listens on: classic and, from Redis 7, sharded."""
    names = list(client.pubsub_channels("*"))
    with contextlib.suppress(redis.ResponseError):  # before Redis 7: no sharded channels
        names += client.execute_command("PUBSUB", "SHARDCHANNELS", "*")
    return {name.decode() for name in names}


def test_two_prefixes_on_one_redis_see_nothing_of_each_other(shared: SharedRedis) -> None:
    a, b = shared.a, shared.b
    with a.admin() as admin_a, b.admin() as admin_b:
        org = make_org(admin_a, reps_per_team=REPS_PER_TEAM)
        mirror(admin_b, org)  # in one key space this would be refused: the contest would exist already
        tvs = {a.prefix: tv_token(admin_a, org.contest), b.prefix: tv_token(admin_b, org.contest)}
    winner, board = org.reps[2], f"contest:{org.contest}"
    client = redis.Redis.from_url(shared.redis.url)

    def post_to_a() -> None:
        with a.ingest() as ingest:
            assert ingest.post("/api/v1/events", json=deal(winner, 50000)).json()["accepted"] == 1

    def rename_in_b() -> None:
        with b.admin() as admin:
            body = {"name": "Barrier", "team": org.teams[0]}
            assert admin.put(f"/api/v1/reps/{org.reps[0]}", json=body).status_code == 200

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        async with (
            connect(f"{a.server.ws_url}?token={tvs[a.prefix]}") as tv_a,
            connect(f"{b.server.ws_url}?token={tvs[b.prefix]}") as tv_b,
        ):
            copies = {a.prefix: BoardCopy(), b.prefix: BoardCopy()}
            for prefix, tv in ((a.prefix, tv_a), (b.prefix, tv_b)):
                await tv.send(json.dumps({"op": "subscribe", "board": board}))
                copies[prefix].apply(await next_op(tv, "snapshot"))
                assert set(copies[prefix].rows) == set(org.reps)
            await loop.run_in_executor(None, post_to_a)
            # A's TV shows the deal: the board moves, the deal is celebrated and the first-deal badge announced.
            await follow(
                tv_a,
                copies[a.prefix],
                lambda c: c.rows[winner]["score"] == 50 and {"celebrate", "badge"} <= ops(c),
                timeout=20,
            )
            # Then a change in B that B's TV shows: B's hub hears in order, so whatever of A's it would have
            # heard, it heard before this, and the TV got it before the new name.
            await loop.run_in_executor(None, rename_in_b)
            await follow(tv_b, copies[b.prefix], lambda c: c.rows[org.reps[0]]["name"] == "Barrier", timeout=10)
            seen_by_b = copies[b.prefix]
            assert not {"celebrate", "badge"} & ops(seen_by_b), seen_by_b.log
            assert all(row["score"] == 0 for row in seen_by_b.rows.values())
            # Every channel subscribed right now (both hubs, both TVs watching) is one of the two deployments'.
            channels = subscribed_channels(client)
            for prefix in PREFIXES:
                own = [name for name in channels if name.startswith(f"{prefix}:")]
                assert len(own) >= 3 and any(org.contest in name for name in own), channels  # config, badges, board
            assert all(name.split(":", 1)[0] in PREFIXES for name in channels), channels

    asyncio.run(scenario())
    with a.admin() as admin_a, b.admin() as admin_b:
        assert scores(admin_a, org.contest)[winner] == 50
        assert set(scores(admin_b, org.contest).values()) == {0}
        assert any(award["rep"] == winner for award in wall(admin_a))
        assert wall(admin_b) == []
        assert admin_b.get("/api/v1/contests", headers={"Authorization": f"Bearer {a.admin_key}"}).status_code == 401
    names = [name.decode() for name in client.scan_iter(count=1000)]
    assert {name.split(":", 1)[0] for name in names} == set(PREFIXES), sorted(names)[:20]
    client.close()


def test_the_event_log_commands_read_the_deployment_their_prefix_names(shared: SharedRedis, tmp_path: Path) -> None:
    with shared.a.admin() as admin:
        org = make_org(admin, reps_per_team=REPS_PER_TEAM)
    event = deal(org.reps[0], 1000)
    with shared.a.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=event).json()["accepted"] == 1
    exported = {}
    for prefix in PREFIXES:
        path = tmp_path / f"{prefix}.jsonl"
        env = server_env(shared.redis.url, free_port(), tmp_path, ARENA_KEY_PREFIX=prefix)
        result = subprocess.run(
            [sys.executable, "-m", "scripts.events", "export", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        exported[prefix] = [json.loads(line)["id"] for line in path.read_text().splitlines()]
    assert event["id"] in exported["orga"]
    assert exported["orgb"] == []


def test_the_server_refuses_to_start_with_a_prefix_that_is_not_a_name(tmp_path: Path) -> None:
    env = server_env("redis://127.0.0.1:1/0", free_port(), tmp_path, ARENA_KEY_PREFIX="org:a")
    result = subprocess.run(
        [sys.executable, "-m", "server"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "ARENA_KEY_PREFIX" in result.stderr and "'org:a'" in result.stderr


@pytest.mark.parametrize("prefix", ["orga", "a", "x" * 32, "acme-cn_2.prod", "ORG9"])
def test_a_prefix_of_letters_digits_dashes_underscores_and_dots_is_taken(prefix: str) -> None:
    assert load_settings({"ARENA_KEY_PREFIX": prefix}).key_prefix == prefix


@pytest.mark.parametrize("prefix", ["x" * 33, "org:a", "{orga}", "org{a", "org a", " orga", "orgé", "org/a", "*"])
def test_a_prefix_that_could_not_begin_a_key_is_refused_with_the_rule(prefix: str) -> None:
    with pytest.raises(ConfigError, match=r"ARENA_KEY_PREFIX must be 1 to 32 letters, digits, '-', '_' or '\.'"):
        load_settings({"ARENA_KEY_PREFIX": prefix})


def test_without_a_prefix_the_names_stay_those_of_existing_deployments() -> None:
    assert load_settings({}).key_prefix == load_settings({"ARENA_KEY_PREFIX": ""}).key_prefix == "arena"
    assert keys.PREFIX == "arena"
    contest = keys.ContestKeys("2026-12", epoch=3)
    assert (contest.meta, contest.rep_board, contest.ledger("r1"), contest.epoch_pattern()) == (
        "arena:{c:2026-12}:meta",
        "arena:{c:2026-12}:e3:board:reps",
        "arena:{c:2026-12}:e3:ledger:r1",
        "arena:{c:2026-12}:e3:*",
    )
    assert (keys.CONTESTS, keys.USERS, keys.API_KEYS, keys.AUDIT_LOG, keys.NOTIFY_CURSORS) == (
        "arena:{cfg}:contests",
        "arena:{auth}:users",
        "arena:{auth}:api_keys",
        "arena:{cfg}:audit",
        "arena:{notify}:cursors",
    )
    assert (keys.media("rep:r1"), keys.notify_outbox("c1"), keys.late_events("2026-12")) == (
        "arena:{media}:rep:r1",
        "arena:{notify}:outbox:c1",
        "arena:{cfg}:late:2026-12",
    )
    assert keys.connector_deal("hubspot", "d1") == "arena:{int}:deal:hubspot:d1"


@pytest.fixture
def prefix_orgb() -> Iterator[None]:
    """This process's names under ``orgb`` for one test, then back to the default the rest of the suite uses."""
    keys.use_prefix("orgb")
    try:
        yield
    finally:
        keys.use_prefix(keys.DEFAULT_PREFIX)


def constant_names() -> dict[str, str]:
    return {name: value for name, value in vars(keys).items() if name.isupper() and isinstance(value, str)}


@pytest.mark.usefixtures("prefix_orgb")
def test_use_prefix_renames_every_key_and_channel() -> None:
    names = {name: value for name, value in constant_names().items() if name not in ("PREFIX", "DEFAULT_PREFIX")}
    assert len(names) > 40 and all(value.startswith("orgb:") for value in names.values()), names
    contest = {k: v for k, v in vars(keys.ContestKeys("2026-12")).items() if k not in ("contest_id", "epoch")}
    assert all(value.startswith("orgb:{c:2026-12}:") for value in contest.values()), contest
    channel = keys.doorbell_channel("2026-12")
    assert channel.startswith("orgb:") and "2026-12" in channel
    assert keys.notify_outbox("c1") == "orgb:{notify}:outbox:c1"
    assert all(name.startswith("orgb:") for name in keys.connector_state_keys("c1")[0])


def test_use_prefix_refuses_what_config_refuses() -> None:
    before = constant_names()
    with pytest.raises(ValueError, match="not a key prefix"):
        keys.use_prefix("org:b")
    assert constant_names() == before


def keys_name(node: ast.AST) -> str | None:
    """``X`` where ``node`` is ``keys.X``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "keys":
        return node.attr
    return None


def import_time_reads(path: Path) -> list[str]:
    """Where a module reads ``keys.<name>`` as it is imported (a module or class constant, a default
    argument, a decorator) or imports a name constant from ``game.keys``: such a copy would keep the prefix
    of import time. Functions are called later, and ``DEFAULT_PREFIX`` names nothing."""
    found: list[str] = []
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name

    def visit(node: ast.AST, deferred: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            eager = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            if not isinstance(node, ast.Lambda):
                eager += node.decorator_list
            for child in eager:
                visit(child, deferred)
            for child in node.body if isinstance(node.body, list) else [node.body]:
                visit(child, True)
            return
        name = keys_name(node)
        if name and not deferred and name != "DEFAULT_PREFIX":
            found.append(f"{where}:{getattr(node, 'lineno', 0)}: keys.{name}")
        for child in ast.iter_child_nodes(node):
            visit(child, deferred)

    tree = ast.parse(path.read_text(encoding="utf-8"))
    visit(tree, False)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "game.keys":
            copied = [alias.name for alias in node.names if alias.name.isupper() and alias.name != "DEFAULT_PREFIX"]
            found += [f"{where}:{node.lineno}: from game.keys import {name}" for name in copied]
    return found


def test_no_module_keeps_a_copy_of_a_name_made_before_the_prefix_was_set() -> None:
    sources = [path for area in ("game", "server", "scripts") for path in sorted((ROOT / area).rglob("*.py"))]
    assert [found for path in sources for found in import_time_reads(path)] == []


def test_the_copy_check_catches_a_module_constant(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from game import keys\n"
        "from game.keys import XP_SEQ, doorbell_channel\n"
        "SCRIPT_KEYS = [keys.XP_SEEN]\n"
        "def read(key=keys.EVENT_LOG):\n"
        "    return keys.CONFIG_VERSION\n"
    )
    assert import_time_reads(probe) == [
        "probe.py:3: keys.XP_SEEN",
        "probe.py:4: keys.EVENT_LOG",
        "probe.py:2: from game.keys import XP_SEQ",
    ]
