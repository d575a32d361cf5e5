"""Time-driven work on a server of its own with a one-second scheduler: champions, races, recurring
contests, comebacks and the month's record breaker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import redis

from game import keys
from game.work_calendar import WorkCalendar
from server.embedded_redis import EmbeddedRedis
from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer, launch_server
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with EmbeddedRedis() as redis:
        running = launch_server(redis.url, Path(tmp_path_factory.mktemp("scheduler")), ARENA_SCHEDULER_SECONDS="1")
        yield running
        running.stop()


def heartbeat_after(server: RunningServer, moment_ms: int) -> int:
    """Wait for the scheduler to finish a tick that started after ``moment_ms`` (epoch ms); return its time."""
    with redis.Redis.from_url(server.redis_url) as client:

        def beat() -> int:
            raw = client.get(keys.SCHEDULER_HEARTBEAT)
            return int(raw) if raw is not None and int(raw) > moment_ms else 0

        return eventually(beat, what=f"a scheduler tick started after {moment_ms} ms")


def marked_in_the_bottom_half(server: RunningServer, contest: str, epoch: int, rep: str) -> bool:
    """Whether a scheduler tick has seen ``rep`` in the bottom half of the contest's board (its low-water mark)."""
    with redis.Redis.from_url(server.redis_url) as client:
        return bool(client.hexists(keys.ContestKeys(contest, epoch).low_water, rep))


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def badges_of(admin: httpx.Client, rep: str) -> set[str]:
    return {b["badge"] for b in admin.get(f"/api/v1/reps/{rep}/profile").json()["badges"]}


