"""Goals through the API: a company goal broken down to teams (by hand, refused with the difference when the
parts do not add up; evenly) and a team's to its reps in proportion to last month's actuals; progress from the
event log and pace by the organisation's working days, with a holiday and a make-up Saturday the test lays out
around today; a margin goal split by last month's margins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from tests.support.accounts import signed_in
from tests.support.calendar import SHANGHAI
from tests.support.org import Org, make_org, unique
from tests.support.waiting import eventually


@pytest.fixture(autouse=True)
def public_calendar_after(admin: httpx.Client) -> Iterator[None]:
    """The organisation's calendar goes back to the public one after each test: other tests share the server."""
    yield
    assert admin.put("/api/v1/org/calendar", json={"country": "CN"}).status_code == 200


def _month(today: date) -> tuple[str, date, date]:
    start = today.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return f"{today.year}-{today.month:02d}", start, end


def _deal(rep: str, amount: int, at: datetime) -> dict[str, Any]:
    return {"id": unique("evt"), "type": "deal.won", "rep": rep, "amount": str(amount), "occurred_at": at.isoformat()}


def _team_goal(admin: httpx.Client, now: datetime, metric: str, target: int) -> tuple[Org, str, date]:
    """A new team of two reps with a goal of this month for ``metric``: the org, the goal's id, the month's start."""
    period, start, _ = _month(now.astimezone(SHANGHAI).date())
    org = make_org(admin, teams=1, reps_per_team=2)
    team_goal = unique("goal")
    goal = {"metric": metric, "period": period, "level": "team", "owner": org.teams[0], "target": target}
    assert admin.put(f"/api/v1/goals/{team_goal}", json=goal).status_code == 201
    return org, team_goal, start


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days)]


def test_a_company_goal_broken_down_and_paced_by_working_days(admin: httpx.Client, server: Any) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    period, start, end = _month(today)
    # a weekday off and a Saturday worked, both in this month and away from today where the month allows
    weekdays = [d for d in _days(start, end) if d.weekday() < 5 and d != today]
    saturdays = [d for d in _days(start, end) if d.weekday() == 5 and d != today]
    holiday, make_up = weekdays[0], saturdays[-1]
    calendar = {"country": "OTHER", "holidays": [holiday.isoformat()], "workdays": [make_up.isoformat()]}
    assert admin.put("/api/v1/org/calendar", json=calendar).json() == calendar

    org = make_org(admin, teams=2, reps_per_team=2)
    company = unique("goal")
    goal = {"metric": "revenue", "period": period, "level": "company", "target": 100_000, "name": "本月业绩"}
    assert admin.put(f"/api/v1/goals/{company}", json=goal).status_code == 201

    short = admin.post(
        f"/api/v1/goals/{company}/breakdown",
        json={"split": "hand", "parts": {org.teams[0]: 60_000, org.teams[1]: 30_000}},
    )
    assert short.status_code == 422 and "10,000 short" in short.json()["error"], short.text
    # the company's goal goes to every team of the workspace (others' too on a shared server): evenly
    even = admin.post(f"/api/v1/goals/{company}/breakdown", json={"split": "even"}).json()
    assert sum(part["target"] for part in even["parts"]) == 100_000
    team_goal = next(part for part in even["parts"] if part["owner"] == org.teams[0])
    # …then by hand, only between the two teams made here
    by_hand = admin.post(
        f"/api/v1/goals/{company}/breakdown",
        json={"split": "hand", "parts": {org.teams[0]: 60_000, org.teams[1]: 40_000}},
    ).json()
    assert {part["owner"]: part["target"] for part in by_hand["parts"]} == {org.teams[0]: 60_000, org.teams[1]: 40_000}
    team_goal = next(part for part in by_hand["parts"] if part["owner"] == org.teams[0])

    # last month rep 0 sold three times what rep 1 did: team 0's goal splits 3:1
    last_month = datetime.combine(start - timedelta(days=1), time(10), SHANGHAI)
    this_month = [_deal(org.reps[0], 12_000, now), _deal(org.reps[1], 3_000, now)]
    with server.ingest() as ingest:
        sent = [_deal(org.reps[0], 3_000, last_month), _deal(org.reps[1], 1_000, last_month), *this_month]
        assert ingest.post("/api/v1/events", json=sent).json()["accepted"] == 4
    split = admin.post(f"/api/v1/goals/{team_goal['id']}/breakdown", json={"split": "last_period"}).json()
    assert {part["owner"]: part["target"] for part in split["parts"]} == {org.reps[0]: 45_000, org.reps[1]: 15_000}

    # a part changed alone would break the sum: refused with the difference
    rep_goal = next(part for part in split["parts"] if part["owner"] == org.reps[0])
    changed = {k: rep_goal[k] for k in ("metric", "period", "level", "owner")} | {"target": 40_000}
    refused = admin.put(f"/api/v1/goals/{rep_goal['id']}", json=changed)
    assert refused.status_code == 422 and "5,000 short" in refused.json()["error"], refused.text
    audit = admin.get("/api/v1/audit", params={"target": company}).json()["entries"]
    assert [entry["action"] for entry in audit] == ["goal.breakdown", "goal.breakdown", "goal.put"]  # newest first

    def working(day: date) -> bool:
        return day == make_up or (day != holiday and day.weekday() < 5)

    total = sum(working(d) for d in _days(start, end))
    elapsed = sum(working(d) for d in _days(start, today + timedelta(days=1)))
    listed = admin.get("/api/v1/goals", params={"period": period, "level": "team"}).json()
    assert listed["today"] == today.isoformat()
    team = next(g for g in listed["goals"] if g["id"] == team_goal["id"])
    assert team["pace"]["actual"] == 15_000 and team["pace"]["working_days"] == total
    assert team["pace"]["working_days_elapsed"] == elapsed
    assert abs(team["pace"]["expected"] - 60_000 * elapsed / total) < 0.01
    assert team["pace"]["status"] == ("on_track" if 60_000 * elapsed / total <= 15_000 else "behind")
    reps = admin.get("/api/v1/goals", params={"period": period, "level": "rep"}).json()["goals"]
    mine = {g["owner"]: g["pace"]["actual"] for g in reps if g["parent"] == team_goal["id"]}
    assert mine == {org.reps[0]: 12_000, org.reps[1]: 3_000}
    assert all(g["level"] == "rep" for g in reps)


