"""Anti-gaming flags: each kind fires on its crafted pattern and stays quiet on normal simulated months; a
manager's decision (dismiss, or reverse through the normal ingest path) is audited and never repeated."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from game.contests import parse_contest
from game.directory import Directory, Rep, Team
from game.events import parse_event
from game.flags import KINDS, detect
from game.log_event import LogEvent
from scripts.simulator import Simulator
from tests.support.org import make_org, unique
from tests.support.server import ADMIN_KEY, RunningServer

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 10, 1, tzinfo=UTC)
NORMAL_REPS = [f"n{i}" for i in range(24)]
CRAFTED = ["split", "rush", "spike", "refunds", "dup", "first"]
DIRECTORY = Directory(
    reps={rep: Rep(rep, rep.upper(), "t0" if i % 2 else "t1") for i, rep in enumerate(NORMAL_REPS + CRAFTED)},
    teams={"t0": Team("t0", "East"), "t1": Team("t1", "North")},
)
CONTEST = parse_contest(
    {
        "id": "flags",
        "name": "九月销冠赛",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
        "rules": [
            {"on": "deal.won", "points_per": 1000},
            {"on": "deal.won", "points": 50, "min_amount": 50000},
            {"on": "call.logged", "points": 1, "cap_per_day": 40},
        ],
    },
    default_timezone="Asia/Shanghai",
    default_currency="CNY",
)
BIG_DEAL = Decimal(100000)


def logged(raw: dict[str, Any], received: datetime | None = None) -> LogEvent:
    at = datetime.fromisoformat(raw["occurred_at"]) if raw.get("occurred_at") else received
    assert at is not None
    event = parse_event(raw, now=received or at + timedelta(seconds=30), default_currency="CNY")
    return LogEvent.from_event(replace(event, team=DIRECTORY.reps[event.rep].team))


def normal_history(seed: int) -> list[LogEvent]:
    """Four months of simulated activity (three before the contest, the contest, a week after) with customers:
    a new customer each time the simulator says so, repeat business from the rep's own customers otherwise."""
    rng = random.Random(seed)
    first = START - timedelta(days=90)
    raws = Simulator(NORMAL_REPS, seed=seed).events(24_000, first, END + timedelta(days=7) - first)
    customers: dict[str, list[str]] = {rep: [f"{rep}-c0"] for rep in NORMAL_REPS}
    events = []
    for raw in raws:
        if raw["type"] == "deal.won":
            own = customers[raw["rep"]]
            if raw.get("new_customer"):
                own.append(f"{raw['rep']}-c{len(own)}")
                raw["customer"] = own[-1]
            else:
                raw["customer"] = rng.choice(own)
        events.append(logged(raw))
    return events


def at(day: int, hour: float = 10) -> str:
    return (START + timedelta(days=day, hours=hour)).isoformat()


