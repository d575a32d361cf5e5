"""Zoho CRM notifications: token and channel checked, Deals fetched from a local fake of the Zoho API."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import redis

from tests.support.calendar import Calendar
from tests.support.fake_crm import FakeCrm, running_fake_crm
from tests.support.integrations import create_connector, scores, set_alias
from tests.support.org import make_org
from tests.support.server import RunningServer

TOKEN, CHANNEL, ACCESS = "TOKEN_FOR_VERIFICATION_OF_1000000068001", "1000000068001", "1000.8cb99dtesttoken.9b8f"
OWNER = "3719520000000178021"
record_ids = itertools.count(3719520000000451011 + uuid.uuid4().int % 10**9 * 1000)
modified = itertools.count(0)
MODIFIED_BASE = Calendar.from_clock().moment(2)  # Modified_Time moves forward with every change


@pytest.fixture
def fake() -> Iterator[FakeCrm]:
    with running_fake_crm() as crm:
        yield crm


def put_deal(fake: FakeCrm, deal_id: str, *, stage: str, amount: Any = 64000) -> None:
    fake.documents[f"/crm/v2/Deals/{deal_id}"] = {
        "data": [
            {
                "id": deal_id,
                "Deal_Name": "上海仓储 年度合同",
                "Owner": {"name": "Li Lei", "id": OWNER, "email": "lilei@example.com"},
                "Amount": amount,
                "Currency": "CNY",
                "Stage": stage,
                "Closing_Date": Calendar.from_clock().date_text(1),
                "Modified_Time": (MODIFIED_BASE + timedelta(seconds=next(modified))).isoformat(),
            }
        ]
    }


def notification(*ids: str, operation: str = "update", token: str = TOKEN, channel: str = CHANNEL, **extra) -> dict:
    return {
        "server_time": int(time.time() * 1000),
        "query_params": {},
        "module": "Deals",
        "resource_uri": "https://www.zohoapis.com/crm/v2/Deals",
        "ids": list(ids),
        "affected_fields": [{str(i): ["Stage"]} for i in ids],
        "operation": operation,
        "channel_id": channel,
        "token": token,
        **extra,
    }


def setup(admin: httpx.Client, fake: FakeCrm) -> tuple[Any, str]:
    org = make_org(admin)
    connector = create_connector(
        admin, "zoho", {"token": TOKEN, "channel_id": CHANNEL, "access_token": ACCESS, "api_base": fake.url}
    )
    set_alias(admin, org, 0, {connector: OWNER})
    return org, connector


def post(server: RunningServer, connector: str, document: dict) -> httpx.Response:
    return httpx.post(f"{server.base_url}/hooks/zoho/{connector}", json=document, timeout=20)


def test_a_closed_won_deal_is_fetched_with_the_oauth_token_and_scored(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org, connector = setup(admin, fake)
    won, open_deal = str(next(record_ids)), str(next(record_ids))
    put_deal(fake, won, stage="Closed Won")
    put_deal(fake, open_deal, stage="Negotiation/Review", amount=99000)
    response = post(server, connector, notification(won, open_deal))
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 64
    [call] = fake.calls(f"/crm/v2/Deals/{won}")
    assert call.headers["Authorization"] == f"Zoho-oauthtoken {ACCESS}"
    assert post(server, connector, notification(won)).json()["duplicates"] == 1  # same state again


def test_a_wrong_token_or_channel_is_401_and_nothing_is_fetched(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org, connector = setup(admin, fake)
    deal = str(next(record_ids))
    put_deal(fake, deal, stage="Closed Won")
    assert post(server, connector, notification(deal, token="TOKEN_GUESSED")).status_code == 401
    assert post(server, connector, notification(deal, channel="1000000068002")).status_code == 401
    assert fake.calls(f"/crm/v2/Deals/{deal}") == []
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_moving_out_of_closed_won_or_deleting_reverses(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org, connector = setup(admin, fake)
    deal = str(next(record_ids))
    put_deal(fake, deal, stage="Closed Won")
    post(server, connector, notification(deal))
    put_deal(fake, deal, stage="Closed Lost")
    assert post(server, connector, notification(deal)).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 0
    put_deal(fake, deal, stage="Closed Won", amount=70000)
    post(server, connector, notification(deal))
    assert scores(admin, org.contest)[org.reps[0]] == 70
    assert post(server, connector, notification(deal, operation="delete")).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_other_modules_are_ignored_and_malformed_bodies_are_400(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    _, connector = setup(admin, fake)
    assert post(server, connector, notification("1", module="Contacts")).json()["ignored"] == 1
    assert post(server, connector, {"ids": "not-a-list", "token": TOKEN, "channel_id": CHANNEL}).status_code == 400
    assert fake.requests == []


REFRESH, CLIENT_ID, CLIENT_SECRET = "1000.refresh.0a1b2c3d", "1000.CLIENTID0001", "client-secret-0001"


def refreshing_connector(admin: httpx.Client, fake: FakeCrm) -> tuple[Any, str]:
    org = make_org(admin)
    config = {"token": TOKEN, "channel_id": CHANNEL, "api_base": fake.url, "accounts_url": fake.url,
              "refresh_token": REFRESH, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}  # fmt: skip
    connector = create_connector(admin, "zoho", config)
    set_alias(admin, org, 0, {connector: OWNER})
    return org, connector


def test_a_refresh_token_buys_access_tokens_that_are_kept_until_they_go_bad(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm
) -> None:
    org, connector = refreshing_connector(admin, fake)
    fake.documents["/oauth/v2/token"] = {"access_token": "1000.first.aaaa", "expires_in": 3600, "token_type": "Bearer"}
    first, second = str(next(record_ids)), str(next(record_ids))
    put_deal(fake, first, stage="Closed Won")
    assert post(server, connector, notification(first)).json()["accepted"] == 1
    [refresh] = fake.calls("/oauth/v2/token")
    assert refresh.method == "POST" and dict(parse_qsl(refresh.body)) == {
        "grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET
    }  # fmt: skip
    assert fake.calls(f"/crm/v2/Deals/{first}")[0].headers["Authorization"] == "Zoho-oauthtoken 1000.first.aaaa"

    put_deal(fake, second, stage="Closed Won", amount=30000)
    assert post(server, connector, notification(second)).json()["accepted"] == 1
    assert len(fake.calls("/oauth/v2/token")) == 1  # kept, not bought again
    assert scores(admin, org.contest)[org.reps[0]] == 94

    # Zoho revokes the token early: the API says 401, a new token is bought once and the fetch retried.
    third = str(next(record_ids))
    put_deal(fake, third, stage="Closed Won", amount=6000)
    fake.fail(f"/crm/v2/Deals/{third}", 401)
    fake.documents["/oauth/v2/token"] = {"access_token": "1000.second.bbbb", "expires_in": 3600}
    assert post(server, connector, notification(third)).json()["accepted"] == 1
    assert len(fake.calls("/oauth/v2/token")) == 2
    assert [c.headers["Authorization"] for c in fake.calls(f"/crm/v2/Deals/{third}")] == [
        "Zoho-oauthtoken 1000.first.aaaa", "Zoho-oauthtoken 1000.second.bbbb"
    ]  # fmt: skip
    assert scores(admin, org.contest)[org.reps[0]] == 100


def test_a_refused_refresh_is_503_and_scores_nothing(server: RunningServer, admin: httpx.Client, fake: FakeCrm) -> None:
    org, connector = refreshing_connector(admin, fake)
    fake.documents["/oauth/v2/token"] = {"error": "invalid_code"}
    deal = str(next(record_ids))
    put_deal(fake, deal, stage="Closed Won")
    response = post(server, connector, notification(deal))
    assert response.status_code == 503 and "Zoho" in response.json()["error"]
    assert fake.calls(f"/crm/v2/Deals/{deal}") == []
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_a_connector_needs_an_access_token_or_the_whole_refresh_set(admin: httpx.Client) -> None:
    base = {"token": TOKEN, "channel_id": CHANNEL}
    for config in (base, {**base, "refresh_token": REFRESH, "client_id": CLIENT_ID}):
        response = admin.post("/api/v1/connectors", json={"type": "zoho", "name": "Zoho", "config": config})
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["field"] == "config.access_token" and "refresh_token, client_id, client_secret" in error["message"]
    created = admin.post(
        "/api/v1/connectors",
        json={"type": "zoho", "name": "Zoho", "config": {**base, "refresh_token": REFRESH, "client_id": CLIENT_ID,
                                                          "client_secret": CLIENT_SECRET}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    shown = admin.get(f"/api/v1/connectors/{created.json()['id']}").json()
    assert shown["secrets"] == ["client_secret", "refresh_token", "token"] and shown["config"]["client_id"] == CLIENT_ID
    assert REFRESH not in json.dumps(shown) and CLIENT_SECRET not in json.dumps(shown)


def test_deleting_a_connector_removes_what_it_kept_but_not_the_scores(
    server: RunningServer, admin: httpx.Client, fake: FakeCrm, redis_client: redis.Redis
) -> None:
    org, connector = refreshing_connector(admin, fake)
    fake.documents["/oauth/v2/token"] = {"access_token": "1000.kept.cccc", "expires_in": 3600}
    won, waiting = str(next(record_ids)), str(next(record_ids))
    put_deal(fake, won, stage="Closed Won")
    post(server, connector, notification(won))
    fake.documents[f"/crm/v2/Deals/{waiting}"] = {"data": [{**fake.documents[f"/crm/v2/Deals/{won}"]["data"][0],
                                                            "id": waiting, "Owner": {"id": "999000111"}}]}  # fmt: skip
    assert post(server, connector, notification(waiting)).json()["held"] == 1

    def kept() -> list[bytes]:
        return [key for key in redis_client.scan_iter(match=f"*{connector}*", count=1000)]

    assert len(kept()) >= 4  # deal states, the held event, the unmapped owner, the access token
    assert admin.delete(f"/api/v1/connectors/{connector}").status_code == 204
    assert kept() == []
    assert scores(admin, org.contest)[org.reps[0]] == 64  # what it delivered stays
    assert admin.get(f"/api/v1/connectors/{connector}").status_code == 404
