"""HubSpot: signed batches in, deals fetched from a local fake of the CRM API, scores on the board."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.integrations.hubspot import verify_signature
from tests.support.calendar import Calendar
from tests.support.fake_crm import FakeCrm, running_fake_crm
from tests.support.integrations import create_connector, scores, set_alias, unmapped
from tests.support.org import make_org, unique
from tests.support.server import RunningServer

CLIENT_SECRET = "hs-client-secret-" + "x" * 16
ACCESS_TOKEN = "pat-na1-test-token"
event_ids = itertools.count(1000)
MODIFIED_BASE = Calendar.from_clock().moment(2).astimezone(UTC)  # updatedAt moves forward with every change


@pytest.fixture
def fake() -> Iterator[FakeCrm]:
    with running_fake_crm() as crm:
        yield crm


def zulu(moment: datetime) -> str:
    """HubSpot's way of writing a time: UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def hubspot_connector(admin: httpx.Client, fake: FakeCrm, **config: Any) -> str:
    settings = {"client_secret": CLIENT_SECRET, "access_token": ACCESS_TOKEN, "api_base": fake.url, **config}
    return create_connector(admin, "hubspot", settings, name="HubSpot 华东")


def put_deal(
    fake: FakeCrm, deal_id: str, *, stage: str, owner: str = "501", amount: str = "25000", **extra: Any
) -> None:
    fake.documents[f"/crm/v3/objects/deals/{deal_id}"] = {
        "id": deal_id,
        "properties": {
            "amount": amount,
            "closedate": zulu(Calendar.from_clock().moment(1)),
            "dealstage": stage,
            "hubspot_owner_id": owner,
            "deal_currency_code": "CNY",
            "hs_object_id": deal_id,
            **extra,
        },
        "createdAt": zulu(Calendar.from_clock().moment(20)),
        "updatedAt": zulu(MODIFIED_BASE + timedelta(seconds=next(event_ids))),
        "archived": False,
    }


def notification(deal_id: str, kind: str = "deal.propertyChange", *, key: str = "subscriptionType") -> dict:
    return {
        "eventId": next(event_ids),
        "subscriptionId": 4242,
        "portalId": 62515,
        "appId": 1160452,
        "occurredAt": int(time.time() * 1000),
        key: kind,
        "attemptNumber": 0,
        "objectId": int(deal_id),
        "propertyName": "dealstage",
        "propertyValue": "closedwon",
        "changeSource": "CRM",
    }


def sign(secret: str, method: str, url: str, body: bytes, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), method.encode() + url.encode() + body + timestamp.encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def post(
    server: RunningServer,
    connector: str,
    events: list[dict],
    *,
    secret: str = CLIENT_SECRET,
    age_ms: int = 0,
) -> httpx.Response:
    url = f"{server.base_url}/hooks/hubspot/{connector}"
    body = json.dumps(events).encode()
    timestamp = str(int(time.time() * 1000) - age_ms)
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Request-Timestamp": timestamp,
        "X-HubSpot-Signature-v3": sign(secret, "POST", url, body, timestamp),
    }
    return httpx.post(url, content=body, headers=headers, timeout=20)


def deal_id() -> str:
    return str(next(event_ids) * 1000 + int(unique("d")[-4:], 16))


