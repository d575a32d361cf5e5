"""Dependencies point one way: the faces (API, pages, live hub, workers) call services, services call the
engine, and nothing below imports what stands above it. A wrong-way import fails here with its line.

From the bottom: the engine (``game``); the process basics (config, errors, tasks); languages; who is
asking (``auth``: principals, secrets, sessions); the services; the HTTP toolkit; the integrations and
notifications; and on top the faces: ``api``, ``web``, ``live``, ``workers``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each area may import, besides itself. The composition root (app, arena, __main__, the route tables)
# wires everything and may import anything.
BASE = {"game", "server.base"}
ALLOWED: dict[str, set[str]] = {
    "game": set(),
    "server.base": {"game"},
    "server.i18n": BASE,
    "server.auth": BASE | {"server.i18n"},
    "server.services": BASE | {"server.i18n", "server.auth"},
    "server.http": BASE | {"server.auth"},
    "server.integrations": BASE | {"server.i18n", "server.auth", "server.services", "server.http"},
    "server.notifications": BASE | {"server.i18n", "server.services", "server.integrations"},
    "server.workers": BASE | {"server.i18n", "server.services"},
    "server.live": BASE | {"server.i18n", "server.services", "server.auth"},
    "server.web": BASE
    | {"server.i18n", "server.services", "server.auth", "server.http", "server.integrations", "server.notifications"},
    "server.api": BASE
    | {"server.i18n", "server.services", "server.auth", "server.http", "server.integrations", "server.notifications"},
}
COMPOSITION = {"server.app", "server.arena", "server.__main__", "server.api.routes", "server.web.routes"}
PACKAGES = ("server.i18n", "server.services", "server.auth", "server.integrations", "server.notifications",
            "server.workers", "server.live", "server.web", "server.api")  # fmt: skip


def area_of(module: str) -> str:
    if module == "game" or module.startswith("game."):
        return "game"
    if module == "server.http":
        return "server.http"
    for package in PACKAGES:
        if module == package or module.startswith(package + "."):
            return package
    return "server.base"  # config, tasks, embedded Redis, GC settings


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def type_only_lines(tree: ast.Module) -> set[int]:
    """Lines of imports under ``if TYPE_CHECKING:``: they name the composition root's ``Arena`` as a type and
    run nothing."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            lines |= {child.lineno for child in node.body if isinstance(child, (ast.Import, ast.ImportFrom))}
    return lines


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every project module ``path`` imports (``from server.x import y`` names ``server.x.y`` when y is a
    module, else ``server.x``), with its line; ``Arena`` imported for type checking only is left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = type_only_lines(tree)
    found = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in type_only and getattr(node, "module", "") == "server.arena":
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                is_module = (ROOT / candidate.replace(".", "/")).with_suffix(".py").exists() or (
                    ROOT / candidate.replace(".", "/") / "__init__.py"
                ).exists()
                found.append((node.lineno, candidate if is_module else node.module))
    return [(line, name) for line, name in found if name.split(".")[0] in ("game", "server")]


def violations(paths: list[Path]) -> list[str]:
    wrong = []
    for path in paths:
        module = module_name(path)
        if module in COMPOSITION:
            continue
        area = area_of(module)
        for line, imported in imports_of(path):
            target = area_of(imported)
            if target != area and target not in ALLOWED[area]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {area} may not import {imported} ({target})")
    return wrong


def sources() -> list[Path]:
    return sorted([*(ROOT / "game").rglob("*.py"), *(ROOT / "server").rglob("*.py")])


def test_every_import_points_down_the_layers() -> None:
    assert violations(sources()) == []


