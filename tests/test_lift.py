"""The lift report recovers an injected effect, says "not enough data" when it should, and is served as JSON,
CSV and a page with SVG charts."""

from __future__ import annotations

import csv
import io
import random
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from game.contests import parse_contest
from game.directory import Directory, Rep, Team
from game.lift import MIN_EVENTS, MIN_REPS, Period, contest_kpis, lift_report, mean_interval, welch_interval
from game.log_event import LogEvent
from tests.support.org import make_org, unique
from tests.support.server import ADMIN_KEY, RunningServer

START = datetime(2026, 6, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)
BASELINE = Period(START - (END - START), START)
EFFECT = 15  # extra calls per participating rep in the contest month
TREND = 5  # extra calls per rep, everyone, in the contest month (season)
TOLERANCE = 4  # the estimate must land within ±4 calls per rep of the injected effect


def directory(participants: int, others: int) -> Directory:
    reps = {}
    for index in range(participants + others):
        team = ("in-" if index < participants else "out-") + str(index % 3)
        reps[f"r{index}"] = Rep(f"r{index}", f"Rep {index}", team)
    teams = {team: Team(team, team.upper()) for team in {rep.team for rep in reps.values() if rep.team}}
    return Directory(reps=reps, teams=teams)


def contest(**extra: Any):  # type: ignore[no-untyped-def]
    definition = {
        "id": "lift",
        "name": "六月电话赛",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
        "teams": ["in-0", "in-1", "in-2"],
        "rules": [{"on": "call.logged", "points": 1}],
        **extra,
    }
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


def event(event_id: str, kind: str, rep: str, at: datetime, **fields: Any) -> LogEvent:
    return LogEvent(id=event_id, type=kind, rep=rep, occurred_at=at, received_at=at, **fields)


def calls(rep: str, count: int, period: Period, rng: random.Random) -> list[LogEvent]:
    span = (period.end - period.start).total_seconds()
    return [
        event(
            f"{rep}-{period.start:%m}-{n}", "call.logged", rep, period.start + timedelta(seconds=rng.uniform(0, span))
        )
        for n in range(max(0, count))
    ]


def synthetic(participants: int, others: int, effect: float, seed: int = 1) -> tuple[list[LogEvent], Directory]:
    rng = random.Random(seed)
    people = directory(participants, others)
    events: list[LogEvent] = []
    for index, rep in enumerate(people.reps):
        rate = rng.uniform(20, 60)
        lift = effect if index < participants else 0
        events += calls(rep, round(rate + rng.gauss(0, 3)), BASELINE, rng)
        events += calls(rep, round(rate + TREND + lift + rng.gauss(0, 3)), Period(START, END), rng)
    events.sort(key=lambda e: e.occurred_at)
    return events, people


def test_the_injected_effect_is_recovered_net_of_the_season() -> None:
    events, people = synthetic(40, 40, EFFECT)
    report = lift_report(contest(), events, people)
    calls_kpi = next(k for k in report["kpis"] if k["kpi"] == "calls")
    estimate = calls_kpi["estimate"]
    assert estimate["method"] == "difference_in_differences"
    assert abs(estimate["per_rep"] - EFFECT) <= TOLERANCE
    low, high = estimate["ci95"]
    assert low <= EFFECT <= high and low > 0
    assert calls_kpi["verdict"] == "increase"
    # before and after alone would also count the season: about EFFECT + TREND per rep
    assert abs(calls_kpi["overall"]["change"] / 40 - (EFFECT + TREND)) <= TOLERANCE
    assert calls_kpi["overall"]["improved"] >= 36 and calls_kpi["overall"]["reps"] == 40
    assert {team["id"] for team in calls_kpi["teams"]} == {"in-0", "in-1", "in-2"}
    assert len(calls_kpi["reps"]) == 40 and calls_kpi["comparison"]["reps"] == 40
    assert report["baseline"] == {**BASELINE.as_dict(), "scale": 1.0}


