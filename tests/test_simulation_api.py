"""The pre-launch simulator through the real server: the same events posted live and replayed from the log give
the same boards, drafts compare side by side, and simulating never touches a live board."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.simulator import Simulator
from tests.support.org import make_org, unique
from tests.support.server import RunningServer

RULES = [
    {"on": "deal.won", "points_per": 1000},
    {"on": "deal.won", "points": 20, "new_customer_only": True, "cap_per_day": 40},
    {"on": "call.logged", "points": 1, "cap_per_day": 5},
    {"on": "meeting.held", "points": 5},
]


def window() -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    return now - timedelta(days=20), now + timedelta(days=1)


def board(admin: httpx.Client, contest: str, path: str) -> list[tuple[int, str, int]]:
    response = admin.get(f"/api/v1/contests/{contest}/{path}", params={"limit": 500})
    assert response.status_code == 200, response.text
    return [(row["rank"], row["id"], row["score"]) for row in response.json()["rows"]]


def simulated(admin: httpx.Client, definition: dict[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    draft = {k: v for k, v in definition.items() if k not in ("id", "starts_at", "ends_at")}
    response = admin.post(
        "/api/v1/contests/simulate", json={"definition": draft, "from": start.isoformat(), "to": end.isoformat()}
    )
    assert response.status_code == 200, response.text
    return response.json()


def post_all(ingest: httpx.Client, events: list[dict[str, Any]]) -> None:
    for offset in range(0, len(events), 500):
        answer = ingest.post("/api/v1/events", json=events[offset : offset + 500]).json()
        assert not answer["rejected"], answer["rejected"][:3]


def corrections(events: list[dict[str, Any]], rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """Updates, reversals (some before their original arrives) and repeated corrections of one deal."""
    deals = [e for e in events if e["type"] == "deal.won"]
    extra: list[dict[str, Any]] = []
    for deal in rng.sample(deals, k=min(12, len(deals))):
        kind = rng.choice(["updated", "reversed", "both"])
        if kind in ("updated", "both"):
            extra.append(
                {
                    "id": unique("upd"),
                    "type": "deal.updated",
                    "rep": deal["rep"],
                    "ref": deal["id"],
                    "amount": str(rng.randint(0, 90_000)),
                    "occurred_at": deal["occurred_at"],
                    "new_customer": True,
                }
            )
        if kind in ("reversed", "both"):
            extra.append(
                {
                    "id": unique("rev"),
                    "type": "deal.reversed",
                    "rep": deal["rep"],
                    "ref": deal["id"],
                    "occurred_at": now.isoformat(),
                }
            )
    return extra


def test_simulating_the_log_gives_the_live_boards(admin: httpx.Client, ingest: httpx.Client) -> None:
    start, end = window()
    org = make_org(
        admin,
        teams=3,
        reps_per_team=4,
        rules=RULES,
        team_score="best:2",
        starts_at=start.isoformat(),
        ends_at=end.isoformat(),
        multipliers={"category": {"high_margin": 1.5}},
    )
    rng = random.Random(7)
    now = datetime.now(UTC)
    events = Simulator(org.reps, seed=11).events(900, start + timedelta(hours=1), now - start - timedelta(hours=2))
    early_reversal = {"id": unique("rev"), "type": "deal.reversed", "rep": org.reps[0], "ref": "late-original"}
    late_original = {
        "id": "late-original",
        "type": "deal.won",
        "rep": org.reps[0],
        "amount": "50000",
        "occurred_at": (now - timedelta(days=2)).isoformat(),
    }
    outside = {
        "id": unique("old"),
        "type": "deal.won",
        "rep": org.reps[1],
        "amount": "90000",
        "occurred_at": (start - timedelta(days=1)).isoformat(),
    }
    fixes = corrections(events, rng, now)
    post_all(ingest, [early_reversal, *events[:450], outside, *fixes[:6], *events[450:], late_original, *fixes[6:]])

    live_reps, live_teams = board(admin, org.contest, "leaderboard"), board(admin, org.contest, "teams")
    result = simulated(admin, org.definition, start, end)
    assert [(r["rank"], r["id"], r["score"]) for r in result["standings"]] == live_reps
    assert [(t["rank"], t["id"], t["score"]) for t in result["teams"]] == live_teams
    assert sum(score for *_, score in live_reps) > 0
    assert result["window"] == {"from": start.isoformat(), "to": end.isoformat()}
    assert 0 <= result["gini"] < 1 and result["spread"]["participants"] == len(org.reps)
    assert result["events"]["applied"] > 0 and result["lead_changes"] >= 0
    # simulating wrote nothing: the live boards are as they were
    assert board(admin, org.contest, "leaderboard") == live_reps


histories = st.lists(
    st.tuples(
        st.sampled_from(["deal", "deal", "call", "reverse", "update"]),
        st.integers(0, 5),  # rep
        st.integers(0, 200_000),  # amount
        st.integers(0, 19),  # day in the window
        st.integers(0, 23),  # hour
        st.booleans(),  # new customer / high margin
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories)
def test_random_histories_simulate_to_the_live_boards(server: RunningServer, history: list[tuple]) -> None:
    start, end = window()
    with server.admin() as admin, server.ingest() as ingest:
        org = make_org(
            admin,
            teams=2,
            reps_per_team=3,
            rules=RULES,
            team_score="average",
            starts_at=start.isoformat(),
            ends_at=end.isoformat(),
        )
        events: list[dict[str, Any]] = []
        deals: list[dict[str, Any]] = []
        for kind, rep_index, amount, day, hour, flag in history:
            rep = org.reps[rep_index]
            at = (start + timedelta(days=day, hours=hour)).isoformat()
            if kind == "deal":
                event = {
                    "id": unique("d"),
                    "type": "deal.won",
                    "rep": rep,
                    "amount": str(amount),
                    "occurred_at": at,
                    "new_customer": flag,
                    "category": "high_margin" if flag else "standard",
                }
                deals.append(event)
            elif kind == "call":
                event = {"id": unique("c"), "type": "call.logged", "rep": rep, "occurred_at": at}
            elif deals:
                target = deals[amount % len(deals)]
                event = {
                    "id": unique("x"),
                    "type": f"deal.{'reversed' if kind == 'reverse' else 'updated'}",
                    "rep": target["rep"],
                    "ref": target["id"],
                }
                if kind == "update":
                    event.update(amount=str(amount // 2), occurred_at=at)
            else:
                continue
            events.append(event)
        post_all(ingest, events)
        result = simulated(admin, org.definition, start, end)
        assert [(r["rank"], r["id"], r["score"]) for r in result["standings"]] == board(
            admin, org.contest, "leaderboard"
        )
        assert [(t["rank"], t["id"], t["score"]) for t in result["teams"]] == board(admin, org.contest, "teams")


def test_two_drafts_side_by_side_with_prize_costs(admin: httpx.Client, ingest: httpx.Client) -> None:
    start, end = window()
    org = make_org(admin, teams=2, reps_per_team=3, rules=RULES, starts_at=start.isoformat(), ends_at=end.isoformat())
    now = datetime.now(UTC)
    post_all(
        ingest, Simulator(org.reps, seed=3).events(300, start + timedelta(hours=1), now - start - timedelta(hours=2))
    )
    base = {k: v for k, v in org.definition.items() if k not in ("id", "starts_at", "ends_at")}
    prizes = [
        {"rank": 1, "prize": "¥5,000 奖金", "value": 5000},
        {"rank": [2, 3], "prize": "¥1,000 奖金", "value": "1000"},
        {"threshold": 1, "prize": "团队聚餐"},
    ]
    calls_only = {**base, "rules": [{"on": "call.logged", "points": 1, "cap_per_day": 2}], "prizes": prizes}
    response = admin.post(
        "/api/v1/contests/simulate",
        json={
            "definitions": [{**base, "prizes": prizes}, calls_only],
            "from": start.isoformat(),
            "to": end.isoformat(),
            "samples": 50,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    first, second = body["simulations"]
    assert first["prize_cost"]["currency"] == "CNY"
    winners = {line["prize"]: line["winners"] for line in first["prize_cost"]["prizes"]}
    assert len(winners["¥5,000 奖金"]) == 1 and winners["¥5,000 奖金"][0] == first["standings"][0]["id"]
    assert first["prize_cost"]["total"] == str(5000 + 1000 * len(winners["¥1,000 奖金"]))
    assert first["prize_cost"]["unpriced"] == ["团队聚餐"]
    assert first["prize_chance"]["samples"] == 50 and 0 < first["prize_chance"]["share_with_chance"] <= 1
    assert all(0 <= row["prize_chance"] <= 1 for row in first["standings"])
    assert first["prize_cost"]["expected"] is not None
    comparison = body["comparison"]
    assert len(comparison["rows"]) == len(org.reps)
    assert all(len(row["ranks"]) == 2 for row in comparison["rows"])
    assert comparison["moved"][0] == 0 and comparison["gini"] == [first["gini"], second["gini"]]
    # the calls-only draft scores only calls, each rep at most 2 a day
    assert all(row["score"] <= 2 * 21 for row in second["standings"])


def test_simulation_input_is_checked(admin: httpx.Client, ingest: httpx.Client, server: RunningServer) -> None:
    start, end = window()
    bad = admin.post(
        "/api/v1/contests/simulate",
        json={
            "definition": {
                "name": "x",
                "rules": [{"on": "deal.won", "points_per": 0}],
                "prizes": [{"rank": 1, "prize": "p", "value": "-1"}],
            },
            "from": start.isoformat(),
            "to": end.isoformat(),
        },
    )
    assert bad.status_code == 422
    assert any(e["field"] == "definition.rules[0].points_per" for e in bad.json()["errors"])
    backwards = admin.post(
        "/api/v1/contests/simulate",
        json={
            "definition": {"rules": [{"on": "deal.won", "points": 1}]},
            "from": end.isoformat(),
            "to": start.isoformat(),
        },
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "to"
    value = admin.post(
        "/api/v1/contests/simulate",
        json={
            "definition": {
                "rules": [{"on": "deal.won", "points": 1}],
                "prizes": [{"rank": 1, "prize": "p", "value": "x"}],
            },
            "from": start.isoformat(),
            "to": end.isoformat(),
        },
    )
    assert value.status_code == 422 and value.json()["errors"][0]["field"] == "definition.prizes[0].value"
    assert admin.post("/api/v1/contests/simulate", json={"definitions": []}).status_code == 422
    forbidden = ingest.post("/api/v1/contests/simulate", json={"definition": {"rules": [{"on": "x", "points": 1}]}})
    assert forbidden.status_code == 403
    anonymous = httpx.post(server.base_url + "/api/v1/contests/simulate", json={})
    assert anonymous.status_code == 401


# --- why nobody scored, and the drafts' scores side by side ---------------------------------------------


def test_an_empty_simulation_says_why(admin: httpx.Client, ingest: httpx.Client) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    org = make_org(admin, teams=1, reps_per_team=2)
    rep = org.reps[0]
    start, end = now - timedelta(days=3), now + timedelta(minutes=1)
    post_all(
        ingest,
        [
            {
                "id": unique("call"),
                "type": "call.logged",
                "rep": rep,
                "occurred_at": (now - timedelta(days=1)).isoformat(),
            },
            {"id": unique("deal"), "type": "deal.won", "rep": rep, "amount": "800", "occurred_at": now.isoformat()},
        ],
    )
    teams = {"teams": org.teams}

    def reason(definition: dict[str, Any], since: datetime = start, until: datetime = end) -> dict[str, Any]:
        answer = simulated(admin, definition, since, until)
        assert all(row["score"] == 0 for row in answer["standings"])
        return answer["diagnosis"]

    long_ago = now - timedelta(days=365 * 30)
    quiet = reason({**teams, "rules": [{"on": "call.logged", "points": 1}]}, long_ago, long_ago + timedelta(days=30))
    assert quiet["reason"] == "no_events_in_window" and quiet["events_in_window"] == 0

    empty_team = unique("team")
    assert admin.put(f"/api/v1/teams/{empty_team}", json={"name": "空战队"}).status_code == 201
    nobody = reason({"teams": [empty_team], "rules": [{"on": "call.logged", "points": 1}]})
    assert nobody["reason"] == "no_reps_in_scope" and nobody["participants"] == 0 and nobody["events_in_window"] >= 2

    unmatched = reason({**teams, "rules": [{"on": "meeting.held", "points": 5}]})
    assert unmatched["reason"] == "no_rule_matches"
    assert unmatched["participants"] == 2 and unmatched["participant_events"] == 2
    assert set(unmatched["logged_types"]) == {"call.logged", "deal.won"} and unmatched["scored_types"] == [
        "meeting.held"
    ]

    too_strict = reason({**teams, "rules": [{"on": "deal.won", "points": 10, "min_amount": 50000}]})
    assert too_strict["reason"] == "no_points" and too_strict["matching_events"] == 1

    scoring = simulated(admin, {**teams, "rules": [{"on": "call.logged", "points": 1}]}, start, end)
    assert scoring["diagnosis"]["reason"] is None and scoring["standings"][0]["score"] == 1


def test_compared_drafts_share_one_histogram(admin: httpx.Client, ingest: httpx.Client) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    org = make_org(admin, teams=1, reps_per_team=4)
    post_all(
        ingest,
        [
            {
                "id": unique("call"),
                "type": "call.logged",
                "rep": rep,
                "occurred_at": (now - timedelta(hours=h)).isoformat(),
            }
            for index, rep in enumerate(org.reps)
            for h in range(1, 2 + 3 * index)
        ],
    )
    drafts = [
        {"teams": org.teams, "rules": [{"on": "call.logged", "points": 1}]},
        {"teams": org.teams, "rules": [{"on": "call.logged", "points": 10}]},
    ]
    response = admin.post(
        "/api/v1/contests/simulate",
        json={
            "definitions": drafts,
            "from": (now - timedelta(days=2)).isoformat(),
            "to": (now + timedelta(minutes=1)).isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    histogram = answer["comparison"]["histogram"]
    assert [sum(row) for row in histogram["counts"]] == [4, 4]
    assert len(histogram["edges"]) == len(histogram["counts"][0]) + 1
    assert histogram["edges"][0] <= 1 and histogram["edges"][-1] > 100  # one range for both: 1..10 and 10..100
    assert histogram["counts"][0][0] == 4  # under the first draft everyone is in the lowest range
    assert [s["diagnosis"]["reason"] for s in answer["simulations"]] == [None, None]
