"""Public recognition over real HTTP: a manager gives kudos (赞) to a rep or team they manage, nobody else does,
bad input is a 4xx saying what is wrong, the feed pages newest first and everything given is audited; a contest
with awards crowns its best seller and best team once when it closes and moves a crown when a correction after
the close changes the winner."""

from __future__ import annotations

from typing import Any

import httpx
import redis

from game import keys
from tests.support.accounts import Browser, signed_in
from tests.support.closing import closed_contest, fast  # noqa: F401 (fixture)
from tests.support.org import make_org, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually


def kudos(session: Browser | httpx.Client, **params: Any) -> dict[str, Any]:
    call = session.call if isinstance(session, Browser) else session.request
    response = call("GET", "/api/v1/kudos", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_manager_thanks_their_own_reps_and_teams_and_nobody_else_gives_kudos(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin, teams=2, reps_per_team=2)
    mine, theirs = org.reps[0], org.reps[2]
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])
    rep = signed_in(server, admin, "rep", rep=mine)

    message = "<b>王牌</b> 本周拿下三单，赞！"
    given = manager.call("POST", "/api/v1/kudos", json={"rep": mine, "message": message})
    assert given.status_code == 201, given.text
    moment = given.json()
    assert (moment["rep"], moment["message"], moment["rep_name"]) == (mine, message, "销售 0-0")
    assert moment["by"].startswith("manager-") and moment["rep_team"] == org.teams[0]
    team_kudos = manager.call("POST", "/api/v1/kudos", json={"team": org.teams[0], "message": "团队配合默契"})
    assert team_kudos.status_code == 201 and team_kudos.json()["team_name"] == "战队 0"

    # scope and roles: another team's rep or team, a rep's own session, a read key
    assert manager.call("POST", "/api/v1/kudos", json={"rep": theirs, "message": "好"}).status_code == 403
    assert manager.call("POST", "/api/v1/kudos", json={"team": org.teams[1], "message": "好"}).status_code == 403
    assert rep.call("POST", "/api/v1/kudos", json={"rep": org.reps[1], "message": "同事互赞"}).status_code == 403
    assert admin.post("/api/v1/kudos", json={"rep": theirs, "message": "管理员可以"}).status_code == 201

    # bad input: what is wrong, by field
    for body, field in (
        ({"rep": mine}, "message"),
        ({"rep": mine, "message": "   "}, "message"),
        ({"rep": mine, "message": "赞" * 281}, "message"),
        ({"message": "谁？"}, "rep"),
        ({"rep": mine, "team": org.teams[0], "message": "都给"}, "rep"),
        ({"rep": "nobody-here", "message": "好"}, "rep"),
        ({"rep": mine, "message": "好", "points": 5}, None),
    ):
        answer = manager.call("POST", "/api/v1/kudos", json=body)
        assert answer.status_code == 422, (body, answer.text)
        if field:
            assert field in [e["field"] for e in answer.json()["errors"]], answer.text
    assert manager.call("GET", "/api/v1/kudos", params={"limit": 0}).status_code == 422
    assert manager.call("GET", "/api/v1/kudos", params={"before": "yesterday"}).status_code == 422
    too_far = manager.call("GET", "/api/v1/kudos", params={"before": "4-68153212950788510470"})  # over 2**64
    assert too_far.status_code == 422 and too_far.json()["errors"][0]["field"] == "before", too_far.text

    # the feed: everyone signed in reads it, newest first, by rep or team, page by page
    to_me = kudos(rep, rep=mine)
    assert [k["message"] for k in to_me["kudos"]] == [message] and to_me["next"] is None
    assert [k["message"] for k in kudos(rep, team=org.teams[0])["kudos"]] == ["团队配合默契"]
    for n in range(3):
        assert admin.post("/api/v1/kudos", json={"rep": mine, "message": f"第 {n} 次"}).status_code == 201
    first = kudos(admin, rep=mine, limit=2)
    assert [k["message"] for k in first["kudos"]] == ["第 2 次", "第 1 次"] and first["next"]
    rest = kudos(admin, rep=mine, limit=2, before=first["next"])
    assert [k["message"] for k in rest["kudos"]] == ["第 0 次", message]

    audited = admin.get("/api/v1/audit", params={"target": mine}).json()["entries"]
    assert message in [e["data"]["message"] for e in audited if e["action"] == "kudos.given"]