def test_champions_are_crowned_when_a_contest_closes(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org = make_org(
            admin,
            starts_at=iso(-timedelta(days=1)),
            ends_at=iso(timedelta(seconds=4)),
            grace_hours=0,
            prizes=[{"rank": 1, "prize": "iPhone"}, {"threshold": 50, "prize": "团队聚餐"}],
        )
        winner, runner_up = org.reps[4], org.reps[0]
        ingest.post(
            "/api/v1/events",
            json=[
                deal(winner, "90000", occurred_at=iso(-timedelta(hours=1))),
                deal(runner_up, "60000", occurred_at=iso(-timedelta(hours=2))),
            ],
        )
        preliminary = admin.get(f"/api/v1/contests/{org.contest}/results").json()
        assert preliminary["final"] is False and preliminary["champion"] == winner
        final = eventually(lambda: (r := admin.get(f"/api/v1/contests/{org.contest}/results").json())["final"] and r)
        assert final["champion"] == winner and final["best_team"] == org.teams[1]
        assert {(p["id"], p["prize"]) for p in final["prizes"]} == {
            (winner, "iPhone"),
            (winner, "团队聚餐"),
            (runner_up, "团队聚餐"),
        }
        assert eventually(lambda: "champion" in badges_of(admin, winner))
        assert "best-team" in badges_of(admin, org.reps[3])  # every member of the best team
        csv = admin.get(f"/api/v1/contests/{org.contest}/results.csv")
        assert csv.headers["content-type"].startswith("text/csv")
        assert f"1,{winner},销售 1-1," in csv.text and "iPhone; 团队聚餐" in csv.text


def test_a_race_is_won_by_who_reached_the_target_first(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org = make_org(
            admin,
            kind="race",
            target=50,
            starts_at=iso(-timedelta(days=1)),
            ends_at=iso(timedelta(seconds=4)),
            grace_hours=0,
        )
        early, big = org.reps[0], org.reps[1]
        ingest.post(
            "/api/v1/events",
            json=[
                deal(early, "50000", occurred_at=iso(-timedelta(hours=5))),
                deal(big, "30000", occurred_at=iso(-timedelta(hours=6))),
                deal(big, "90000", occurred_at=iso(-timedelta(hours=4))),  # big passes 50 only now, though higher
            ],
        )
        refunded = deal(org.reps[2], "80000", occurred_at=iso(-timedelta(hours=9)))
        ingest.post("/api/v1/events", json=refunded)
        ingest.post(
            "/api/v1/events",
            json={"id": unique("rev"), "type": "deal.reversed", "rep": org.reps[2], "ref": refunded["id"]},
        )
        final = eventually(lambda: (r := admin.get(f"/api/v1/contests/{org.contest}/results").json())["final"] and r)
        assert final["champion"] == early
        assert set(final["finishes"]) == {early, big}


def test_a_monthly_contest_starts_next_month_by_itself(fast: RunningServer, calendar: Calendar) -> None:
    """Last month's 月度销冠赛 ended at midnight on the first; this month's exists and is live."""
    with fast.admin() as admin:
        series = unique("monthly")
        this_month = calendar.this_month
        last_month = (this_month - timedelta(days=1)).replace(day=1)
        response = admin.post(
            "/api/v1/contests",
            json={
                "id": f"{series}-{last_month:%Y-%m}",
                "name": "月度销冠赛",
                "recurrence": "monthly",
                "name_template": "{period} 月度销冠赛",
                "starts_at": last_month.isoformat(),
                "ends_at": this_month.isoformat(),
                "rules": [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 1, "cap_per_day": 9}],
            },
        )
        assert response.status_code == 201, response.text
        expected = f"{series}-{this_month:%Y-%m}"
        created = eventually(lambda: (r := admin.get(f"/api/v1/contests/{expected}")).status_code == 200 and r.json())
        assert created, f"{expected} was not created"
        seen_ms = int(time.time() * 1000)
        assert datetime.fromisoformat(created["starts_at"]) == this_month
        next_month = (this_month + timedelta(days=32)).replace(day=1)
        assert datetime.fromisoformat(created["ends_at"]) == next_month
        assert created["status"] == "live" and created["recurrence"] == "monthly"
        assert created["name"] == f"{this_month:%Y-%m} 月度销冠赛"
        # daily caps per working day: the new month's own days off, from the organisation's calendar (China's)
        month = [this_month.date() + timedelta(days=n) for n in range((next_month - this_month).days)]
        assert created["days_off"] == [d.isoformat() for d in month if not WorkCalendar("CN").is_working_day(d)]
        # Two whole ticks that started after the new contest was seen create nothing more.
        heartbeat_after(fast, heartbeat_after(fast, seen_ms))
        assert len([c for c in admin.get("/api/v1/contests").json()["contests"] if c["id"].startswith(series)]) == 2


def test_comeback_from_the_bottom_half_to_the_top_three(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org = make_org(admin, teams=2, reps_per_team=4)
        underdog = org.reps[7]
        ingest.post(
            "/api/v1/events",
            json=[
                deal(rep, 10_000 * (i + 1), occurred_at=iso(-timedelta(hours=1))) for i, rep in enumerate(org.reps[:7])
            ],
        )
        epoch = admin.get(f"/api/v1/contests/{org.contest}").json()["epoch"]
        eventually(
            lambda: marked_in_the_bottom_half(fast, org.contest, epoch, underdog),
            what="a scheduler tick marking the underdog in the bottom half",
        )
        ingest.post("/api/v1/events", json=deal(underdog, "500000", occurred_at=iso(-timedelta(minutes=1))))
        assert eventually(lambda: "comeback" in badges_of(admin, underdog))
        assert "comeback" not in badges_of(admin, org.reps[6])  # top all along: no comeback


@pytest.fixture
def alone(tmp_path: Path) -> Iterator[RunningServer]:
    """A scheduling server with an organisation of its own: the month's record is decided once per month for
    the whole organisation, so no other test's deal of that month may get there first."""
    with EmbeddedRedis() as redis:
        running = launch_server(redis.url, tmp_path, ARENA_SCHEDULER_SECONDS="1")
        yield running
        running.stop()


def test_the_month_s_biggest_deal_makes_the_record_breaker(alone: RunningServer, calendar: Calendar) -> None:
    with alone.admin() as admin, alone.ingest() as ingest:
        org = make_org(admin)
        last_month = calendar.last_month(3)
        ingest.post("/api/v1/events", json=deal(org.reps[1], "300000", occurred_at=last_month.isoformat()))
        record = deal(org.reps[0], "700000", occurred_at=last_month.isoformat())
        ingest.post("/api/v1/events", json=record)
        assert eventually(lambda: "record-breaker" in badges_of(admin, org.reps[0]))
        assert "record-breaker" not in badges_of(admin, org.reps[1])
        # The record deal is refunded: the badge moves to the next biggest deal of the month.
        ingest.post(
            "/api/v1/events",
            json={"id": unique("refund"), "type": "deal.reversed", "rep": org.reps[0], "ref": record["id"]},
        )
        assert eventually(lambda: "record-breaker" in badges_of(admin, org.reps[1]))
        assert "record-breaker" not in badges_of(admin, org.reps[0])
        # A bigger deal of that month logged late (a month-end deal synced the next morning) takes the record;
        # a smaller late one does not.
        ingest.post("/api/v1/events", json=deal(org.reps[3], "100000", occurred_at=last_month.isoformat()))
        late = deal(org.reps[2], "900000", occurred_at=(last_month - timedelta(days=1)).isoformat())
        ingest.post("/api/v1/events", json=late)
        assert eventually(lambda: "record-breaker" in badges_of(admin, org.reps[2]))
        assert "record-breaker" not in badges_of(admin, org.reps[1]) | badges_of(admin, org.reps[3])
        wall = admin.get("/api/v1/wall/fame").json()
        assert [r["amount"] for r in wall["records"]] == ["900000"]


def test_leagues_promote_and_relegate_into_next_month(fast: RunningServer, calendar: Calendar) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org = make_org(admin, teams=2, reps_per_team=3)
        top, bottom = org.reps[:3], org.reps[3:]
        series = unique("league")
        this_month = calendar.this_month
        last_month = (this_month - timedelta(days=1)).replace(day=1)
        definition = {
            "id": f"{series}-{last_month:%Y-%m}",
            "name": "联赛",
            "grace_hours": 24 * 40,
            "starts_at": last_month.isoformat(),
            "ends_at": this_month.isoformat(),
            "rules": [{"on": "deal.won", "points_per": 1000}],
            "teams": org.teams,
            "leagues": {"size": 3, "promote": 1, "relegate": 1},
            "divisions": {"league-1": top, "league-2": bottom},
        }
        assert admin.post("/api/v1/contests", json=definition).status_code == 201
        when = (last_month + timedelta(days=3)).isoformat()
        ingest.post(
            "/api/v1/events",
            json=[
                deal(top[0], "50000", occurred_at=when),
                deal(top[1], "40000", occurred_at=when),
                deal(bottom[2], "90000", occurred_at=when),
            ],
        ).raise_for_status()
        renewed = {**definition, "recurrence": "monthly", "change_reason": "每月续赛"}
        response = admin.put(f"/api/v1/contests/{definition['id']}", json=renewed)
        assert response.status_code == 202, response.text
        created = eventually(
            lambda: (r := admin.get(f"/api/v1/contests/{series}-{this_month:%Y-%m}")).status_code == 200 and r.json()
        )
        assert created, "the next month's contest was not created"
        divisions = created["divisions"]
        assert bottom[2] in divisions["league-1"] and top[2] in divisions["league-2"]
        assert set(divisions["league-1"]) == {top[0], top[1], bottom[2]}
