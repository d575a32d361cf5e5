"""Who the client is behind our proxies: the right-most X-Forwarded-For entry that is not one of our own
proxies. A client can write anything on the left of that header; none of it may change who it is counted as,
for login limits or for the per-address websocket limit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from server.client_address import client_address, parse_trusted_proxies
from server.config import ConfigError, load_settings
from server.embedded_redis import EmbeddedRedis
from tests.support.server import ADMIN_KEY, RunningServer, launch_server

PROXIES = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8, fd00::/8")
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("198.51.100.4", ["203.0.113.9"], "198.51.100.4"),  # not our proxy: its header means nothing
        ("127.0.0.1", ["203.0.113.9"], "203.0.113.9"),
        ("127.0.0.1", ["6.6.6.6, 203.0.113.9"], "203.0.113.9"),  # a made-up left-most entry is ignored
        ("127.0.0.1", ["6.6.6.6", "203.0.113.9, 10.1.2.3"], "203.0.113.9"),  # two proxies, two headers
        ("127.0.0.1", ["203.0.113.9:5123"], "203.0.113.9"),
        ("127.0.0.1", ["[2001:db8::7]:443, fd00::1"], "2001:db8::7"),
        ("127.0.0.1", ["not-an-address, 10.0.0.9"], "127.0.0.1"),  # nothing usable: the proxy itself
        ("127.0.0.1", ["10.0.0.7, 10.0.0.9"], "10.0.0.7"),  # every hop is ours: the first one
        ("127.0.0.1", [], "127.0.0.1"),
        ("::ffff:127.0.0.1", ["203.0.113.9"], "203.0.113.9"),
    ],
)
def test_the_client_is_the_right_most_address_that_is_not_our_proxy(
    peer: str, forwarded: list[str], client: str
) -> None:
    assert client_address(peer, forwarded, PROXIES) == client


def test_trusting_every_peer_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_settings({"ARENA_TRUSTED_PROXIES": "*"})
    with pytest.raises(ConfigError, match=r"proxy\.example"):
        load_settings({"ARENA_TRUSTED_PROXIES": "10.0.0.1, proxy.example"})
    assert len(load_settings({"ARENA_TRUSTED_PROXIES": "172.28.0.0/16"}).trusted_proxies) == 1


def _fail_login(client: httpx.Client, forwarded: str, username: str) -> int:
    headers = {"X-Forwarded-For": forwarded}
    page = client.get("/login", headers=headers)
    token = CSRF_INPUT.search(page.text)
    assert token, page.text[:300]
    data = {"username": username, "password": "wrong-password", "csrf_token": token.group(1)}
    return client.post("/login", data=data, headers=headers).status_code


@pytest.fixture(scope="module")
def behind_a_proxy(redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory) -> RunningServer:
    """A server whose proxy network is this machine's loopback range, one screen allowed per client."""
    running = launch_server(
        redis_server.url,
        tmp_path_factory.mktemp("proxied"),
        ARENA_TRUSTED_PROXIES="127.0.0.0/8",
        ARENA_WS_PER_IP="1",
    )
    yield running  # type: ignore[misc]
    running.stop()


def test_login_limits_count_the_client_whatever_it_writes_on_the_left(behind_a_proxy: RunningServer) -> None:
    client = "203.0.113.77"
    with httpx.Client(base_url=behind_a_proxy.base_url, timeout=15) as browser:
        for attempt in range(30):  # the per-address limit, each time under another name and a new "origin"
            assert _fail_login(browser, f"6.6.{attempt}.1, {client}", f"nobody-{attempt}") == 401
        assert _fail_login(browser, f"9.9.9.9, {client}", "someone-else") == 429
        assert _fail_login(browser, client, "someone-else") == 429
        # Another client behind the same proxy is not held back by the first one's failures.
        assert _fail_login(browser, f"{client}, 203.0.113.78", "someone-else") == 401


def test_the_websocket_limit_counts_the_client_whatever_it_writes_on_the_left(behind_a_proxy: RunningServer) -> None:
    async def screens(forwarded: list[str]) -> list[str]:
        outcomes = []
        async with contextlib.AsyncExitStack() as stack:
            for header in forwarded:
                url = f"{behind_a_proxy.ws_url}?token={ADMIN_KEY}"
                ws = await stack.enter_async_context(connect(url, additional_headers={"X-Forwarded-For": header}))
                first = json.loads(await ws.recv())
                outcomes.append(first["op"] if first["op"] == "hello" else first["code"])
        return outcomes

    spoofing = ["1.1.1.1, 203.0.113.7", "2.2.2.2, 203.0.113.7"]
    assert asyncio.run(screens(spoofing)) == ["hello", "too_many_connections"]
    assert asyncio.run(screens(["203.0.113.7", "203.0.113.8"])) == ["hello", "hello"]


def test_a_server_configured_to_trust_everyone_does_not_start(redis_server: EmbeddedRedis, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        launch_server(redis_server.url, tmp_path, ARENA_TRUSTED_PROXIES="*")