def test_a_wrong_way_import_is_caught(tmp_path: Path) -> None:
    """The check itself: an engine module reaching into the server, a service reaching into the API."""
    engine = ROOT / "game" / "_wrong_way_probe.py"
    service = ROOT / "server" / "services" / "_wrong_way_probe.py"
    try:
        engine.write_text("from server.config import Settings\n")
        service.write_text("from server.api import events\nfrom server.http import ApiError\n")
        found = violations([engine, service])
    finally:
        engine.unlink(missing_ok=True)
        service.unlink(missing_ok=True)
    assert found == [
        "game/_wrong_way_probe.py:1: game may not import server.config (server.base)",
        "server/services/_wrong_way_probe.py:1: server.services may not import server.api.events (server.api)",
        "server/services/_wrong_way_probe.py:2: server.services may not import server.http (server.http)",
    ]


@pytest.mark.parametrize("module", sorted(COMPOSITION))
def test_the_composition_root_exists(module: str) -> None:
    assert (ROOT / module.replace(".", "/")).with_suffix(".py").exists()


# Redis only at the edge: the faces (API, pages, workers, the live hub), the services, the integrations, the
# notifications, who is asking (``server.auth``) and the HTTP toolkit go through store objects that own their
# keys and scripts (``game.store``, the stores below, the hub's broker and board reader). They may not import
# ``game.keys`` or a Redis client, nor reach for a client (``<anything>.redis``); the hub may name the
# doorbell channels it subscribes to through its broker, and only those.
EDGE_FREE = (
    "server/workers",
    "server/live/hub.py",
    "server/api",
    "server/web",
    "server/services",
    "server/integrations",
    "server/notifications",
    "server/auth",
    "server/http.py",
)
# The stores past which nothing touches Redis: in those places every ``store.py`` (the integrations', the
# notifications', auth's identity store) and ``*_store.py`` (the services'), and these, named for their
# concept before the rule.
SERVICE_STORES = {
    "server/services/registry.py",  # teams, reps, contests and badge definitions, with their audit entries
    "server/services/scheduling.py",  # the scheduler's lease and heartbeat
    "server/services/boards.py",  # one board read per tick for the hub's board reader
}
REDIS_CLIENTS = ("redis", "redis.asyncio", "redis.client", "redis.cluster", "redis.asyncio.client")
CHANNELS_ONLY = {"server/live/hub.py"}


def is_channel(name: str) -> bool:
    return name.endswith(("_CHANNEL", "_channel"))


def raw_redis_uses(path: Path) -> list[str]:
    """Where a module past the Redis edge touches Redis itself: a client imported or reached for, or keys
    built with ``game.keys``."""
    relative = path.relative_to(ROOT).as_posix()
    channels_only = relative in CHANNELS_ONLY
    tree = ast.parse(path.read_text(encoding="utf-8"))
    keys_names: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in REDIS_CLIENTS:
                    found.append(f"{relative}:{node.lineno}: imports the Redis client {alias.name}")
                elif alias.name == "game.keys":
                    keys_names.add(alias.asname or "game.keys")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module in REDIS_CLIENTS:
                found.append(f"{relative}:{node.lineno}: imports the Redis client {node.module}")
            elif node.module == "game" and any(alias.name == "keys" for alias in node.names):
                keys_names |= {alias.asname or "keys" for alias in node.names if alias.name == "keys"}
            elif node.module == "game.keys":
                names = [alias.name for alias in node.names]
                if not channels_only or not all(is_channel(name) for name in names):
                    found.append(f"{relative}:{node.lineno}: builds Redis keys with game.keys")
        if isinstance(node, ast.Attribute) and node.attr == "redis":
            found.append(f"{relative}:{node.lineno}: reaches for a Redis client (.redis)")
    if keys_names:
        uses = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in keys_names
        ]
        if not channels_only:
            lines = sorted({node.lineno for node in uses}) or [0]
            found.append(f"{relative}:{lines[0]}: builds Redis keys with game.keys")
        else:
            found += [
                f"{relative}:{node.lineno}: builds Redis keys with game.keys ({node.attr})"
                for node in uses
                if not is_channel(node.attr)
            ]
    return sorted(found, key=lambda use: int(use.split(":")[1]))


def is_store(path: Path) -> bool:
    relative = path.relative_to(ROOT).as_posix()
    return relative in SERVICE_STORES or path.name == "store.py" or path.name.endswith("_store.py")


