"""Goal progress and scorecards served from the month sums kept as the log grows: after a first read, what is
logged since (a deal, an update of it, a reversal, a late deal of last month) moves the figures exactly as a
recomputation from the whole log would."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from game.pseudonym import pseudonym
from tests.support.calendar import SHANGHAI
from tests.support.org import make_org, post_events, unique

# An erasure rewrites the whole log and scrubs the rep's name wherever it is written: on a server of its own, it
# neither waits on the suite's log nor touches other tests' reps of the same name.
pytestmark = pytest.mark.own_server


def _event(kind: str, rep: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {"id": unique("evt"), "type": kind, "rep": rep, "occurred_at": at.isoformat(), **fields}


def test_figures_follow_what_is_logged_after_the_first_read(admin: httpx.Client, server: Any) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    period = f"{today.year}-{today.month:02d}"
    last_month = datetime.combine(today.replace(day=1) - timedelta(days=1), time(10), SHANGHAI)
    org = make_org(admin, teams=1, reps_per_team=2)
    rep, other = org.reps
    goal = unique("goal")
    body = {"metric": "revenue", "period": period, "level": "rep", "owner": rep, "target": 100_000}
    assert admin.put(f"/api/v1/goals/{goal}", json=body).status_code == 201
    team_goal = unique("goal")
    body = {"metric": "deals", "period": period, "level": "team", "owner": org.teams[0], "target": 10}
    assert admin.put(f"/api/v1/goals/{team_goal}", json=body).status_code == 201

    def actuals() -> dict[str, float]:
        listed = admin.get("/api/v1/goals", params={"period": period}).json()["goals"]
        return {g["id"]: g["pace"]["actual"] for g in listed if g["id"] in (goal, team_goal)}

    first, second = _event("deal.won", rep, now, amount="10000"), _event("deal.won", rep, now, amount="7000")
    post_events(server, [first, second, _event("deal.lost", rep, now, amount="1")])
    assert actuals() == {goal: 17_000, team_goal: 2}
    card = admin.get(f"/api/v1/reps/{rep}/scorecard", params={"period": period}).json()["card"]
    assert {row["kpi"]: row["sample"] for row in card["kpis"]}["conversion"] == 3

    post_events(
        server,
        [
            _event("deal.updated", rep, now, ref=first["id"], amount="12500"),  # counts once, at its new amount
            _event("deal.reversed", rep, now, ref=second["id"]),  # drops out
            _event("deal.won", rep, last_month, amount="50000"),  # late: last month's, not this one's
            _event("deal.won", other, now, amount="3000"),  # the teammate's: the team's goal only
        ],
    )
    assert actuals() == {goal: 12_500, team_goal: 2}
    card = admin.get(f"/api/v1/reps/{rep}/scorecard", params={"period": period}).json()["card"]
    assert {row["kpi"]: row["sample"] for row in card["kpis"]}["conversion"] == 2  # one won, one lost
    last = f"{last_month.year}-{last_month.month:02d}"
    earlier = {"metric": "revenue", "period": last, "level": "rep", "owner": rep, "target": 1}
    assert admin.put(f"/api/v1/goals/{unique('goal')}", json=earlier).status_code == 201
    listed = admin.get("/api/v1/goals", params={"period": last, "level": "rep"}).json()["goals"]
    assert [g["pace"]["actual"] for g in listed if g["owner"] == rep] == [50_000]

    # a period before the sums begin (last year's first of January) is recomputed from the log, as before
    old = admin.get(f"/api/v1/reps/{rep}/scorecard", params={"period": f"{today.year - 2}-Q1"})
    assert old.status_code == 200, old.text
    assert {row["kpi"]: row["sample"] for row in old.json()["card"]["kpis"]}["conversion"] == 0
    ancient = {"metric": "revenue", "period": str(today.year - 2), "level": "rep", "owner": rep, "target": 1}
    assert admin.put(f"/api/v1/goals/{unique('goal')}", json=ancient).status_code == 201
    listed = admin.get("/api/v1/goals", params={"period": str(today.year - 2)}).json()["goals"]
    assert [g["pace"]["actual"] for g in listed if g["owner"] == rep] == [0]


def test_after_an_erasure_the_figures_are_the_pseudonyms(admin: httpx.Client, server: Any) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    period = f"{today.year}-{today.month:02d}"
    org = make_org(admin, teams=1, reps_per_team=2)
    rep, other = org.reps
    goal = unique("goal")
    body = {"metric": "revenue", "period": period, "level": "rep", "owner": rep, "target": 100_000}
    assert admin.put(f"/api/v1/goals/{goal}", json=body).status_code == 201
    post_events(server, [_event("deal.won", rep, now, amount="8000"), _event("deal.lost", rep, now, amount="1")])
    post_events(server, [_event("deal.won", other, now, amount="500")])

    def actuals() -> dict[str, tuple[str, float]]:
        listed = admin.get("/api/v1/goals", params={"period": period, "level": "rep"}).json()["goals"]
        return {g["id"]: (g["owner"], g["pace"]["actual"]) for g in listed if g["id"] == goal}

    def conversion(who: str) -> Any:
        card = admin.get(f"/api/v1/reps/{who}/scorecard", params={"period": period}).json()["card"]
        return {row["kpi"]: row["sample"] for row in card["kpis"]}["conversion"]

    assert actuals() == {goal: (rep, 8000)}  # the sums are built, under the rep's id
    assert conversion(rep) == 2
    answer = admin.delete(f"/api/v1/people/{rep}")
    assert answer.status_code == 200, answer.text
    alias = answer.json()["pseudonym"]
    assert alias == pseudonym(server.env["ARENA_SECRET_KEY"], rep)
    assert actuals() == {goal: (alias, 8000)}  # the goal moved to the pseudonym, and so did its figures
    assert conversion(alias) == 2
