"""The public HTTP contract, exercised against the real server and a real Redis."""

from __future__ import annotations

import httpx
import msgpack

from tests.support.calendar import Calendar
from tests.support.org import deal, make_org, unique
from tests.support.server import INGEST_KEY, RunningServer


def board(admin: httpx.Client, contest: str, **params: object) -> dict:
    response = admin.get(f"/api/v1/contests/{contest}/leaderboard", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def scores(admin: httpx.Client, contest: str) -> dict[str, int]:
    return {row["id"]: row["score"] for row in board(admin, contest, limit=500)["rows"]}


def test_health_and_readiness(server: RunningServer) -> None:
    assert httpx.get(server.base_url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.base_url + "/readyz")
    assert ready.status_code == 200


def test_a_deal_moves_the_rep_up_with_exact_points(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin)
    first, second = org.reps[0], org.reps[1]
    assert ingest.post("/api/v1/events", json=deal(first, "5000")).json()["accepted"] == 1
    before = board(admin, org.contest)
    assert before["rows"][0]["id"] == first and before["rows"][0]["score"] == 5
    answer = ingest.post("/api/v1/events", json=deal(second, "12500.75")).json()
    assert answer == {"accepted": 1, "duplicates": 0, "rejected": []}
    after = board(admin, org.contest)
    assert [r["id"] for r in after["rows"][:2]] == [second, first]
    assert after["rows"][0] == {"rank": 1, "id": second, "name": "销售 0-1", "team": org.teams[0], "score": 12}
    assert after["seq"] > before["seq"]
    assert after["epoch"] == 1
    teams = admin.get(f"/api/v1/contests/{org.contest}/teams").json()
    assert teams["rows"][0] == {"rank": 1, "id": org.teams[0], "name": "战队 0", "score": 17}


def test_every_participant_is_on_the_board_from_the_start(admin: httpx.Client) -> None:
    org = make_org(admin, teams=2, reps_per_team=2)
    rows = board(admin, org.contest)["rows"]
    assert sorted(r["id"] for r in rows) == sorted(org.reps)
    assert {r["rank"] for r in rows} == {1}  # everyone shares rank 1 at zero points


def test_multipliers_and_flat_points_round_down(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(
        admin,
        rules=[{"on": "deal.won", "points_per": 1000, "points": 2}, {"on": "customer.new", "points": 10}],
        multipliers={"category": {"high_margin": 1.5}},
    )
    rep = org.reps[0]
    ingest.post(
        "/api/v1/events",
        json=[
            deal(rep, "2999", category="high_margin"),  # (2 + 2.999) * 1.5 = 7.49 → 7
            deal(rep, "1000", category="low_margin"),  # 2 + 1 = 3
            {"id": unique("c"), "type": "customer.new", "rep": rep},
        ],
    )
    assert scores(admin, org.contest)[rep] == 7 + 3 + 10


def test_daily_cap_limits_activity_points_per_rep_per_day(
    admin: httpx.Client, ingest: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin, cap_days="calendar", rules=[{"on": "call.logged", "points": 3, "cap_per_day": 10}])
    rep = org.reps[0]
    calls = [
        {"id": unique("call"), "type": "call.logged", "rep": rep, "occurred_at": calendar.at(2, 9)} for _ in range(6)
    ]
    next_day = {"id": unique("call"), "type": "call.logged", "rep": rep, "occurred_at": calendar.at(1, 9)}
    assert ingest.post("/api/v1/events", json=[*calls, next_day]).json()["accepted"] == 7
    assert scores(admin, org.contest)[rep] == 10 + 3


def test_reversal_undoes_exactly_what_the_deal_applied(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin)
    rep = org.reps[0]
    original = deal(rep, "300000")
    ingest.post("/api/v1/events", json=[original, deal(rep, "4000")])
    assert scores(admin, org.contest)[rep] == 304
    reversal = {"id": unique("rev"), "type": "deal.reversed", "rep": rep, "ref": original["id"]}
    assert ingest.post("/api/v1/events", json=reversal).json()["accepted"] == 1
    assert scores(admin, org.contest)[rep] == 4
    teams = {r["id"]: r["score"] for r in admin.get(f"/api/v1/contests/{org.contest}/teams").json()["rows"]}
    assert teams[org.teams[0]] == 4
    # The reversal sent again changes nothing.
    assert ingest.post("/api/v1/events", json=reversal).json()["duplicates"] == 1
    assert scores(admin, org.contest)[rep] == 4


def test_reversal_arriving_before_the_deal_keeps_the_deal_from_scoring(
    admin: httpx.Client, ingest: httpx.Client
) -> None:
    org = make_org(admin)
    rep = org.reps[0]
    original = deal(rep, "9000")
    ingest.post(
        "/api/v1/events", json={"id": unique("rev"), "type": "deal.reversed", "rep": rep, "ref": original["id"]}
    )
    assert ingest.post("/api/v1/events", json=original).json()["accepted"] == 1
    assert scores(admin, org.contest)[rep] == 0


def test_duplicates_are_counted_and_change_nothing(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin)
    event = deal(org.reps[0], "7000")
    assert ingest.post("/api/v1/events", json=event).json()["accepted"] == 1
    again = ingest.post("/api/v1/events", json=[event, event]).json()
    assert again == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert scores(admin, org.contest)[org.reps[0]] == 7


def test_a_bad_event_in_a_batch_does_not_stop_its_neighbours(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin)
    rep = org.reps[0]
    batch = [
        deal(rep, "1000"),
        {"id": "x", "type": "deal.won", "rep": rep, "amount": "lots"},
        deal("nobody-" + unique("r"), "1000"),
        deal(rep, "2000"),
    ]
    answer = ingest.post("/api/v1/events", json=batch).json()
    assert answer["accepted"] == 2 and answer["duplicates"] == 0
    assert [r["index"] for r in answer["rejected"]] == [1, 2]
    assert "amount" in answer["rejected"][0]["error"]
    assert "unknown rep" in answer["rejected"][1]["error"]
    assert scores(admin, org.contest)[rep] == 3


def test_invalid_input_gets_a_clear_4xx(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin)
    single = ingest.post("/api/v1/events", json={"id": "e1", "type": "deal.won", "rep": org.reps[0]})
    assert single.status_code == 422
    assert single.json()["rejected"][0]["errors"] == [{"field": "amount", "message": "is required for deal.won"}]
    naive = ingest.post("/api/v1/events", json={**deal(org.reps[0], 1), "occurred_at": calendar.at(1)[:19]})
    assert naive.status_code == 422 and "offset" in naive.json()["error"]
    broken = ingest.post("/api/v1/events", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and "JSON" in broken.json()["error"]
    huge = ingest.post(
        "/api/v1/events", content=b"[" + b"1," * 600_000 + b"1]", headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413
    bad_contest = admin.post(
        "/api/v1/contests",
        json={
            "id": "bad id!",
            "name": "",
            "starts_at": calendar.date_text(1),  # a date without a time of day
            "ends_at": calendar.starts,
            "rules": [{"on": "deal.won", "points_per": -5}],
            "team_score": "median",
        },
    )
    assert bad_contest.status_code == 422
    fields = {e["field"] for e in bad_contest.json()["errors"]}
    assert {"id", "name", "starts_at", "rules[0].points_per", "team_score"} <= fields
    duplicate = admin.post("/api/v1/contests", json=org.definition)
    assert duplicate.status_code == 409
    unknown_team = admin.put(f"/api/v1/reps/{unique('r')}", json={"name": "王芳", "team": "no-such-team"})
    assert unknown_team.status_code == 422 and unknown_team.json()["errors"][0]["field"] == "team"
    assert admin.get("/api/v1/contests/nope/leaderboard").status_code == 404


def test_keys_are_checked_and_scoped(server: RunningServer, admin: httpx.Client) -> None:
    org = make_org(admin)
    anonymous = httpx.post(server.base_url + "/api/v1/events", json=deal(org.reps[0], 1))
    assert anonymous.status_code == 401 and "error" in anonymous.json()
    wrong = httpx.post(
        server.base_url + "/api/v1/events", json=deal(org.reps[0], 1), headers={"Authorization": "Bearer ak_wrong"}
    )
    assert wrong.status_code == 401
    ingest_only = httpx.put(
        server.base_url + "/api/v1/teams/x", json={"name": "x"}, headers={"Authorization": f"Bearer {INGEST_KEY}"}
    )
    assert ingest_only.status_code == 403


def test_msgpack_ingest(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin)
    body = msgpack.packb([deal(org.reps[1], "8000"), {**deal(org.reps[1], 0), "amount": 2500.5}])
    answer = ingest.post("/api/v1/events", content=body, headers={"content-type": "application/msgpack"})
    assert answer.json()["accepted"] == 2
    assert scores(admin, org.contest)[org.reps[1]] == 10


def test_ties_go_to_who_reached_the_score_first_and_share_a_rank(
    admin: httpx.Client, ingest: httpx.Client, calendar: Calendar
) -> None:
    org = make_org(admin, teams=1, reps_per_team=4)
    a, b, c, _ = org.reps
    # b reaches 5 at 10:00, a reaches 5 at 09:00 (posted later), c gets 9.
    ingest.post("/api/v1/events", json=deal(b, 5000, occurred_at=calendar.at(1, 10)))
    ingest.post("/api/v1/events", json=deal(a, 5000, occurred_at=calendar.at(1, 9)))
    ingest.post("/api/v1/events", json=deal(c, 9000))
    rows = board(admin, org.contest)["rows"]
    assert [(r["id"], r["rank"]) for r in rows[:3]] == [(c, 1), (a, 2), (b, 2)]
    assert rows[3]["rank"] == 4


def test_around_a_rep(admin: httpx.Client, ingest: httpx.Client) -> None:
    org = make_org(admin, teams=1, reps_per_team=9)
    for points, rep in enumerate(org.reps, start=1):
        ingest.post("/api/v1/events", json=deal(rep, points * 1000))
    # reps[i] has i+1 points: reps[8] is rank 1 ... reps[0] is rank 9
    around = board(admin, org.contest, around=org.reps[4], limit=3)["rows"]
    assert [(r["id"], r["rank"]) for r in around] == [(org.reps[5], 4), (org.reps[4], 5), (org.reps[3], 6)]


def test_ingest_survives_redis_losing_its_scripts(
    server: RunningServer, admin: httpx.Client, ingest: httpx.Client
) -> None:
    import redis as redis_sync

    org = make_org(admin)
    assert ingest.post("/api/v1/events", json=deal(org.reps[0], "1000")).json()["accepted"] == 1
    with redis_sync.Redis.from_url(server.redis_url) as client:
        client.script_flush()  # as after a Redis restart without persistence of scripts
    assert ingest.post("/api/v1/events", json=deal(org.reps[0], "2000")).json()["accepted"] == 1
    assert scores(admin, org.contest)[org.reps[0]] == 3
