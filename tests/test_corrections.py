"""Results people trust: rules change only in the open (a reason, a new version, every version listed), a
closed contest's results follow its rescored board (corrections, prizes, champion badges), and events that come
past the grace period are surfaced for the managers to apply or dismiss — on a server with a one-second
scheduler, so contests close while the test watches."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.accounts import signed_in
from tests.support.closing import (
    badges_of,
    board,
    closed_contest,
    fast,
    iso,
    rescored,
    results,
    results_match_the_board,
)
from tests.support.org import deal, make_org, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

__all__ = ["fast"]  # the module's server, with a one-second scheduler


def test_a_started_contest_changes_only_with_a_reason_and_every_version_is_listed(fast: RunningServer) -> None:
    with fast.admin() as admin:
        org = make_org(admin)
        changed = {**org.definition, "rules": [{"on": "deal.won", "points_per": 500}]}
        for missing in ({}, {"change_reason": "  "}):
            refused = admin.put(f"/api/v1/contests/{org.contest}", json={**changed, **missing})
            assert refused.status_code == 409, refused.text
            assert refused.json()["errors"] == [
                {"field": "change_reason", "message": "required once a contest has started"}
            ]
        assert admin.get(f"/api/v1/contests/{org.contest}").json()["version"] == 1
        response = admin.put(f"/api/v1/contests/{org.contest}", json={**changed, "change_reason": "新价格体系"})
        assert response.status_code == 202 and response.json()["version"] == 2
        rescored(admin, org.contest, 2)
        contest = admin.get(f"/api/v1/contests/{org.contest}").json()
        assert contest["version"] == 2 and "change_reason" not in contest
        versions = admin.get(f"/api/v1/contests/{org.contest}/versions").json()
        assert versions["version"] == 2 and [v["version"] for v in versions["versions"]] == [1, 2]
        first, second = versions["versions"]
        assert first["by"] == "ARENA_ADMIN_KEY" and first["reason"] is None and first["changes"] == []
        assert second["by"] == "ARENA_ADMIN_KEY" and second["reason"] == "新价格体系" and second["at"]
        assert second["changes"] == [
            {
                "field": "rules",
                "from": [{"on": "deal.won", "points_per": 1000}],
                "to": [{"on": "deal.won", "points_per": 500}],
            }
        ]
        audit = admin.get("/api/v1/audit", params={"target": org.contest}).json()["entries"]
        started = next(e for e in audit if e["action"] == "contest.rescore.start")
        assert started["data"]["rebuilding"]["reason"] == "新价格体系"
        assert admin.get("/api/v1/contests/nope-404/versions").status_code == 404


def test_a_contest_not_yet_started_changes_without_a_reason(fast: RunningServer) -> None:
    with fast.admin() as admin:
        org = make_org(admin, starts_at=iso(timedelta(days=2)), ends_at=iso(timedelta(days=9)))
        response = admin.put(f"/api/v1/contests/{org.contest}", json={**org.definition, "name": "新名字"})
        assert response.status_code == 202, response.text
        rescored(admin, org.contest, 2)
        [_, second] = admin.get(f"/api/v1/contests/{org.contest}/versions").json()["versions"]
        assert second["reason"] is None and second["changes"] == [
            {"field": "name", "from": "十二月销冠赛", "to": "新名字"}
        ]


def test_rules_changed_after_the_close_correct_results_prizes_and_champion_badges(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org, a, b = closed_contest(admin, ingest)
        changed = {**org.definition, "multipliers": {"category": {"high": 2}}}
        assert admin.put(f"/api/v1/contests/{org.contest}", json=changed).status_code == 409
        response = admin.put(
            f"/api/v1/contests/{org.contest}", json={**changed, "change_reason": "高毛利产品按双倍计分（已公示）"}
        )
        assert response.status_code == 202, response.text
        rescored(admin, org.contest, 2)
        kept = results_match_the_board(admin, org.contest)
        assert kept["final"] is True and kept["champion"] == b and kept["version"] == 2
        [correction] = kept["corrections"]
        assert correction["by"] == "ARENA_ADMIN_KEY" and correction["reason"] == "高毛利产品按双倍计分（已公示）"
        assert correction["changes"] == [
            {"rep": b, "old_rank": 2, "new_rank": 1, "old_prize": None, "new_prize": "¥5,000"},
            {"rep": a, "old_rank": 1, "new_rank": 2, "old_prize": "¥5,000", "new_prize": None},
        ]
        [prize] = kept["prizes"]
        assert (prize["id"], prize["rank"], prize["score"], prize["prize"]) == (b, 1, 120, "¥5,000")
        assert eventually(lambda: "champion" in badges_of(admin, b) and "champion" not in badges_of(admin, a))


def test_an_accepted_dispute_after_the_close_corrects_the_results(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org, a, b = closed_contest(admin, ingest)
        rep = signed_in(fast, admin, "rep", rep=b)
        filed = rep.call(
            "POST", "/api/v1/disputes", json={"contest": org.contest, "kind": "missing_deal", "message": "漏记 ¥50,000"}
        )
        assert filed.status_code == 201, filed.text
        note = "CRM 漏记一单，补 50 分"
        decision = {"decision": "accepted", "note": note, "adjustment": 50}
        resolved = admin.post(f"/api/v1/disputes/{filed.json()['id']}/resolve", json=decision)
        assert resolved.status_code == 200, resolved.text
        kept = results_match_the_board(admin, org.contest)
        assert kept["champion"] == b
        [correction] = kept["corrections"]
        assert note in correction["reason"]
        assert eventually(lambda: "champion" in badges_of(admin, b) and "champion" not in badges_of(admin, a))


def test_late_events_are_surfaced_and_applied_or_dismissed_by_the_managers(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org, a, b = closed_contest(admin, ingest)
        refund = {"id": unique("refund"), "type": "deal.reversed", "rep": a, "ref": f"{org.contest}-a"}
        backdated = deal(b, "10000", occurred_at=iso(-timedelta(hours=3)))
        elsewhere = deal(org.reps[1], "10000", occurred_at=iso(-timedelta(days=2)))  # before its window
        answer = ingest.post("/api/v1/events", json=[refund, backdated, elsewhere]).json()
        assert answer["accepted"] == 3
        assert answer["late"] == [
            {"index": 0, "id": refund["id"], "contests": [org.contest]},
            {"index": 1, "id": backdated["id"], "contests": [org.contest]},
        ]
        assert results(admin, org.contest)["champion"] == a  # nothing changes by itself
        listed = admin.get(f"/api/v1/contests/{org.contest}/late").json()
        assert listed["pending"] == 2
        assert {(e["id"], e["why"], e["status"]) for e in listed["events"]} == {
            (refund["id"], "reverses", "pending"),
            (backdated["id"], "dated", "pending"),
        }
        url = f"/api/v1/contests/{org.contest}/late"
        no_reason = admin.post(f"{url}/{backdated['id']}", json={"decision": "dismiss"})
        assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
        dismissed = admin.post(f"{url}/{backdated['id']}", json={"decision": "dismiss", "reason": "重复录入"})
        assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
        applied = admin.post(f"{url}/{refund['id']}", json={"decision": "apply", "reason": "客户退款已核实"})
        assert applied.status_code == 200 and applied.json()["rescore"] == "running"
        rescored(admin, org.contest, 2)
        again = admin.post(f"{url}/{refund['id']}", json={"decision": "apply"})
        assert again.status_code == 409
        kept = results_match_the_board(admin, org.contest)
        assert {rep: score for _, rep, score in board(admin, org.contest)}[b] == 60  # dismissed: not counted
        assert kept["champion"] == b and kept["version"] == 1
        [correction] = kept["corrections"]
        assert correction["reason"] == "客户退款已核实"
        assert {"rep": a, "old_rank": 1, "new_rank": 2, "old_prize": "¥5,000", "new_prize": None} in correction[
            "changes"
        ]  # the prize that no longer stands is clawed back
        assert eventually(lambda: "champion" in badges_of(admin, b) and "champion" not in badges_of(admin, a))
        audit = admin.get("/api/v1/audit", params={"target": org.contest}).json()["entries"]
        decisions = {e["action"]: e["data"] for e in audit if e["action"].startswith("contest.late.")}
        assert decisions["contest.late.dismiss"]["reason"] == "重复录入"
        assert decisions["contest.late.apply"]["event"] == f"api:{refund['id']}"
        retry = ingest.post("/api/v1/events", json=[refund]).json()
        assert retry["duplicates"] == 1 and "late" not in retry  # applied: it changes nothing any more
        assert {e["id"]: e["status"] for e in admin.get(url).json()["events"]} == {
            refund["id"]: "applied",
            backdated["id"]: "dismissed",
        }


@st.composite
def corrections(draw: st.DrawFn) -> dict[str, Any]:
    """A random correction: new multipliers for the two categories (with a reason), or a late refund applied."""
    return {
        "low": draw(st.sampled_from(["0.5", "1", "2", "3"])),
        "high": draw(st.sampled_from(["0.5", "1", "2", "3"])),
        "refund": draw(st.booleans()),
    }


def test_the_results_of_a_corrected_contest_always_equal_its_board(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org, a, b = closed_contest(admin, ingest)
        sales = list(zip(org.reps[1:4], (30000, 70000, 50000), ("low", "high", "low"), strict=True))
        extra = [
            deal(
                rep,
                str(amount),
                event_id=f"{org.contest}-{i}",
                category=category,
                occurred_at=iso(-timedelta(minutes=30)),
            )
            for i, (rep, amount, category) in enumerate(sales)
        ]
        late = ingest.post("/api/v1/events", json=extra).json()["late"]  # dated in the window, after the close
        for item in late:
            admin.post(f"/api/v1/contests/{org.contest}/late/{item['id']}", json={"decision": "apply"})
            epoch = admin.get(f"/api/v1/contests/{org.contest}").json()["epoch"]
            rescored(admin, org.contest, epoch + 1)
        results_match_the_board(admin, org.contest)
        refunds = iter([("a", a), ("b", b)] + [(str(i), rep) for i, (rep, _, _) in enumerate(sales)])

        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
        @given(corrections())
        def corrected(change: dict[str, Any]) -> None:
            epoch = admin.get(f"/api/v1/contests/{org.contest}").json()["epoch"]
            if change["refund"]:
                ref, rep = next(refunds, ("gone", a))
                refund = {"id": unique("refund"), "type": "deal.reversed", "rep": rep, "ref": f"{org.contest}-{ref}"}
                [item] = ingest.post("/api/v1/events", json=refund).json().get("late") or [None]
                if item is None:  # that deal never scored here: nothing to correct
                    return
                response = admin.post(f"/api/v1/contests/{org.contest}/late/{item['id']}", json={"decision": "apply"})
            else:
                definition = {
                    **org.definition,
                    "multipliers": {"category": {"low": change["low"], "high": change["high"]}},
                    "change_reason": f"multipliers {change['low']}/{change['high']}",
                }
                response = admin.put(f"/api/v1/contests/{org.contest}", json=definition)
            assert response.status_code in (200, 202), response.text
            rescored(admin, org.contest, epoch + 1)
            kept = results_match_the_board(admin, org.contest)
            champion = kept["champion"]
            for rep in (a, b, *org.reps[1:4]):
                held = "champion" in badges_of(admin, rep)
                if rep == champion:
                    assert eventually(lambda rep=rep: "champion" in badges_of(admin, rep))
                elif held:
                    assert eventually(lambda rep=rep: "champion" not in badges_of(admin, rep))

        corrected()