def crafted() -> dict[str, list[LogEvent]]:
    """One pattern per kind, each by its own rep."""
    split = [
        logged(
            {
                "id": f"split-{n}",
                "type": "deal.won",
                "rep": "split",
                "amount": "45000",
                "customer": "ACME 有限公司",
                "occurred_at": at(10, 9 + 3 * n),
            }
        )
        for n in range(3)
    ]
    rush, rush_undo = [], []
    for n in range(3):
        rush.append(
            logged(
                {
                    "id": f"rush-{n}",
                    "type": "deal.won",
                    "rep": "rush",
                    "amount": "80000",
                    "occurred_at": (END - timedelta(hours=6 - n)).isoformat(),
                }
            )
        )
        rush_undo.append(
            logged(
                {"id": f"rush-undo-{n}", "type": "deal.reversed", "rep": "rush", "ref": f"rush-{n}"},
                received=END + timedelta(days=2, hours=n),
            )
        )
    rush_normal = [
        logged({"id": f"rush-ok-{n}", "type": "deal.won", "rep": "rush", "amount": "30000", "occurred_at": at(n + 1)})
        for n in range(10)
    ]
    spike = [
        logged(
            {
                "id": f"spike-base-call-{n}",
                "type": "call.logged",
                "rep": "spike",
                "occurred_at": at(-25 + n % 25, 9 + n % 8),
            }
        )
        for n in range(40)
    ]
    spike += [
        logged(
            {
                "id": f"spike-base-deal-{n}",
                "type": "deal.won",
                "rep": "spike",
                "amount": "20000",
                "occurred_at": at(-20 + n),
            }
        )
        for n in range(10)
    ]
    spike_now = [
        logged(
            {"id": f"spike-call-{n}", "type": "call.logged", "rep": "spike", "occurred_at": at(n % 28, 8 + (n % 10))}
        )
        for n in range(160)
    ]
    spike += spike_now + [
        logged(
            {"id": f"spike-deal-{n}", "type": "deal.won", "rep": "spike", "amount": "20000", "occurred_at": at(n * 3)}
        )
        for n in range(8)
    ]
    refunds = [
        logged(
            {
                "id": f"refunds-old-{n}",
                "type": "deal.won",
                "rep": "refunds",
                "amount": "30000",
                "occurred_at": at(-80 + 2 * n),
            }
        )
        for n in range(30)
    ]
    refunds.append(
        logged(
            {"id": "refunds-old-undo", "type": "deal.reversed", "rep": "refunds", "ref": "refunds-old-0"},
            received=START - timedelta(days=70),
        )
    )
    refund_deals = [
        logged(
            {"id": f"refunds-{n}", "type": "deal.won", "rep": "refunds", "amount": "30000", "occurred_at": at(2 * n)}
        )
        for n in range(10)
    ]
    refund_undos = [
        logged(
            {"id": f"refunds-undo-{n}", "type": "deal.reversed", "rep": "refunds", "ref": f"refunds-{n}"},
            received=START + timedelta(days=2 * n + 1),
        )
        for n in range(5)
    ]
    first_mark = logged(
        {
            "id": "first-globex",
            "type": "deal.won",
            "rep": "first",
            "amount": "10000",
            "customer": "Globex",
            "new_customer": True,
            "occurred_at": at(-30),
        }
    )
    dup = [
        logged(
            {
                "id": "dup-globex",
                "type": "deal.won",
                "rep": "dup",
                "amount": "12000",
                "customer": " globex ",
                "new_customer": True,
                "occurred_at": at(5),
            }
        ),
        logged(
            {"id": "dup-globex-2", "type": "customer.new", "rep": "dup", "customer": "GLOBEX", "occurred_at": at(6)}
        ),
    ]
    return {
        "split_deals": split,
        "closing_rush": rush_normal + rush + rush_undo,
        "low_conversion": spike,
        "reversal_rate": refunds + refund_deals + refund_undos,
        "duplicate_new_customer": [first_mark, *dup],
    }


def in_log_order(events: list[LogEvent]) -> list[LogEvent]:
    return sorted(events, key=lambda e: (e.received_at, e.key))


@pytest.mark.parametrize("seed", [1, 2])
def test_a_normal_stretch_of_simulated_activity_raises_no_flag(seed: int) -> None:
    assert detect(CONTEST, in_log_order(normal_history(seed)), DIRECTORY, [BIG_DEAL]) == []


