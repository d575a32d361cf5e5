"""Where the server may send: chat webhooks and CRM APIs are https to public addresses (CRM APIs to their
vendor's own hosts), checked when a channel or connector is created and again when the connection is made, so a
name that resolves to this machine or the private network is refused too. ``ARENA_OUTBOUND_ALLOW_PRIVATE=1``
lifts this for chat servers and CRMs on the operator's own network (and for this suite's loopback fakes)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from server.embedded_redis import EmbeddedRedis
from server.outbound import OutboundClient, OutboundError
from server.outbound_targets import HUBSPOT_HOSTS, ZOHO_API_HOSTS, target_problem
from tests.support.fake_chat import FakeChat, running_fake_chat
from tests.support.loopback_http import QuietHandler, serving
from tests.support.org import unique
from tests.support.server import RunningServer, launch_server

FORBIDDEN = [
    "http://localhost:6379/",
    "http://hooks.slack.com/services/T/B/x",  # not https
    "https://localhost/hook",
    "https://localhost./hook",
    "https://127.0.0.1:8000/api",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.8/",
    "https://172.20.1.1/",
    "https://192.168.1.10/",
    "https://100.64.0.1/",
    "https://0.0.0.0/",
    "https://224.0.0.1/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[fe80::1]/",
    "https://[fd00::1]/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://intranet/hook",
    "https://printer.local/hook",
    "ftp://files.example.com/",
]
PUBLIC = [
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
    "https://oapi.dingtalk.com/robot/send?access_token=x",
    "https://hooks.slack.com/services/T/B/x",
    "https://8.8.8.8/hook",
    "https://[2606:4700::1111]/hook",
]


@pytest.mark.parametrize("url", FORBIDDEN)
def test_private_loopback_metadata_and_plain_http_targets_are_refused(url: str) -> None:
    assert target_problem(url, allow_private=False)


@pytest.mark.parametrize("url", PUBLIC)
def test_https_to_a_public_host_is_accepted(url: str) -> None:
    assert target_problem(url, allow_private=False) is None


def test_an_operator_may_allow_its_own_network_but_still_only_http() -> None:
    assert target_problem("http://127.0.0.1:9000/hook", allow_private=True) is None
    assert target_problem("https://chat.corp.internal/hook", allow_private=True) is None
    assert target_problem("ftp://127.0.0.1/", allow_private=True)


@pytest.mark.parametrize(
    ("url", "hosts", "ok"),
    [
        ("https://api.hubapi.com", HUBSPOT_HOSTS, True),
        ("https://api-eu1.hubapi.com", HUBSPOT_HOSTS, True),
        ("https://api.hubapi.com.attacker.example", HUBSPOT_HOSTS, False),
        ("https://evilhubapi.com", HUBSPOT_HOSTS, False),
        ("https://www.zohoapis.eu", ZOHO_API_HOSTS, True),
        ("https://www.zohoapis.com.cn", ZOHO_API_HOSTS, True),
        ("https://zohoapis.attacker.example", ZOHO_API_HOSTS, False),
    ],
)
def test_crm_api_bases_are_their_vendors_hosts(url: str, hosts: Sequence[str], ok: bool) -> None:
    assert (target_problem(url, allow_private=False, hosts=hosts) is None) is ok
    assert target_problem(url, allow_private=True, hosts=hosts) is None  # an on-premises gateway is allowed then


class Recorder:
    """A loopback HTTP server that records the Host header of every request it gets."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        self.lock = threading.Lock()


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, int]]:
    seen = Recorder()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            with seen.lock:
                seen.hosts.append(self.headers.get("Host", ""))
            self.send_body(200, "application/json", b'{"ok": true}')

    with serving(Handler) as url:
        yield seen, httpx.URL(url).port or 0


def resolving_to_loopback(calls: list[str]) -> object:
    """The resolver seam: every name is this machine, as a hostile DNS answer would say."""

    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    return resolve


def test_a_name_that_resolves_to_this_machine_is_refused_when_connecting(recorder: tuple[Recorder, int]) -> None:
    seen, port = recorder
    calls: list[str] = []

    async def fetch() -> None:
        async with OutboundClient(attempts=3, resolver=resolving_to_loopback(calls)) as client:  # type: ignore[arg-type]
            await client.get_json(f"https://crm.example.com:{port}/deals/1", headers={})

    with pytest.raises(OutboundError, match=r"crm\.example\.com resolves to no public address"):
        asyncio.run(fetch())
    assert calls == ["crm.example.com"]  # asked once: a refusal is not retried
    assert seen.hosts == []  # nothing reached the address