def edge_free_sources(places: tuple[str, ...] = EDGE_FREE) -> list[Path]:
    paths: list[Path] = []
    for place in places:
        target = ROOT / place
        paths += sorted(target.rglob("*.py")) if target.is_dir() else [target]
    return [path for path in paths if not is_store(path)]


def test_the_faces_and_services_leave_redis_to_the_stores() -> None:
    checked = {path.relative_to(ROOT).as_posix() for path in edge_free_sources()}
    assert {
        "server/live/hub.py",
        "server/api/users.py",
        "server/web/signin.py",
        "server/services/insights.py",
        "server/notifications/collector.py",
        "server/notifications/digest.py",
        "server/integrations/zoho_oauth.py",
        "server/integrations/zoho.py",
        "server/auth/principals.py",
        "server/auth/login.py",
        "server/http.py",
    } <= checked
    assert (
        not {
            "server/services/account_store.py",
            "server/services/registry.py",
            "server/notifications/store.py",
            "server/integrations/store.py",
            "server/auth/store.py",
        }
        & checked
    )
    assert all((ROOT / store).exists() for store in SERVICE_STORES)
    assert [use for path in edge_free_sources() for use in raw_redis_uses(path)] == []


def test_a_raw_redis_call_past_the_edge_is_caught() -> None:
    """The check itself: a worker reaching for the client and formatting a key, a hub building a key."""
    worker = ROOT / "server" / "workers" / "_raw_redis_probe.py"
    hub_like = ROOT / "server" / "live" / "_raw_redis_probe.py"
    try:
        worker.write_text(
            "from game import keys\n"
            "from redis.asyncio import Redis\n"
            "async def award(arena, rep):\n"
            "    await arena.redis.hsetnx(keys.badges(rep), 'x', '{}')\n"
        )
        hub_like.write_text(
            "from game import keys\nCHANNELS = (keys.BADGE_CHANNEL, keys.doorbell_channel('c'))\nBOARD = keys.XP_SEQ\n"
        )
        CHANNELS_ONLY.add("server/live/_raw_redis_probe.py")
        found = raw_redis_uses(worker) + raw_redis_uses(hub_like)
    finally:
        CHANNELS_ONLY.discard("server/live/_raw_redis_probe.py")
        worker.unlink(missing_ok=True)
        hub_like.unlink(missing_ok=True)
    assert found == [
        "server/workers/_raw_redis_probe.py:2: imports the Redis client redis.asyncio",
        "server/workers/_raw_redis_probe.py:4: reaches for a Redis client (.redis)",
        "server/workers/_raw_redis_probe.py:4: builds Redis keys with game.keys",
        "server/live/_raw_redis_probe.py:3: builds Redis keys with game.keys (XP_SEQ)",
    ]


def raw_redis_in_probes(probes: dict[Path, str], places: tuple[str, ...] = EDGE_FREE) -> list[str]:
    """Write the probe modules, report what the rule finds in those it checks among ``places``, remove them."""
    try:
        for path, source in probes.items():
            path.write_text(source)
        checked = [path for path in edge_free_sources(places) if path in probes]
        return [use for path in checked for use in raw_redis_uses(path)]
    finally:
        for path in probes:
            path.unlink(missing_ok=True)


def test_a_raw_redis_call_in_a_handler_a_page_or_a_service_is_caught() -> None:
    """The check itself: a handler reaching for the client, a page importing it, a service building a key; a
    store in server/services is where that belongs, so it is not checked."""
    probes = {
        ROOT / "server" / "api" / "_raw_redis_probe.py": (
            "from game import keys\n"
            "async def users(request):\n"
            "    return await arena_of(request).redis.hgetall(keys.USERS)\n"
        ),
        ROOT / "server" / "web" / "_raw_redis_probe.py": "import redis.asyncio\n",
        ROOT / "server" / "services" / "_raw_redis_probe.py": "from game.keys import CHALLENGES\n",
        ROOT / "server" / "services" / "_raw_redis_probe_store.py": "from game.keys import CHALLENGES\n",
    }
    assert raw_redis_in_probes(probes) == [
        "server/api/_raw_redis_probe.py:3: reaches for a Redis client (.redis)",
        "server/api/_raw_redis_probe.py:3: builds Redis keys with game.keys",
        "server/web/_raw_redis_probe.py:1: imports the Redis client redis.asyncio",
        "server/services/_raw_redis_probe.py:1: builds Redis keys with game.keys",
    ]