def test_each_kind_fires_on_its_pattern_and_names_the_events_behind_it() -> None:
    patterns = crafted()
    events = in_log_order(normal_history(3) + [e for group in patterns.values() for e in group])
    flags = detect(CONTEST, events, DIRECTORY, [BIG_DEAL])
    by_kind = {flag.kind: flag for flag in flags}
    assert set(by_kind) == set(KINDS), [f.kind for f in flags]
    assert {flag.rep for flag in flags} == {"split", "rush", "spike", "refunds", "dup"}

    split = by_kind["split_deals"]
    assert [e.id for e in split.events] == ["split-0", "split-1", "split-2"] and split.evidence["threshold"] == "50000"
    assert "拆单" in split.explanation["zh-CN"] and "split" in split.explanation["en"]

    rush = by_kind["closing_rush"]
    assert {e.id for e in rush.reversible} == {"rush-0", "rush-1", "rush-2"}
    assert {e.id for e in rush.events} >= {"rush-undo-0", "rush-undo-1", "rush-undo-2"}

    spike = by_kind["low_conversion"]
    assert spike.evidence["activity"] == 160 and spike.evidence["baseline_activity"] == 40
    assert all(e.type == "call.logged" for e in spike.events)

    refunds = by_kind["reversal_rate"]
    assert refunds.evidence["reversed"] == 5 and refunds.evidence["reference"] == "own"
    assert {e.id for e in refunds.reversible} == {f"refunds-{n}" for n in range(5)}

    dup = by_kind["duplicate_new_customer"]
    assert [e.id for e in dup.events] == ["first-globex", "dup-globex", "dup-globex-2"]
    assert [e.id for e in dup.reversible] == ["dup-globex", "dup-globex-2"]
    # a flag's id is stable for the same finding
    assert [f.id for f in detect(CONTEST, events, DIRECTORY, [BIG_DEAL])] == [f.id for f in flags]
    assert all(f.as_dict()["event_ids"] for f in flags)


def test_patterns_that_are_not_gaming_stay_quiet() -> None:
    # three deals to one customer, but well under the threshold: ordinary repeat business
    small = [
        logged(
            {
                "id": f"s-{n}",
                "type": "deal.won",
                "rep": "split",
                "amount": "5000",
                "customer": "ACME",
                "occurred_at": at(3, 9 + n),
            }
        )
        for n in range(3)
    ]
    # a reversal after the close of a deal from the middle of the contest
    early = logged({"id": "mid", "type": "deal.won", "rep": "rush", "amount": "90000", "occurred_at": at(12)})
    undo = logged(
        {"id": "mid-undo", "type": "deal.reversed", "rep": "rush", "ref": "mid"}, received=END + timedelta(days=1)
    )
    # the same customer new again, but the earlier mark was reversed
    gone = logged(
        {
            "id": "g1",
            "type": "deal.won",
            "rep": "first",
            "amount": "1",
            "customer": "Initech",
            "new_customer": True,
            "occurred_at": at(1),
        }
    )
    gone_undo = logged(
        {"id": "g1-undo", "type": "deal.reversed", "rep": "first", "ref": "g1"}, received=START + timedelta(days=2)
    )
    again = logged(
        {
            "id": "g2",
            "type": "deal.won",
            "rep": "dup",
            "amount": "1",
            "customer": "Initech",
            "new_customer": True,
            "occurred_at": at(3),
        }
    )
    events = in_log_order([*small, early, undo, gone, gone_undo, again])
    assert detect(CONTEST, events, DIRECTORY, [BIG_DEAL]) == []


# --- through the server ---------------------------------------------------------------------------------