def test_no_effect_is_not_reported_as_a_lift() -> None:
    events, people = synthetic(40, 40, 0, seed=5)
    calls_kpi = lift_report(contest(), events, people)["kpis"][0]
    assert calls_kpi["verdict"] in ("inconclusive", "decrease") or calls_kpi["estimate"]["ci95"][0] < TOLERANCE
    assert abs(calls_kpi["estimate"]["per_rep"]) <= TOLERANCE


def test_a_tiny_sample_says_not_enough_data() -> None:
    events, people = synthetic(3, 3, EFFECT)
    tiny = [e for e in events if e.rep in ("r0", "r1", "r2")][:12]
    calls_kpi = lift_report(contest(), tiny, people)["kpis"][0]
    assert calls_kpi["verdict"] == "insufficient_data"
    assert "too little data" in calls_kpi["reason"]["en"].lower() and "数据太少" in calls_kpi["reason"]["zh-CN"]
    assert f"{MIN_REPS}" in calls_kpi["reason"]["en"] and f"{MIN_EVENTS}" in calls_kpi["reason"]["en"]


def test_a_baseline_with_nothing_logged_is_no_baseline_not_a_lift() -> None:
    """A workspace that began logging with its first contest: every participant seems to start from zero, so any
    contest would look like a lift; the report says the baseline is missing, until past deals are backfilled."""
    events, people = synthetic(40, 0, EFFECT)
    during = [e for e in events if e.occurred_at >= START]
    calls_kpi = lift_report(contest(teams=None), during, people)["kpis"][0]
    assert calls_kpi["verdict"] == "no_baseline"
    assert "CSV" in calls_kpi["reason"]["en"] and "补录" in calls_kpi["reason"]["zh-CN"]
    assert calls_kpi["overall"]["baseline"] == 0 and calls_kpi["overall"]["contest"] > 0  # its figures still shown
    # one deal logged in the baseline period, of another kind: the workspace was in use, its zero calls are real
    old_deal = event("old-deal", "deal.won", "r0", START - timedelta(days=3), amount=Decimal("1000"), currency="CNY")
    calls_kpi = lift_report(contest(teams=None), [old_deal, *during], people)["kpis"][0]
    assert calls_kpi["verdict"] == "increase"


def test_without_a_comparison_group_it_is_before_and_after() -> None:
    events, people = synthetic(40, 0, EFFECT)
    calls_kpi = lift_report(contest(teams=None), events, people)["kpis"][0]
    assert calls_kpi["estimate"]["method"] == "before_after"
    assert calls_kpi["comparison"] is None
    assert abs(calls_kpi["estimate"]["per_rep"] - (EFFECT + TREND)) <= TOLERANCE


def test_revenue_counts_what_stands_and_scales_a_longer_baseline() -> None:
    people = directory(6, 0)
    at = START + timedelta(days=3)
    before = START - timedelta(days=40)
    events = [
        event("old", "deal.won", "r0", before, amount=Decimal("1000"), currency="CNY"),
        event("won", "deal.won", "r0", at, amount=Decimal("5000"), currency="CNY"),
        event("gone", "deal.won", "r0", at, amount=Decimal("9000"), currency="CNY"),
        event("undo", "deal.reversed", "r0", at, ref="gone"),
        event("usd", "deal.won", "r1", at, amount=Decimal("700"), currency="USD"),
        event("fix", "deal.updated", "r1", at, ref="usd", amount=Decimal("800"), currency="CNY"),
    ]
    long_baseline = Period(START - timedelta(days=60), START)
    report = lift_report(
        contest(rules=[{"on": "deal.won", "points_per": 1000}], teams=None), events, people, baseline=long_baseline
    )
    assert [k["kpi"] for k in report["kpis"]] == ["revenue", "deals"]
    revenue = report["kpis"][0]
    reps = {row["id"]: row for row in revenue["reps"]}
    assert reps["r0"]["contest"] == 5000 and reps["r1"]["contest"] == 800
    assert reps["r0"]["baseline"] == pytest.approx(1000 * 30 / 60)
    assert revenue["verdict"] == "insufficient_data"