def test_a_raw_redis_call_in_an_integration_a_notification_or_auth_is_caught() -> None:
    """The check itself: a connector keeping a token, the notifier reading the badge feed, a principal reading
    a user, the HTTP toolkit handing out the client; a module named ``store.py`` or ``*_store.py`` is where
    that belongs, so it is not checked."""
    probes = {
        ROOT / "server" / "integrations" / "_raw_redis_probe.py": (
            "from game.keys import connector_access_token\n"
            "async def keep(redis, connector, sealed):\n"
            "    await redis.set(connector_access_token(connector.id), sealed)\n"
        ),
        ROOT / "server" / "notifications" / "_raw_redis_probe.py": (
            "from game import keys\nasync def feed(arena):\n    return await arena.redis.xrange(keys.BADGE_FEED)\n"
        ),
        ROOT / "server" / "auth" / "_raw_redis_probe.py": "from redis.asyncio import Redis\n",
        ROOT / "server" / "_raw_redis_probe_http.py": "def client(arena):\n    return arena.redis\n",
        ROOT / "server" / "notifications" / "_raw_redis_probe_store.py": "from game import keys\n",
        ROOT / "server" / "auth" / "_raw_redis_probe_store.py": "from redis.asyncio import Redis\n",
    }
    http_like = "server/_raw_redis_probe_http.py"  # a module like server/http.py, checked as one file
    assert raw_redis_in_probes(probes, (*EDGE_FREE, http_like)) == [
        "server/integrations/_raw_redis_probe.py:1: builds Redis keys with game.keys",
        "server/notifications/_raw_redis_probe.py:3: reaches for a Redis client (.redis)",
        "server/notifications/_raw_redis_probe.py:3: builds Redis keys with game.keys",
        "server/auth/_raw_redis_probe.py:1: imports the Redis client redis.asyncio",
        "server/_raw_redis_probe_http.py:2: reaches for a Redis client (.redis)",
    ]


# Small modules, one concept each: a module under game/ or server/ past this many lines fails unless it is
# listed here, with why it is still one concept.
LINE_BUDGET = 450
LONG_BUT_ONE_CONCEPT = {
    "game/store.py": "the engine's one Redis edge: every script call and read of scoring state, one class",
    "game/contest_replay.py": "apply_contest.lua step for step in memory; the class mirrors the one script",
    "game/keys.py": "every Redis key and channel name in one table: the prefix and the cluster slots decided once",
}


def over_budget(paths: list[Path], budget: int = LINE_BUDGET) -> list[str]:
    found = []
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > budget and relative not in LONG_BUT_ONE_CONCEPT:
            found.append(f"{relative}: {lines} lines (budget {budget})")
    return found


def test_every_module_stays_within_its_line_budget() -> None:
    assert all((ROOT / allowed).exists() for allowed in LONG_BUT_ONE_CONCEPT)
    assert over_budget(sources()) == []


def test_a_module_over_the_budget_is_caught() -> None:
    """The check itself: a long module fails, a listed one passes."""
    probe = ROOT / "game" / "_line_budget_probe.py"
    try:
        probe.write_text("x = 1\n" * (LINE_BUDGET + 1))
        found = over_budget([probe, ROOT / "game" / "store.py"], budget=LINE_BUDGET)
    finally:
        probe.unlink(missing_ok=True)
    assert found == [f"game/_line_budget_probe.py: {LINE_BUDGET + 1} lines (budget {LINE_BUDGET})"]