def test_flags_api_decisions_and_audit(server: RunningServer, admin: httpx.Client, ingest: httpx.Client) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    org = make_org(
        admin,
        teams=1,
        reps_per_team=3,
        starts_at=(now - timedelta(days=10)).isoformat(),
        ends_at=(now + timedelta(days=1)).isoformat(),
        rules=[{"on": "deal.won", "points_per": 1000}, {"on": "deal.won", "points": 50, "min_amount": 50000}],
    )
    splitter, duplicator, honest = org.reps
    customer = unique("ACME")
    split = [
        {
            "id": unique("split"),
            "type": "deal.won",
            "rep": splitter,
            "amount": "48000",
            "customer": customer,
            "occurred_at": (now - timedelta(hours=20 - 2 * n)).isoformat(),
        }
        for n in range(3)
    ]
    other = unique("Initech")
    split_too = [
        {
            "id": unique("split"),
            "type": "deal.won",
            "rep": honest,
            "amount": "45000",
            "customer": other,
            "occurred_at": (now - timedelta(hours=30 - n)).isoformat(),
        }
        for n in range(3)
    ]
    shared = unique("Globex")
    marks = [
        {
            "id": unique("new"),
            "type": "deal.won",
            "rep": honest,
            "amount": "20000",
            "customer": shared,
            "new_customer": True,
            "occurred_at": (now - timedelta(days=5)).isoformat(),
        },
        {
            "id": unique("new"),
            "type": "deal.won",
            "rep": duplicator,
            "amount": "30000",
            "customer": shared,
            "new_customer": True,
            "occurred_at": (now - timedelta(days=2)).isoformat(),
        },
    ]
    assert ingest.post("/api/v1/events", json=split + split_too + marks).json()["accepted"] == 8
    scores = {r["id"]: r["score"] for r in admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]}
    assert scores[splitter] == 3 * 48

    listed = admin.get(f"/api/v1/contests/{org.contest}/flags")
    assert listed.status_code == 200, listed.text
    flags = {(f["kind"], f["rep"]): f for f in listed.json()["flags"]}
    assert set(flags) == {("split_deals", splitter), ("split_deals", honest), ("duplicate_new_customer", duplicator)}
    form_flag = flags.pop(("split_deals", honest))
    flags = {kind: flag for (kind, _), flag in flags.items()}
    split_flag, dup_flag = flags["split_deals"], flags["duplicate_new_customer"]
    assert split_flag["rep"] == splitter and split_flag["event_ids"] == [e["id"] for e in split]
    assert split_flag["decision"] is None and split_flag["explanation"]["zh-CN"] and split_flag["explanation"]["en"]
    assert dup_flag["rep"] == duplicator and dup_flag["event_ids"] == [m["id"] for m in marks]

    reversed_ = admin.post(f"/api/v1/flags/{split_flag['id']}/decision", json={"decision": "reverse", "note": "拆单"})
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["reversed"]["accepted"] == 3 and reversed_.json()["by"] == "ARENA_ADMIN_KEY"
    scores = {r["id"]: r["score"] for r in admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]}
    assert scores[splitter] == 0
    again = admin.post(f"/api/v1/flags/{split_flag['id']}/decision", json={"decision": "dismiss"})
    assert again.status_code == 409

    dismissed = admin.post(
        f"/api/v1/flags/{dup_flag['id']}/decision", json={"decision": "dismiss", "note": "老客户新部门"}
    )
    assert dismissed.status_code == 200 and "reversed" not in dismissed.json()
    scores = {r["id"]: r["score"] for r in admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]}
    assert scores[duplicator] == 30

    audit = admin.get("/api/v1/audit", params={"target": org.contest}).json()["entries"]
    actions = {entry["action"]: entry["data"] for entry in audit}
    assert actions["flag.reverse"]["flag"] == split_flag["id"] and actions["flag.reverse"]["note"] == "拆单"
    assert actions["flag.dismiss"]["flag"] == dup_flag["id"]
    after = {f["kind"]: f for f in admin.get(f"/api/v1/contests/{org.contest}/flags").json()["flags"]}
    assert after["duplicate_new_customer"]["decision"]["decision"] == "dismiss"

    assert admin.post("/api/v1/flags/fl-nope/decision", json={"decision": "dismiss"}).status_code == 404
    bad = admin.post(f"/api/v1/flags/{dup_flag['id']}/decision", json={"decision": "delete"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "decision"
    assert ingest.get(f"/api/v1/contests/{org.contest}/flags").status_code == 403

    page = httpx.get(f"{server.base_url}/admin/contests/{org.contest}/lift", params={"token": ADMIN_KEY, "lang": "en"})
    assert page.status_code == 200 and 'id="flags"' in page.text and "once the contest has ended" in page.text
    assert f"/flags/{form_flag['id']}/decision" in page.text and "Decided" in page.text
    form = httpx.post(
        f"{server.base_url}/admin/contests/{org.contest}/flags/{form_flag['id']}/decision",
        params={"token": ADMIN_KEY},
        data={"decision": "dismiss", "note": "same customer, separate orders"},
        follow_redirects=False,
    )
    assert form.status_code == 303 and form.headers["location"].endswith(f"#flag-{form_flag['id']}")
    decided = {f["id"]: f for f in admin.get(f"/api/v1/contests/{org.contest}/flags").json()["flags"]}
    assert decided[form_flag["id"]]["decision"]["note"] == "same customer, separate orders"