def test_bad_goals_and_calendars_are_refused_with_the_field(admin: httpx.Client) -> None:
    goal = {"metric": "revenue", "period": "2026-Q4", "level": "rep", "owner": unique("nobody"), "target": 5}
    missing = admin.put(f"/api/v1/goals/{unique('goal')}", json=goal)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "owner"
    assert admin.get("/api/v1/goals", params={"period": "2026-Q5"}).status_code == 422
    both = admin.put("/api/v1/org/calendar", json={"holidays": ["2026-10-10"], "workdays": ["2026-10-10"]})
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "workdays"
    for unknown in ("XX", "usa", ""):
        refused = admin.put("/api/v1/org/calendar", json={"country": unknown})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "country", refused.text
    for known in ("SG", "US", "OTHER"):  # another country's public calendar, from the holidays package
        assert admin.put("/api/v1/org/calendar", json={"country": known}).json()["country"] == known
    assert admin.post(f"/api/v1/goals/{unique('goal')}/breakdown", json={"split": "even"}).status_code == 404


def test_a_contest_scores_percent_of_a_goal(admin: httpx.Client, server: Any) -> None:
    now = datetime.now(UTC)
    org, team_goal, _ = _team_goal(admin, now, "revenue", 60_000)
    parts = {org.reps[0]: 40_000, org.reps[1]: 20_000}
    assert admin.post(f"/api/v1/goals/{team_goal}/breakdown", json={"split": "hand", "parts": parts}).status_code == 200

    contest = {**org.definition, "id": unique("contest"), "targets_from_goal": team_goal}
    flat = admin.post("/api/v1/contests", json={**contest, "rules": [{"on": "deal.won", "points": 5}]})
    assert flat.status_code == 422 and flat.json()["errors"][0]["field"] == "targets_from_goal", flat.text
    created = admin.post("/api/v1/contests", json=contest)  # a point per 1,000 won: targets of 40 and 20 points
    assert created.status_code == 201, created.text
    stored = admin.get(f"/api/v1/contests/{contest['id']}").json()
    assert stored["scoring"] == "percent_of_target" and stored["targets"] == {org.reps[0]: 40, org.reps[1]: 20}
    with server.ingest() as ingest:
        sent = [_deal(org.reps[0], 10_000, now), _deal(org.reps[1], 10_000, now)]
        assert ingest.post("/api/v1/events", json=sent).json()["accepted"] == 2

    def board() -> dict[str, int]:
        rows = admin.get(f"/api/v1/contests/{contest['id']}/leaderboard").json()["rows"]
        found = {row["id"]: row["score"] for row in rows}
        assert found.get(org.reps[1]) == 500, found  # tenths of a percent: 10 of 20 points
        return found

    assert eventually(board, what="the goal's percentages on the board")[org.reps[0]] == 250


