"""The scorecard API through a real server: a manager sets a team's weights and targets, events are posted
(won, lost, reversed, rated surveys), and each card shows the ratios, the marks and what was left out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.accounts import signed_in
from tests.support.calendar import Calendar
from tests.support.org import make_org, unique
from tests.support.server import RunningServer

DEFINITION = {
    "kpis": [
        {"kpi": "conversion", "weight": 40, "target": 30},
        {"kpi": "aov", "weight": 30, "target": "2000"},
        {"kpi": "csat", "weight": 30, "target": 4.5, "min_events": 3},
    ]
}


def _event(kind: str, rep: str, moment: str, **fields: Any) -> dict[str, Any]:
    return {"id": unique("kpi"), "type": kind, "rep": rep, "occurred_at": moment, **fields}


def _month(calendar: Calendar) -> str:
    last = calendar.last_month()
    return f"{last.year:04d}-{last.month:02d}"


def _post(ingest: httpx.Client, events: list[dict[str, Any]]) -> None:
    response = ingest.post("/api/v1/events", json=events)
    assert response.status_code == 200 and response.json()["accepted"] == len(events), response.text


def _kpis(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["kpi"]: row for row in card["kpis"]}


def test_a_team_scorecard_from_posted_events(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin, teams=1, reps_per_team=2)
    team, (star, newcomer) = org.teams[0], org.reps
    url = f"/api/v1/teams/{team}/scorecard/definition"
    assert admin.get(url).status_code == 404
    assert admin.put(url, json=DEFINITION).status_code == 201
    assert admin.put(url, json=DEFINITION).status_code == 200
    assert admin.get(url).json()["kpis"][1] == {"kpi": "aov", "weight": 30, "target": "2000", "min_events": 5}

    day = [calendar.last_month(n).isoformat() for n in range(1, 25)]
    customer = unique("acme")
    lost = [_event("deal.lost", star, day[n]) for n in range(15)]
    events = [
        _event("deal.won", star, calendar.last_month(40).isoformat(), amount="500", customer=customer),  # before
        *[_event("deal.won", star, day[n], amount="1000", customer=customer if n == 0 else None) for n in range(6)],
        *lost,
        *[_event("csat.recorded", star, day[n], attrs={"score": 5}) for n in range(3)],
        _event("csat.recorded", star, day[4]),  # a survey without a rating: no CSAT
        _event("deal.won", newcomer, day[2], amount="9000"),
    ]
    _post(ingest, events)
    _post(ingest, [_event("deal.reversed", star, day[5], ref=lost[0]["id"])])

    period = _month(calendar)
    mine = admin.get(f"/api/v1/reps/{star}/scorecard", params={"period": period})
    assert mine.status_code == 200, mine.text
    card = mine.json()["card"]
    rows = _kpis(card)
    # 6 won of 20 closed (a loss reversed) = 30 %: full marks; aov 1000 of 2000: half; csat 5: full marks
    assert (rows["conversion"]["value"], rows["conversion"]["sample"], rows["conversion"]["points"]) == (
        30.0,
        20,
        100.0,
    )
    assert (rows["aov"]["value"], rows["aov"]["points"]) == (1000.0, 50.0)
    assert (rows["csat"]["value"], rows["csat"]["sample"]) == (5.0, 3)
    assert card["total"] == 85.0 and not card["rescaled"]
    # KPIs the definition leaves out are shown, without weight: retention from one repeat customer's deal
    assert rows["retention"]["value"] is None and rows["retention"]["reason"] == "not_enough_data"

    newcomer_card = admin.get(f"/api/v1/reps/{newcomer}/scorecard", params={"period": period}).json()["card"]
    assert newcomer_card["total"] is None and newcomer_card["left_out"] == ["conversion", "aov", "csat"]
    assert _kpis(newcomer_card)["conversion"]["value"] is None  # one won deal of one is not 100 %

    team_cards = admin.get(f"/api/v1/teams/{team}/scorecard", params={"period": period}).json()
    assert {row["id"] for row in team_cards["reps"]} == {star, newcomer}
    pooled = _kpis(team_cards["card"])
    assert pooled["conversion"]["sample"] == 21 and pooled["aov"]["value"] == pytest.approx(15000 / 7, abs=0.01)
    assert team_cards["from"].endswith("+08:00") and team_cards["period"] == period

    # the rep sees their own card on the phone, not a teammate's nor the team's
    phone = signed_in(server, admin, "rep", rep=star)
    assert phone.client.get(f"/api/v1/reps/{star}/scorecard").status_code == 200
    assert phone.client.get(f"/api/v1/reps/{newcomer}/scorecard").status_code == 403
    assert phone.client.get(f"/api/v1/teams/{team}/scorecard").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kpis": [{"kpi": "conversion", "weight": 60, "target": 30}]}, "kpis"),
        ({"kpis": [{"kpi": "conversion", "weight": -1, "target": 30}]}, "kpis[0].weight"),
        ({"kpis": [{"kpi": "conversion", "weight": 100, "target": -3}]}, "kpis[0].target"),
        ({"kpis": [{"kpi": "speed", "weight": 100, "target": 3}]}, "kpis[0].kpi"),
        (
            {"kpis": [{"kpi": "aov", "weight": 50, "target": 3}, {"kpi": "aov", "weight": 50, "target": 3}]},
            "kpis[1].kpi",
        ),
    ],
)
def test_a_definition_that_does_not_add_up_is_refused(admin: httpx.Client, body: dict[str, Any], field: str) -> None:
    team = unique("team")
    assert admin.put(f"/api/v1/teams/{team}", json={"name": "考核队"}).status_code == 201
    response = admin.put(f"/api/v1/teams/{team}/scorecard/definition", json=body)
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}, response.text


def test_ratings_outside_their_scale_are_rejected_at_the_door(
    admin: httpx.Client, ingest: httpx.Client, calendar: Calendar
) -> None:
    rep = unique("rep")
    assert admin.put(f"/api/v1/reps/{rep}", json={"name": "满意度"}).status_code == 201
    response = ingest.post(
        "/api/v1/events",
        json=[
            _event("csat.recorded", rep, calendar.at(1), attrs={"score": 7}),
            _event("csat.recorded", rep, calendar.at(1), attrs={"scale": "nps", "score": 7}),
        ],
    )
    body = response.json()
    assert body["accepted"] == 1 and [r["index"] for r in body["rejected"]] == [0], body
    assert "attrs.score" in body["rejected"][0]["error"]
