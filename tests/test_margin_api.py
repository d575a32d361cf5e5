"""Margin commission and monthly exchange rates through the real server: a deal with line items scored on margin
with a product multiplier, its ledger line by line, a deal in dollars that waits for its month's rate and scores
once a manager sets it, a reversal that takes back exactly what was given, and a rescore that changes nothing.

Rates are organisation-wide and setting one rescores the contests of its month, so this module has a server of
its own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, scores, unique
from tests.support.waiting import eventually

pytestmark = pytest.mark.own_server

MARGIN_RULE = {"on": "deal.won", "points_per": 100, "basis": "margin", "multipliers": {"product": {"A100": 1.5}}}
ITEMS = [
    {"product": "A100", "category": "hardware", "amount": "12000", "margin": "3000"},
    {"product": "S1", "category": "service", "amount": "8000", "margin": "50%"},
]


def post(ingest: httpx.Client, *events: dict[str, Any]) -> dict[str, Any]:
    response = ingest.post("/api/v1/events", json=list(events))
    assert response.status_code in (200, 422), response.text
    return dict(response.json())


def ledger(admin: httpx.Client, rep: str, contest: str, lang: str = "en") -> list[dict[str, Any]]:
    response = admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": contest, "lang": lang})
    assert response.status_code == 200, response.text
    return list(response.json()["entries"])


def rescored(admin: httpx.Client, contest: str, epoch: int) -> None:
    def done() -> bool:
        status = admin.get(f"/api/v1/contests/{contest}/rescore").json()
        return bool(status["state"] == "done" and status["epoch"] >= epoch)

    eventually(done, timeout=30, what=f"{contest} rescored into epoch {epoch}")


def test_margin_lines_rates_reversal_and_rescore(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=2, rules=[MARGIN_RULE])
    lined, dollars = org.reps
    month = Calendar.from_clock().moment(1).strftime("%Y-%m")
    bad = deal(lined, "20001", items=ITEMS)
    answer = post(ingest, deal(lined, "20000", event_id="lined-" + org.contest, items=ITEMS), bad)
    assert answer["accepted"] == 1
    [refused] = answer["rejected"]
    assert refused["index"] == 1 and "add up to 20000" in refused["error"]
    assert scores(admin, org.contest)[lined] == 85  # 3,000 / 100 × 1.5 + 4,000 / 100

    [line] = ledger(admin, lined, org.contest)
    assert line["points"] == 85
    assert line["lines"] == ["A100 ¥12,000 margin ¥3,000 ÷ 100 × 1.5 = 45", "S1 ¥8,000 margin ¥4,000 ÷ 100 = 40"]
    [zh] = ledger(admin, lined, org.contest, "zh-CN")
    assert "A100 ¥12,000 毛利 ¥3,000 ÷ 100 × 1.5 = 45 分" in zh["description"]

    # a deal in dollars before its month has a rate: kept, scored 0 for now, and said so
    usd = deal(dollars, "1000", currency="USD", margin="40%")
    answer = post(ingest, usd)
    assert answer["accepted"] == 1
    [warning] = answer["warnings"]
    assert warning["index"] == 0 and f"no USD rate for {month}" in warning["error"]
    assert scores(admin, org.contest)[dollars] == 0
    rates = admin.get("/api/v1/rates").json()
    assert {"currency": "USD", "month": month, "deals": 1} in rates["waiting"]

    set_rate = admin.put(f"/api/v1/rates/{month}", json={"rates": {"USD": "7.1234"}})
    assert set_rate.status_code == 200, set_rate.text
    assert set_rate.json()["rescoring"] == [org.contest]
    rescored(admin, org.contest, 2)
    board = scores(admin, org.contest)
    assert board == {lined: 85, dollars: 28}  # 1,000 × 7.1234 × 40 % / 100 = 28.49
    rates = admin.get("/api/v1/rates").json()
    assert {"month": month, "rates": {"USD": "7.1234"}} in rates["months"]
    assert all(w["month"] != month or w["currency"] != "USD" for w in rates["waiting"])
    [converted] = ledger(admin, dollars, org.contest)
    assert converted["lines"][0] == f"$1,000 at 7.1234 ({month}) = ¥7,123.40"

    # a rescore gives the same boards; a reversal takes back exactly what the lined deal gave
    assert admin.post(f"/api/v1/contests/{org.contest}/rescore").status_code == 202
    rescored(admin, org.contest, 3)
    assert scores(admin, org.contest) == board
    reversal = {"id": unique("rev"), "type": "deal.reversed", "rep": lined, "ref": "lined-" + org.contest}
    assert post(ingest, reversal)["accepted"] == 1
    assert scores(admin, org.contest) == {lined: 0, dollars: 28}
    assert [entry["points"] for entry in ledger(admin, lined, org.contest)] == [85, -85]


def test_rates_are_checked_and_only_managers_set_them(admin: httpx.Client, server: Any) -> None:
    for body, field in (
        ({"rates": {"USD": "0"}}, "rates.USD"),
        ({"rates": {"CNY": "1"}}, "rates.CNY"),
        ({"rates": {"USD": "7.123456789"}}, "rates.USD"),
    ):
        response = admin.put("/api/v1/rates/2001-02", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    assert admin.put("/api/v1/rates/2001-13", json={"rates": {"USD": "7"}}).status_code in (404, 422)
    first = admin.put("/api/v1/rates/2001-02", json={"rates": {"usd": "7"}})  # no deal waited: nothing to rescore
    assert first.status_code == 200 and first.json() == {
        "month": "2001-02",
        "rates": {"USD": "7"},
        "rescoring": [],
        "not_rescored": [],
    }
    with server.ingest() as ingest_only:
        assert ingest_only.put("/api/v1/rates/2001-02", json={"rates": {"USD": "7"}}).status_code == 403