def test_a_signed_batch_scores_the_deal_owner_with_the_deal_fetched_from_hubspot(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org = make_org(admin)
    connector = hubspot_connector(admin, fake)
    set_alias(admin, org, 0, {connector: "501"})
    deal = deal_id()
    put_deal(fake, deal, stage="closedwon")
    batch = [notification(deal, "deal.creation"), notification(deal, key="eventType")]
    response = post(server, connector, batch)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 25
    [call] = fake.calls(f"/crm/v3/objects/deals/{deal}")  # one fetch for two events of one deal
    assert call.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert "dealstage" in call.query and "hubspot_owner_id" in call.query and "deal_currency_code" in call.query


def test_a_bad_or_stale_signature_is_401_and_nothing_is_fetched_or_scored(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org = make_org(admin)
    connector = hubspot_connector(admin, fake)
    set_alias(admin, org, 0, {connector: "501"})
    deal = deal_id()
    put_deal(fake, deal, stage="closedwon")
    assert post(server, connector, [notification(deal)], secret="not-the-secret").status_code == 401
    assert post(server, connector, [notification(deal)], age_ms=6 * 60 * 1000).status_code == 401
    unsigned = httpx.post(f"{server.base_url}/hooks/hubspot/{connector}", json=[notification(deal)])
    assert unsigned.status_code == 401
    assert fake.calls(f"/crm/v3/objects/deals/{deal}") == []
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_redelivered_batches_and_repeated_events_never_count_twice(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org = make_org(admin)
    connector = hubspot_connector(admin, fake)
    set_alias(admin, org, 1, {connector: "501"})
    deal = deal_id()
    put_deal(fake, deal, stage="closedwon")
    batch = [notification(deal)]
    assert post(server, connector, batch).json()["accepted"] == 1
    again = post(server, connector, batch).json()  # HubSpot retried the same delivery
    assert again["redelivered"] == 1 and again["accepted"] == 0
    other = post(server, connector, [notification(deal)]).json()  # a new event, the deal still won
    assert other["accepted"] == 0 and other["duplicates"] == 1
    assert scores(admin, org.contest)[org.reps[1]] == 25


def test_leaving_the_won_stage_reverses_and_winning_again_scores_again(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org = make_org(admin)
    connector = hubspot_connector(admin, fake)
    set_alias(admin, org, 0, {connector: "501"})
    deal = deal_id()
    put_deal(fake, deal, stage="closedwon")
    post(server, connector, [notification(deal)])
    assert scores(admin, org.contest)[org.reps[0]] == 25
    put_deal(fake, deal, stage="closedlost")
    assert post(server, connector, [notification(deal)]).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 0
    put_deal(fake, deal, stage="closedwon", amount="30000")
    assert post(server, connector, [notification(deal)]).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 30
    assert post(server, connector, [notification(deal, "deal.deletion")]).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_a_deal_in_a_custom_won_stage_scores_and_an_open_one_does_not(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org = make_org(admin)
    connector = hubspot_connector(admin, fake, won_stages=["contractsigned"])
    set_alias(admin, org, 0, {connector: "501"})
    won, open_deal = deal_id(), deal_id()
    put_deal(fake, won, stage="contractsigned", amount="12000")
    put_deal(fake, open_deal, stage="appointmentscheduled", amount="99000")
    assert post(server, connector, [notification(won), notification(open_deal)]).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 12


def test_an_unknown_owner_is_held_then_scored_once_a_rep_gets_the_alias(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org = make_org(admin)
    connector = hubspot_connector(admin, fake)
    deal, lost = deal_id(), deal_id()
    put_deal(fake, deal, stage="closedwon", owner="777", amount="41000")
    put_deal(fake, lost, stage="closedwon", owner="777", amount="5000")
    answer = post(server, connector, [notification(deal), notification(lost)]).json()
    assert answer["held"] == 2 and answer["accepted"] == 0
    put_deal(fake, lost, stage="closedlost", owner="777")
    assert post(server, connector, [notification(lost)]).json()["held"] == 1  # the reversal waits too
    assert unmapped(admin, connector) == {"777": 3}
    assert set(scores(admin, org.contest).values()) == {0}
    set_alias(admin, org, 2, {connector: "777"})
    assert scores(admin, org.contest)[org.reps[2]] == 41
    assert unmapped(admin, connector) == {}
    set_alias(admin, org, 2, {connector: "777"})  # mapping again releases nothing twice
    assert scores(admin, org.contest)[org.reps[2]] == 41


def test_crm_api_failures_are_retried_and_a_dead_api_gets_503_then_the_redelivery_scores(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org = make_org(admin)
    connector = hubspot_connector(admin, fake)
    set_alias(admin, org, 0, {connector: "501"})
    flaky, dead = deal_id(), deal_id()
    put_deal(fake, flaky, stage="closedwon", amount="10000")
    put_deal(fake, dead, stage="closedwon", amount="20000")
    fake.fail(f"/crm/v3/objects/deals/{flaky}", 503)
    fake.fail(f"/crm/v3/objects/deals/{flaky}", 429, headers={"Retry-After": "0"})
    assert post(server, connector, [notification(flaky)]).json()["accepted"] == 1
    assert len(fake.calls(f"/crm/v3/objects/deals/{flaky}")) == 3
    fake.fail(f"/crm/v3/objects/deals/{dead}", 500, times=50)
    batch = [notification(dead)]
    started = time.monotonic()
    response = post(server, connector, batch)
    assert response.status_code == 503 and time.monotonic() - started < 10
    assert 1 <= len(fake.calls(f"/crm/v3/objects/deals/{dead}")) <= 3  # bounded retries
    assert scores(admin, org.contest)[org.reps[0]] == 10
    fake.failures.clear()
    assert post(server, connector, batch).json()["accepted"] == 1  # HubSpot redelivers; now it works
    assert scores(admin, org.contest)[org.reps[0]] == 30


def test_the_signed_uri_has_hubspots_listed_characters_decoded() -> None:
    body, timestamp = b'[{"eventId":1}]', "1795300000000"
    signed_as = "https://arena.example.com/hooks/hubspot/h-1?next=a:b,c"
    signature = sign(CLIENT_SECRET, "POST", signed_as, body, timestamp)
    received_as = "https://arena.example.com/hooks/hubspot/h-1?next=a%3Ab%2Cc"
    now = int(timestamp) + 1000
    assert verify_signature(CLIENT_SECRET, "POST", [received_as], body, timestamp, signature, now)
    assert not verify_signature(CLIENT_SECRET, "POST", [received_as], body + b" ", timestamp, signature, now)
    assert not verify_signature(CLIENT_SECRET, "POST", [received_as], body, timestamp, signature, now + 301_000)


def test_a_merge_reverses_the_merged_deals_and_scores_the_primary_once(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org = make_org(admin)
    connector = hubspot_connector(admin, fake)
    set_alias(admin, org, 0, {connector: "501"})
    first, second, primary = deal_id(), deal_id(), deal_id()
    put_deal(fake, first, stage="closedwon", amount="25000")
    put_deal(fake, second, stage="closedwon", amount="10000")
    post(server, connector, [notification(first), notification(second)])
    assert scores(admin, org.contest)[org.reps[0]] == 35
    put_deal(fake, primary, stage="closedwon", amount="35000")  # HubSpot makes a new deal of the two
    merge = {**notification(primary, "object.merge"), "objectTypeId": "0-3"}
    merge.update(primaryObjectId=int(primary), mergedObjectIds=[int(first), int(second)])
    association = {**notification(first, "deal.associationChange"), "fromObjectId": int(first), "toObjectId": 9}
    del association["objectId"]
    answer = post(server, connector, [merge, association])
    assert answer.status_code == 200, answer.text
    assert (answer.json()["accepted"], answer.json()["ignored"]) == (3, 1)
    assert scores(admin, org.contest)[org.reps[0]] == 35
    assert len(fake.calls(f"/crm/v3/objects/deals/{first}")) == 1  # a merged deal is gone: not asked again
