"""Hostile events: values that pass the declared shapes but no store can hold (integers past 64 bits, lone
surrogates, times outside any calendar, numbers of thousands of digits, absurd nesting). Each is judged alone:
it lands in ``rejected`` with its index and reason and its neighbours are accepted, on the bearer fast path and
through the app alike, as JSON, msgpack and CRM webhooks; a request that shares a group commit with a poisoned
one never pays for it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgpack
import pytest

from game.events import Event
from game.store import Plan, Store
from server.integrations.generic import sign
from server.services.ingest_writer import IngestWriter
from tests.support import pipedrive_webhooks as pipedrive
from tests.support.accounts import signed_in
from tests.support.integrations import create_connector
from tests.support.org import deal, make_org, scores, unique
from tests.support.server import RunningServer

Post = Callable[[bytes, str], httpx.Response]
JSON, MSGPACK = "application/json", "application/msgpack"


@pytest.fixture(params=["fast path", "app"])
def post(request: pytest.FixtureRequest, server: RunningServer, admin: httpx.Client) -> Iterator[Post]:
    """``POST /api/v1/events`` with a bearer key (answered below Starlette) or a signed-in session (through it)."""
    if request.param == "fast path":
        with server.ingest() as client:
            yield lambda body, media: client.post("/api/v1/events", content=body, headers={"content-type": media})
    else:
        browser = signed_in(server, admin, "admin")
        yield lambda body, media: browser.call("POST", "/api/v1/events", content=body, headers={"content-type": media})
        browser.client.close()


def hostile_events(rep: str) -> dict[str, dict[str, Any]]:
    """Each one valid by the declared shapes, and each one a crash of the write before it was judged alone."""
    far_future = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    return {
        "an attribute of 2^64": deal(rep, 10, attrs={"big": 2**64}),
        "an attribute below -2^63": deal(rep, 10, attrs={"small": -(2**63) - 1}),
        "the first day of the calendar": deal(rep, 10, occurred_at="0001-01-01T00:00:00+14:00"),
        "the last second of the calendar": deal(rep, 10, occurred_at="9999-12-31T23:59:59-14:00"),
        "before 2000": deal(rep, 10, occurred_at="1999-12-31T23:59:59Z"),
        "next week": deal(rep, 10, occurred_at=far_future),
        "an amount of 5,000 digits": deal(rep, "9" * 5000),
    }


FIELD_OF = {
    "an attribute of 2^64": "attrs",
    "an attribute below -2^63": "attrs",
    "the first day of the calendar": "occurred_at",
    "the last second of the calendar": "occurred_at",
    "before 2000": "occurred_at",
    "next week": "occurred_at",
    "an amount of 5,000 digits": "amount",
}


def _judged_alone(response: httpx.Response, bad_index: int, field: str) -> None:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["accepted"] == 1, answer
    assert [r["index"] for r in answer["rejected"]] == [bad_index], answer
    assert field in {e["field"] for e in answer["rejected"][0]["errors"]}, answer
    assert answer["rejected"][0]["error"], answer


def test_each_hostile_json_event_is_rejected_alone_and_its_neighbour_counts(post: Post, admin: httpx.Client) -> None:
    org = make_org(admin, reps_per_team=1)
    rep = org.reps[0]
    for name, bad in hostile_events(rep).items():
        good = deal(rep, 1000)
        _judged_alone(post(json.dumps([good, bad]).encode(), JSON), 1, FIELD_OF[name])
        alone = post(json.dumps(bad).encode(), JSON)
        assert alone.status_code == 422 and alone.json()["rejected"][0]["index"] == 0, (name, alone.text)
    assert scores(admin, org.contest)[rep] == len(FIELD_OF)


def test_a_5000_digit_attribute_and_absurd_nesting_are_client_errors(post: Post, admin: httpx.Client) -> None:
    org = make_org(admin, reps_per_team=1)
    rep = org.reps[0]
    digits = f'[{json.dumps(deal(rep, 1000))}, {{"id": "{unique("e")}", "type": "deal.won", "rep": "{rep}", '
    digits += f'"amount": "1", "attrs": {{"n": {"9" * 5000}}}}}]'
    _judged_alone(post(digits.encode(), JSON), 1, "attrs")
    deep = "[" * 100_000 + "]" * 100_000
    for body in (deep, f'{{"id": "x", "type": "deal.won", "rep": "{rep}", "extra": {deep}}}', f"[{deep}]"):
        response = post(body.encode(), JSON)
        assert response.status_code in (400, 422) and "error" in response.json(), response.text[:300]
    for body in (b"{not json", b'[{"id": 1,]', b"\xff\xfe"):
        response = post(body, JSON)
        assert response.status_code == 400 and "error" in response.json(), response.text
    assert scores(admin, org.contest)[rep] == 1


@pytest.mark.parametrize("field", ["id", "customer", "category", "attrs key", "attrs value"])
def test_a_lone_surrogate_rejects_only_its_event(post: Post, admin: httpx.Client, field: str) -> None:
    org = make_org(admin, reps_per_team=1)
    rep = org.reps[0]
    bad = deal(rep, 10)
    marker = "SURROGATE"
    if field == "attrs key":
        bad["attrs"] = {marker: 1}
    elif field == "attrs value":
        bad["attrs"] = {"k": marker}
    else:
        bad[field] = f"{field}-{marker}" if field != "id" else f"{unique('e')}{marker}"
    # JSON's grammar allows an escaped lone surrogate; no Unicode text holds one.
    body = json.dumps([deal(rep, 1000), bad]).replace(marker, "\\ud800x").encode()
    _judged_alone(post(body, JSON), 1, field.split()[0])
    assert scores(admin, org.contest)[rep] == 1


def test_hostile_msgpack_events_are_rejected_alone(post: Post, admin: httpx.Client) -> None:
    org = make_org(admin, reps_per_team=1)
    rep = org.reps[0]
    good = deal(rep, 1000)
    huge = deal(rep, 10, attrs={"big": 2**64 - 1})
    _judged_alone(post(msgpack.packb([good, huge]), MSGPACK), 1, "attrs")
    ancient = deal(rep, 10, occurred_at="0001-01-01T00:00:00+14:00")
    _judged_alone(post(msgpack.packb([deal(rep, 1000), ancient]), MSGPACK), 1, "occurred_at")
    # A string that is not UTF-8 inside one item of an array: that item only.
    broken = msgpack.packb(deal(rep, 10, customer="CUSTOMER")).replace(b"CUSTOMER", b"\xed\xa0\x80\xff\xfe\xfd\xfc\xfb")
    body = b"\x92" + msgpack.packb(deal(rep, 1000)) + broken
    _judged_alone(post(body, MSGPACK), 1, "")
    assert scores(admin, org.contest)[rep] == 3


def test_a_poisoned_request_never_fails_the_innocent_requests_it_is_committed_with(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin, reps_per_team=1)
    rep = org.reps[0]
    poisons = list(hostile_events(rep).values())

    def send(n: int) -> httpx.Response:
        with server.ingest() as client:
            events = [poisons[n % len(poisons)]] if n % 5 == 0 else [deal(rep, 1000)]
            return client.post("/api/v1/events", json=events)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(send, range(150)))
    assert [a.status_code for a in answers if a.status_code >= 500] == []
    assert all(a.status_code == 422 for n, a in enumerate(answers) if n % 5 == 0)
    assert all(a.status_code == 200 and a.json()["accepted"] == 1 for n, a in enumerate(answers) if n % 5)
    assert scores(admin, org.contest)[rep] == 120


def test_the_group_commit_isolates_a_request_whose_write_fails(
    engine: tuple[asyncio.AbstractEventLoop, Store],
) -> None:
    """Below validation: a plan no store can encode (built by hand) fails its own request, never its neighbours'."""
    loop, store = engine
    now = datetime.now(UTC)

    def plan(**attrs: Any) -> Plan:
        return Plan(Event(unique("w"), "call.logged", "r1", now, now, source="writer-test", attrs=attrs), ())

    async def run() -> list[Any]:
        writer = IngestWriter(store)
        groups = [[plan()], [plan(), plan(x=2**70)], [plan(), plan()]]
        return await asyncio.gather(*(writer.write(g) for g in groups), return_exceptions=True)

    first, poisoned, last = loop.run_until_complete(run())
    assert isinstance(poisoned, OverflowError)
    assert [r.new for r in first[0]] == [True]
    assert [r.new for r in last[0]] == [True, True]