def awards(admin: httpx.Client, contest: str) -> dict[str, dict[str, Any]]:
    listed = admin.get("/api/v1/awards", params={"contest": contest}).json()["awards"]
    return {a["award"]: a for a in listed}


def test_awards_are_crowned_once_at_the_close_and_move_with_a_correction(fast: RunningServer) -> None:  # noqa: F811
    with fast.admin() as admin, fast.ingest() as ingest:
        org = make_org(admin, teams=1, reps_per_team=1)
        twice = {**org.definition, "id": unique("c"), "awards": [{"kind": "best_seller"}, {"kind": "best_seller"}]}
        answer = admin.post("/api/v1/contests", json=twice)
        assert answer.status_code == 422 and "awards[1].kind" in answer.text, answer.text
        unknown = {**org.definition, "id": unique("c"), "awards": [{"kind": "best_rookie"}]}
        assert admin.post("/api/v1/contests", json=unknown).status_code == 422

        title = "十二月最佳销售"
        org, a, b = closed_contest(
            admin, ingest, awards=[{"kind": "best_seller", "title": title}, {"kind": "best_team"}]
        )
        crowned = eventually(lambda: len(awards(admin, org.contest)) == 2 and awards(admin, org.contest))
        seller, team = crowned["best_seller"], crowned["best_team"]
        assert (seller["rep"], seller["title"], seller["corrected"]) == (a, title, False)
        assert team["team"] == org.teams[0] and team["title"] is None

        rep = signed_in(fast, admin, "rep", rep=b)
        filed = rep.call(
            "POST", "/api/v1/disputes", json={"contest": org.contest, "kind": "missing_deal", "message": "漏记"}
        )
        decision = {"decision": "accepted", "note": "补 50 分", "adjustment": 50}
        assert admin.post(f"/api/v1/disputes/{filed.json()['id']}/resolve", json=decision).status_code == 200
        moved = eventually(lambda: (s := awards(admin, org.contest)["best_seller"])["rep"] == b and s)
        assert (moved["previous"], moved["corrected"]) == (a, True)
        assert awards(admin, org.contest)["best_team"]["team"] == org.teams[1]  # b's team now leads too
        entries = admin.get("/api/v1/audit", params={"target": org.contest}).json()["entries"]
        actions = [e["action"] for e in entries if e["action"].startswith("award.")]
        assert sorted(actions) == ["award.corrected"] * 2 + ["award.crowned"] * 2  # crowned once, moved once

        # a close cut short between keeping the results and crowning: the scheduler's next look crowns what is missing
        with redis.Redis.from_url(fast.redis_url) as client:
            assert client.hdel(keys.AWARDS, f"{org.contest}|best_team") == 1
        again = eventually(lambda: (c := awards(admin, org.contest).get("best_team")) and c)
        assert again["team"] == org.teams[1] and again["corrected"] is True  # the kept results are corrected ones


def test_kudos_credit_reward_points_to_the_rep_or_each_active_team_member_once(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin, teams=1, reps_per_team=3)
    star, member, gone = org.reps
    inactive = {"name": "离职", "team": org.teams[0], "active": False}
    assert admin.put(f"/api/v1/reps/{gone}", json=inactive).status_code == 200
    manager = signed_in(server, admin, "manager", teams=[org.teams[0]])

    def balance(rep: str) -> int:
        return int(admin.get(f"/api/v1/rewards/reps/{rep}").json()["balance"])

    given = manager.call("POST", "/api/v1/kudos", json={"rep": star, "message": "大单！", "reward_points": 200})
    assert given.status_code == 201 and given.json()["reward_points"] == 200, given.text
    team = manager.call("POST", "/api/v1/kudos", json={"team": org.teams[0], "message": "团队赞", "reward_points": 50})
    assert team.status_code == 201, team.text
    assert manager.call("POST", "/api/v1/kudos", json={"rep": star, "message": "只是赞"}).status_code == 201
    assert (balance(star), balance(member), balance(gone)) == (250, 50, 0)
    [line] = [x for x in admin.get(f"/api/v1/rewards/reps/{star}").json()["ledger"] if x["points"] == 200]
    assert line["source"] == "kudos" and line["ref"] == f"kudos:{given.json()['id']}:{star}"
    for points in (-1, 1001, "9", True):
        answer = manager.call("POST", "/api/v1/kudos", json={"rep": star, "message": "好", "reward_points": points})
        assert answer.status_code == 422 and "reward_points" in answer.text, (points, answer.text)
    assert balance(star) == 250  # a refused kudos credits nothing