def test_the_system_resolver_is_checked_when_connecting(recorder: tuple[Recorder, int]) -> None:
    """The client leaves names to the connection: ``localhost`` is refused there, once resolved."""
    seen, port = recorder

    async def fetch() -> None:
        async with OutboundClient(attempts=1) as client:
            await client.get_json(f"https://localhost:{port}/x", headers={})

    with pytest.raises(OutboundError, match="localhost resolves to no public address"):
        asyncio.run(fetch())
    assert seen.hosts == []


def test_allowed_private_targets_are_reached_at_the_checked_address_with_their_own_host_name(
    recorder: tuple[Recorder, int],
) -> None:
    seen, port = recorder
    calls: list[str] = []

    async def fetch() -> object:
        async with OutboundClient(allow_private=True, resolver=resolving_to_loopback(calls)) as client:  # type: ignore[arg-type]
            return await client.get_json(f"http://crm.example.com:{port}/deals/1", headers={})

    assert asyncio.run(fetch()) == {"ok": True}
    assert calls == ["crm.example.com"] and seen.hosts == [f"crm.example.com:{port}"]


@pytest.fixture(scope="module")
def strict(redis_server: EmbeddedRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server as shipped: ARENA_OUTBOUND_ALLOW_PRIVATE unset."""
    running = launch_server(redis_server.url, Path(tmp_path_factory.mktemp("strict")), ARENA_OUTBOUND_ALLOW_PRIVATE="")
    yield running
    running.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:6379/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.8/hook",
        "https://metadata.google.internal/",
    ],
)
def test_a_channel_to_a_forbidden_url_is_refused_naming_the_field(strict: RunningServer, url: str) -> None:
    with strict.admin() as admin:
        answer = admin.post("/api/v1/notifications/channels", json={"type": "slack", "name": "x", "url": url})
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["url"]


@pytest.mark.parametrize(
    ("connector_type", "config", "field"),
    [
        ("hubspot", {"api_base": "http://169.254.169.254"}, "config.api_base"),
        ("hubspot", {"api_base": "https://api.hubapi.com.attacker.example"}, "config.api_base"),
        ("zoho", {"api_base": "https://10.1.1.1"}, "config.api_base"),
        ("zoho", {"accounts_url": "https://metadata.google.internal"}, "config.accounts_url"),
    ],
)
def test_a_connector_with_a_forbidden_api_base_is_refused_naming_the_field(
    strict: RunningServer, connector_type: str, config: dict[str, str], field: str
) -> None:
    credentials = {
        "hubspot": {"client_secret": "s" * 20, "access_token": "pat-" + "t" * 20},
        "zoho": {"token": "t" * 20, "channel_id": "1", "access_token": "z" * 20},
    }[connector_type]
    body = {"type": connector_type, "name": "CRM", "config": {**credentials, **config}}
    with strict.admin() as admin:
        answer = admin.post("/api/v1/connectors", json=body)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_vendor_hosts_are_accepted_by_a_strict_server(strict: RunningServer) -> None:
    body = {"type": "hubspot", "name": "HubSpot EU", "config": {"client_secret": "s" * 20, "access_token": "t" * 20,
                                                               "api_base": "https://api-eu1.hubapi.com"}}  # fmt: skip
    with strict.admin() as admin:
        answer = admin.post("/api/v1/connectors", json=body)
    assert answer.status_code == 201, answer.text


@pytest.fixture(scope="module")
def chat() -> Iterator[FakeChat]:
    with running_fake_chat() as fake:
        yield fake


def test_the_channel_test_answers_a_status_line_not_what_the_remote_said(server: RunningServer, chat: FakeChat) -> None:
    name = unique("hook")
    with server.admin() as admin:
        made = admin.post(
            "/api/v1/notifications/channels", json={"type": "slack", "name": "x", "url": chat.hook("slack", name)}
        )
        assert made.status_code == 201, made.text
        channel = made.json()["id"]
        chat.fail(f"/slack/{name}", status=403, body="root:x:0:0:INTERNAL-SECRET")
        answer = admin.post(f"/api/v1/notifications/channels/{channel}/test")
        assert answer.status_code == 502 and "HTTP 403" in answer.json()["error"]
        assert "INTERNAL-SECRET" not in answer.text
        listed = admin.get(f"/api/v1/notifications/channels/{channel}")
        assert "INTERNAL-SECRET" not in listed.text
