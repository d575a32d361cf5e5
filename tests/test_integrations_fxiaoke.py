"""纷享销客 (Fxiaoke): 商机 / 订单 records pushed by a custom function, signed, turned into won and reversed deals."""

from __future__ import annotations

import json
import re
import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from server.integrations.fxiaoke import observation_from_record
from server.integrations.generic import sign
from tests.support.calendar import Calendar
from tests.support.integrations import create_connector, scores, send_signed, set_alias, unmapped
from tests.support.org import make_org
from tests.support.server import RunningServer

SECRET = "fxiaoke-signing-secret-0123456789"
WON = "赢单"


def opportunity(
    owner: str = "1000", *, stage: str = WON, modified_ms: int | None = None, **fields: Any
) -> dict[str, Any]:
    """A 商机 (NewOpportunityObj) as ``/cgi/crm/v2/data/get`` returns it: owners and references as lists/``__r``,
    dates as epoch milliseconds, money as text."""
    closed = datetime.fromisoformat(Calendar.from_clock().at(1))
    return {
        "_id": secrets.token_hex(12),
        "object_describe_api_name": "NewOpportunityObj",
        "name": "华东区 ERP 升级项目",
        "account_id": secrets.token_hex(12),
        "account_id__r": "上海示例科技有限公司",
        "owner": [owner],
        "amount": "128000.00",
        "mc_currency": "CNY",
        "sales_stage": stage,
        "close_date": int(closed.timestamp() * 1000),
        "life_status": "normal",
        "is_deleted": False,
        "last_modified_time": modified_ms or int(time.time() * 1000),
        **fields,
    }


def setup(admin: httpx.Client) -> tuple[Any, str, str]:
    org = make_org(admin)
    connector = create_connector(admin, "fxiaoke", {"secret": SECRET, "won_stages": [WON]}, name="纷享销客")
    set_alias(admin, org, 0, {connector: "1000"})
    return org, connector, f"/hooks/fxiaoke/{connector}"


def push(server: RunningServer, hook: str, document: Any, **kwargs: Any) -> httpx.Response:
    return send_signed(f"{server.base_url}{hook}", SECRET, document, **kwargs)


def test_a_won_opportunity_scores_once_with_its_customer_and_an_id_from_the_record(
    server: RunningServer, admin: httpx.Client
) -> None:
    org, connector, hook = setup(admin)
    record = opportunity()
    first = push(server, hook, record)
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 1, "duplicates": 0, "held": 0, "rejected": []}
    assert push(server, hook, record).json()["duplicates"] == 1  # the workflow fired again: same state
    assert scores(admin, org.contest)[org.reps[0]] == 128
    ledger = admin.get(f"/api/v1/reps/{org.reps[0]}/ledger", params={"contest": org.contest}).json()["entries"]
    assert [(e["event"], e.get("customer")) for e in ledger] == [
        (f"{connector}:NewOpportunityObj:{record['_id']}:won:1", "上海示例科技有限公司")
    ]


def test_leaving_the_won_stage_or_invalidating_reverses_and_stale_pushes_change_nothing(
    server: RunningServer, admin: httpx.Client
) -> None:
    org, _, hook = setup(admin)
    now_ms = int(time.time() * 1000)
    record = opportunity(modified_ms=now_ms)
    push(server, hook, record)
    lost = {**record, "sales_stage": "输单", "last_modified_time": now_ms + 1000}
    assert push(server, hook, lost).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 0
    assert push(server, hook, record).json()["accepted"] == 0  # older than the loss: out of order, ignored
    assert scores(admin, org.contest)[org.reps[0]] == 0
    won_again = {**record, "amount": "50000", "last_modified_time": now_ms + 2000}
    invalidated = {**won_again, "life_status": "invalid", "last_modified_time": now_ms + 3000}
    assert push(server, hook, [won_again]).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 50
    assert push(server, hook, invalidated).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_forged_or_stale_signatures_are_401_and_nothing_scores(server: RunningServer, admin: httpx.Client) -> None:
    org, _, hook = setup(admin)
    record = opportunity()
    assert push(server, hook, record, signature="sha256=" + "0" * 64).status_code == 401
    body = json.dumps(record).encode()
    stale = str(int(time.time()) - 6 * 60)
    headers = {"X-Arena-Timestamp": stale, "X-Arena-Signature": sign(SECRET, stale, body)}
    assert httpx.post(f"{server.base_url}{hook}", content=body, headers=headers).status_code == 401
    assert httpx.post(f"{server.base_url}{hook}", json=record).status_code == 401
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_an_unmatched_owner_waits_for_a_rep_and_malformed_records_are_400(
    server: RunningServer, admin: httpx.Client
) -> None:
    org, connector, hook = setup(admin)
    assert push(server, hook, opportunity("1077")).json()["held"] == 1
    assert unmapped(admin, connector) == {"1077": 1}
    set_alias(admin, org, 3, {connector: "1077"})
    assert scores(admin, org.contest)[org.reps[3]] == 128
    for document in ([], [{"name": "no _id"}], ["x"], {"_id": "x" * 65}):
        assert push(server, hook, document).status_code == 400, document


def test_the_console_test_delivery_signs_a_sample_opportunity_and_keeps_nothing(
    server: RunningServer, admin: httpx.Client
) -> None:
    org, connector, _ = setup(admin)
    response = admin.post(f"/api/v1/connectors/{connector}/test")
    assert response.status_code == 200, response.text
    assert (response.json()["outcome"], response.json()["rejected"]) == ("test", 0)
    assert unmapped(admin, connector) == {}
    assert set(scores(admin, org.contest).values()) == {0}


def test_the_connector_needs_its_won_stages(admin: httpx.Client) -> None:
    response = admin.post(
        "/api/v1/connectors", json={"type": "fxiaoke", "name": "纷享销客", "config": {"secret": SECRET}}
    )
    assert response.status_code == 422
    assert "config.won_stages" in response.text


def test_the_documented_record_is_read_as_a_won_opportunity_of_its_owner() -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "integrations" / "fxiaoke.md").read_text()
    record = json.loads(re.findall(r"```json\n(.*?)```", guide, flags=re.S)[0])
    seen = observation_from_record(
        record, stage_field="sales_stage", amount_field="amount", won_stages=frozenset({"赢单"}), zone=ZoneInfo("UTC")
    )
    assert (seen.deal_id, seen.won, seen.owner, seen.amount, seen.currency, seen.customer) == (
        "NewOpportunityObj:6571a2c3e4b0a1b2c3d4e5f6",
        True,
        "1000",
        "128000",
        "CNY",
        "上海示例科技有限公司",
    )
    assert seen.as_of == 1796006800.0