def test_a_streak_badge_follows_the_organisations_calendar(admin: httpx.Client, server: Any) -> None:
    """Deals two weekdays apart make a streak of two when the weekday between them is the organisation's
    holiday: a streak badge that lists no days of its own follows the calendar of the goals."""
    today = datetime.now(UTC).astimezone(SHANGHAI).date()
    day = next(
        today - timedelta(days=n)
        for n in range(1, 9)
        if all((today - timedelta(days=n + k)).weekday() < 5 for k in range(3))
    )
    holiday = day - timedelta(days=1)
    calendar = {"country": "OTHER", "holidays": [holiday.isoformat()], "workdays": []}
    assert admin.put("/api/v1/org/calendar", json=calendar).status_code == 200
    badge = unique("streak")
    body = {"kind": "streak", "days": 2, "period": "ever", "name": {"zh-CN": "两连胜", "en": "Two in a row"}}
    assert admin.put(f"/api/v1/badges/{badge}", json=body).status_code in (200, 201)
    org = make_org(admin, teams=1, reps_per_team=1)
    at = [datetime.combine(d, time(10), SHANGHAI) for d in (day - timedelta(days=2), day)]
    with server.ingest() as ingest:
        assert (
            ingest.post("/api/v1/events", json=[_deal(org.reps[0], 1_000, moment) for moment in at]).json()["accepted"]
            == 2
        )

    def held() -> set[str]:
        profile = admin.get(f"/api/v1/reps/{org.reps[0]}/profile").json()
        found = {b["badge"] for b in profile["badges"]}
        assert badge in found, found
        return found

    eventually(held, what="the streak across the organisation's holiday")
    admin.delete(f"/api/v1/badges/{badge}")


def test_a_rep_reads_the_company_goals_their_teams_and_their_own(admin: httpx.Client, server: Any) -> None:
    period = _month(datetime.now(UTC).astimezone(SHANGHAI).date())[0]
    org = make_org(admin, teams=2, reps_per_team=2)
    company = unique("goal")
    goal = {"metric": "deals", "period": period, "level": "company", "target": 40}
    assert admin.put(f"/api/v1/goals/{company}", json=goal).status_code == 201
    parts = {org.teams[0]: 20, org.teams[1]: 20}
    assert admin.post(f"/api/v1/goals/{company}/breakdown", json={"split": "hand", "parts": parts}).status_code == 200
    for team in org.teams:
        assert admin.post(f"/api/v1/goals/{company}.{team}/breakdown", json={"split": "even"}).status_code == 200
    rep = signed_in(server, admin, "rep", rep=org.reps[0])
    seen = {g["id"] for g in rep.call("GET", "/api/v1/goals", params={"period": period}).json()["goals"]}
    mine = {company, f"{company}.{org.teams[0]}", f"{company}.{org.teams[0]}.{org.reps[0]}"}
    assert mine <= seen
    assert not {f"{company}.{org.teams[1]}", f"{company}.{org.teams[0]}.{org.reps[1]}"} & seen
    refused = rep.call("PUT", f"/api/v1/goals/{company}.{org.teams[0]}.{org.reps[0]}", json={**goal, "target": 1})
    assert refused.status_code == 403 and "set goals" in refused.json()["error"], refused.text
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    mine_now = {**goal, "level": "team", "owner": org.teams[0], "target": 20}
    taken = manager.call("PUT", f"/api/v1/goals/{company}", json=mine_now)  # the company's goal under its own id
    assert taken.status_code == 403 and "company" in taken.json()["error"], taken.text
    own = manager.call("PUT", f"/api/v1/goals/{unique('goal')}", json=mine_now)
    assert own.status_code == 201, own.text


def test_a_margin_goal_splits_by_last_months_margins_and_counts_this_months(admin: httpx.Client, server: Any) -> None:
    now = datetime.now(UTC)
    org, team_goal, start = _team_goal(admin, now, "margin", 40_000)
    period = _month(start)[0]
    last_month = datetime.combine(start - timedelta(days=1), time(10), SHANGHAI)
    lines = [{"product": "A1", "amount": "2000", "margin": "500"}, {"product": "B2", "amount": "1000", "margin": "50%"}]
    sent = [
        _deal(org.reps[0], 10_000, last_month) | {"margin": "30%"},  # 3,000 of margin
        _deal(org.reps[1], 3_000, last_month) | {"items": lines},  # 500 + 500: a third of rep 0's
        _deal(org.reps[0], 20_000, now) | {"margin": "5000"},
        _deal(org.reps[1], 50_000, now),  # revenue without a margin: nothing towards the margin goal
    ]
    with server.ingest() as ingest:
        assert ingest.post("/api/v1/events", json=sent).json()["accepted"] == 4
    split = admin.post(f"/api/v1/goals/{team_goal}/breakdown", json={"split": "last_period"})
    assert split.status_code == 200, split.text
    assert {p["owner"]: p["target"] for p in split.json()["parts"]} == {org.reps[0]: 30_000, org.reps[1]: 10_000}
    listed = admin.get("/api/v1/goals", params={"period": period}).json()["goals"]
    actual = {g["owner"] or g["level"]: g["pace"]["actual"] for g in listed if team_goal in (g["id"], g["parent"])}
    assert actual == {org.teams[0]: 5_000, org.reps[0]: 5_000, org.reps[1]: 0}