def test_kpis_follow_the_rules() -> None:
    rules = [
        {"on": "deal.won", "points": 20, "new_customer_only": True},
        {"on": "meeting.held", "points": 5},
        {"on": "demo.given", "points": 3},
    ]
    assert contest_kpis(contest(rules=rules)) == ["revenue", "deals", "new_customers", "meetings", "events:demo.given"]


def test_intervals() -> None:
    assert mean_interval([1.0]) is None
    mean, low, high = mean_interval([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5 and low < 2.5 < high
    diff, low, high = welch_interval([10.0, 11.0, 12.0], [0.0, 1.0, 2.0])
    assert diff == 10 and 0 < low < 10 < high


# --- through the server ---------------------------------------------------------------------------------


def post(ingest: httpx.Client, events: list[dict[str, Any]]) -> None:
    for offset in range(0, len(events), 500):
        answer = ingest.post("/api/v1/events", json=events[offset : offset + 500]).json()
        assert not answer["rejected"], answer["rejected"][:2]


@pytest.fixture(scope="module")
def ended(server: RunningServer) -> dict[str, Any]:
    """An org with a contest that ended yesterday, a baseline before it and a comparison team."""
    now = datetime.now(UTC).replace(microsecond=0)
    end = now - timedelta(days=1)
    start = end - timedelta(days=7)
    with server.admin() as admin, server.ingest() as ingest:
        people = make_org(admin, teams=3, reps_per_team=5)
        definition = {
            "id": unique("ended"),
            "name": "上周电话赛",
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
            "teams": people.teams[:2],
            "rules": [{"on": "call.logged", "points": 1}, {"on": "deal.won", "points_per": 1000}],
        }
        assert admin.post("/api/v1/contests", json=definition).status_code == 201
        org = replace(people, contest=definition["id"], definition=definition)
        inside = org.reps[:10]
        rng = random.Random(3)
        events = []
        for index, rep in enumerate(org.reps):
            for period_start, extra in ((start - timedelta(days=7), 0), (start, 8 if rep in inside else 0)):
                for _n in range(10 + index % 4 + extra):
                    at = period_start + timedelta(minutes=rng.randint(1, 7 * 24 * 60 - 1))
                    events.append(
                        {"id": unique("call"), "type": "call.logged", "rep": rep, "occurred_at": at.isoformat()}
                    )
        post(ingest, events)
        live = make_org(admin, teams=1, reps_per_team=1)
    return {"org": org, "live": live.contest}


def test_lift_json_csv_and_page(server: RunningServer, admin: httpx.Client, ended: dict[str, Any]) -> None:
    org = ended["org"]
    response = admin.get(f"/api/v1/contests/{org.contest}/lift")
    assert response.status_code == 200, response.text
    report = response.json()
    calls_kpi = next(k for k in report["kpis"] if k["kpi"] == "calls")
    assert calls_kpi["overall"]["reps"] == 10 and calls_kpi["comparison"]["reps"] >= 5
    assert calls_kpi["overall"]["improved"] == 10 and calls_kpi["overall"]["change"] == 80
    # the comparison group is everyone else in the workspace (other tests' reps too): only its sign is certain
    assert calls_kpi["estimate"]["method"] == "difference_in_differences"
    assert calls_kpi["estimate"]["per_rep"] > 0 and calls_kpi["verdict"] == "increase"
    assert {team["id"] for team in calls_kpi["teams"]} == set(org.teams[:2])

    chosen = admin.get(
        f"/api/v1/contests/{org.contest}/lift",
        params={"baseline_from": report["period"]["from"], "baseline_to": report["period"]["to"]},
    ).json()
    assert next(k for k in chosen["kpis"] if k["kpi"] == "calls")["overall"]["change"] == 0

    table = admin.get(f"/api/v1/contests/{org.contest}/lift.csv")
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(table.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["kpi", "scope", "id"]
    assert any(row[0] == "calls" and row[1] == "rep" for row in rows[1:])

    page = httpx.get(f"{server.base_url}/admin/contests/{org.contest}/lift", params={"token": ADMIN_KEY})
    assert page.status_code == 200 and "<svg" in page.text and "/static/insights.css" in page.text
    assert "cdn" not in page.text.lower()
    assert re.findall(r"<script[^>]*>", page.text) == [
        '<script src="/static/vendor/uplot/uPlot.iife.min.js">',
        '<script src="/static/charts.js">',
        '<script src="/static/lift-chart.js">',
    ]  # the vendored chart library, the console's chart module and the page's own small script, nothing inline
    english = httpx.get(
        f"{server.base_url}/admin/contests/{org.contest}/lift", params={"token": ADMIN_KEY, "lang": "en"}
    )
    assert "Lift report" in english.text and "Calls" in english.text
    css = httpx.get(f"{server.base_url}/static/insights.css")
    assert css.status_code == 200 and "svg.chart" in css.text


def test_lift_needs_an_ended_contest_and_a_manager(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client, ended: dict[str, Any]
) -> None:
    assert admin.get(f"/api/v1/contests/{ended['live']}/lift").status_code == 409
    so_far = admin.get(f"/api/v1/contests/{ended['live']}/lift", params={"interim": "1"})
    assert so_far.status_code == 200 and so_far.json()["interim"] is True
    table = admin.get(f"/api/v1/contests/{ended['live']}/lift.csv", params={"interim": "1"})
    assert table.status_code == 200 and table.text.lstrip("\ufeff").startswith("kpi,scope")
    assert admin.get("/api/v1/contests/nope/lift").status_code == 404
    assert ingest.get(f"/api/v1/contests/{ended['org'].contest}/lift").status_code == 403
    org = ended["org"]
    half = admin.get(f"/api/v1/contests/{org.contest}/lift", params={"baseline_from": org.definition["starts_at"]})
    assert half.status_code == 422 and "baseline_to" in half.text  # a baseline needs both ends
    anonymous = httpx.get(f"{server.base_url}/admin/contests/{ended['org'].contest}/lift", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    waiting = httpx.get(f"{server.base_url}/admin/contests/{ended['live']}/lift", params={"token": ADMIN_KEY})
    assert waiting.status_code == 200 and ("竞赛结束后" in waiting.text or "once the contest has ended" in waiting.text)


def signed_in(server: RunningServer, username: str, password: str) -> httpx.Client:
    """A browser-like client signed in with the login form (session cookie)."""
    client = httpx.Client(base_url=server.base_url, timeout=15, follow_redirects=False)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    answer = client.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1)})
    assert answer.status_code == 303, answer.text[:300]
    return client


def test_the_page_follows_the_session(server: RunningServer, admin: httpx.Client, ended: dict[str, Any]) -> None:
    path = f"/admin/contests/{ended['org'].contest}/lift"
    browser = signed_in(server, "admin", "admin-test-password")
    page = browser.get(path)
    assert page.status_code == 200 and "<svg" in page.text
    browser.close()
    outsider, elsewhere = f"mgr-{uuid.uuid4().hex[:6]}", unique("team")
    assert admin.put(f"/api/v1/teams/{elsewhere}", json={"name": "别的战队"}).status_code == 201
    created = admin.put(
        f"/api/v1/users/{outsider}", json={"role": "manager", "password": "pw-outsider-1", "teams": [elsewhere]}
    )
    assert created.status_code == 201, created.text
    browser = signed_in(server, outsider, "pw-outsider-1")
    assert browser.get(path).status_code == 403
    assert browser.get(f"/api/v1/contests/{ended['org'].contest}/lift").status_code == 403
    browser.close()