def _signed_generic(server: RunningServer, connector: str, body: bytes, secret: str) -> httpx.Response:
    timestamp = str(int(time.time()))
    headers = {"X-Arena-Timestamp": timestamp, "X-Arena-Signature": sign(secret, timestamp, body)}
    headers["content-type"] = JSON
    return httpx.post(f"{server.base_url}/hooks/generic/{connector}", content=body, headers=headers, timeout=20)


def test_a_generic_webhook_with_hostile_events_rejects_them_alone(server: RunningServer, admin: httpx.Client) -> None:
    secret = "generic-signing-secret-" + unique("s")
    connector = create_connector(admin, "generic", {"secret": secret})
    org = make_org(admin, reps_per_team=1)
    rep = org.reps[0]
    for name, bad in hostile_events(rep).items():
        if name == "an amount of 5,000 digits":
            bad = {**bad, "amount": int("9" * 4000)}  # a JSON number Python still reads
        response = _signed_generic(server, connector, json.dumps([deal(rep, 1000), bad]).encode(), secret)
        _judged_alone(response, 1, FIELD_OF[name])
    surrogate = json.dumps([deal(rep, 1000), deal(rep, 5, customer="\ud800")]).encode()
    _judged_alone(_signed_generic(server, connector, surrogate, secret), 1, "customer")
    for body in ("[" * 100_000 + "]" * 100_000, '[{"amount": ' + "9" * 5000 + "}]"):
        response = _signed_generic(server, connector, body.encode(), secret)
        assert response.status_code == 400 and "error" in response.json(), response.text[:300]
    assert scores(admin, org.contest)[rep] == len(FIELD_OF) + 1


def test_a_pipedrive_deal_with_values_out_of_any_range_is_refused_not_failed(
    server: RunningServer, admin: httpx.Client
) -> None:
    connector = create_connector(admin, "pipedrive", {"username": pipedrive.USERNAME, "password": pipedrive.PASSWORD})
    for data in (
        {"won_time": "0001-01-01T00:00:00+14:00"},
        {"won_time": 10**30},
        {"update_time": 10**30, "value": int("9" * 4000)},
        {"value": "1e400"},
    ):
        response = pipedrive.post(server, connector, pipedrive.webhook(int(time.time() * 1000) % 10**9, **data))
        assert response.status_code == 400 or response.json()["rejected"], (data, response.text)
