"""Fixtures for the whole suite: real parts only — a private redis-server, the real server in a subprocess on
loopback, Debian's Chromium — and one clock reading per test to build dates from."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import redis
from playwright.sync_api import Browser, expect, sync_playwright
from redis.asyncio import Redis

from game.store import Store
from server.embedded_redis import EmbeddedRedis
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.calendar import Calendar
from tests.support.redis_cluster import RedisCluster, cluster_binary
from tests.support.server import RunningServer, launch_server

# A page's assertion waits for its condition up to 15 s (Playwright's 5 s ran out on a machine loaded 10 deep, e.g.
# for a page that reloads itself after a save); a condition that holds is seen as soon as it holds.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Page tests run last, together: Playwright's sync API keeps an event loop on the main thread while the
    one browser of the session is open, and the tests that drive asyncio themselves must run before it. Under
    pytest-xdist each worker is handed tests in this order too, so the same holds in every worker."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        assert server.port != 6379
        yield server


@pytest.fixture
def redis_client(redis_server: EmbeddedRedis) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def shared_server(redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The server most tests share, on the session's Redis."""
    # The CRM and chat fakes listen on loopback: the operator's switch for servers on its own network.
    running = launch_server(redis_server.url, tmp_path_factory.mktemp("server"), ARENA_OUTBOUND_ALLOW_PRIVATE="1")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server and a Redis of the module's own, for modules marked ``own_server``: what they count (contests a
    rep is in, badges on a wall, seconds to a live move) must not include what the rest of the suite left on the
    shared server: its org-wide contests, hundreds of teams, its background work."""
    with EmbeddedRedis() as redis_for_module:
        running = launch_server(
            redis_for_module.url, tmp_path_factory.mktemp("own-server"), ARENA_OUTBOUND_ALLOW_PRIVATE="1"
        )
        yield running
        running.stop()


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> RunningServer:
    """The server a module's tests talk to: its own when the module is marked ``own_server``, else the shared one."""
    chosen = "own_server" if request.node.get_closest_marker("own_server") else "shared_server"
    server: RunningServer = request.getfixturevalue(chosen)
    return server


@pytest.fixture
def admin(server: RunningServer) -> Iterator[httpx.Client]:
    with server.admin() as client:
        yield client


@pytest.fixture
def ingest(server: RunningServer) -> Iterator[httpx.Client]:
    with server.ingest() as client:
        yield client


@pytest.fixture
def now() -> datetime:
    """The moment the test starts, read once: every date the test sends is built from it."""
    return datetime.now(UTC)


@pytest.fixture
def calendar(now: datetime) -> Calendar:
    """Past local days (Asia/Shanghai) around ``now``, inside the window of ``make_org``'s contests."""
    return Calendar(now)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run; each test opens its own context."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (scripts/test does it as root)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def engine(redis_server: EmbeddedRedis) -> Iterator[tuple[asyncio.AbstractEventLoop, Store]]:
    """The engine's store on the session's Redis, with a loop of its own to drive it from sync tests."""
    loop = asyncio.new_event_loop()
    client = Redis.from_url(redis_server.url)
    yield loop, Store(client)
    loop.run_until_complete(client.aclose())
    loop.close()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """A 3-master Redis Cluster of the session's own, started only for the tests that ask for it."""
    binary = cluster_binary()
    if binary is None:
        pytest.skip("no redis-server 7 or newer here: a Redis Cluster with sharded pub/sub needs one")
    with RedisCluster(binary) as cluster:
        yield cluster
