"""Fairness measures (spread, prize chances and cost) and options (improvement scoring, leagues)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from game.contests import parse_contest
from game.directory import Directory, Rep, Team
from game.errors import Collector
from game.fairness import (
    gini,
    prize_chances,
    prize_cost,
    prize_values,
    spread,
    summarize,
)
from game.fairness_options import (
    LeagueRules,
    improvement_targets,
    initial_leagues,
    next_leagues,
    parse_leagues,
)
from game.log_event import LogEvent
from game.simulation import replay
from tests.support.org import make_org, unique

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 10, 11, tzinfo=UTC)
REPS = [f"r{i}" for i in range(6)]
DIRECTORY = Directory(
    reps={rep: Rep(rep, rep.upper(), f"t{i % 2}") for i, rep in enumerate(REPS)},
    teams={"t0": Team("t0", "East"), "t1": Team("t1", "North")},
)


def test_gini_and_spread() -> None:
    assert gini([]) == 0 and gini([0, 0, 0]) == 0 and gini([5, 5, 5, 5]) == 0
    assert gini([0, 0, 0, 100]) == 0.75  # one of four has everything: (n - 1) / n
    assert 0 < gini([1, 2, 3, 10]) < 0.75
    shape = spread([100, 50, 40, 10, 0])
    assert shape["top"] == 100 and shape["median"] == 40 and shape["median_gap"] == 60
    assert shape["median_share_of_top"] == 0.4 and shape["zeros"] == 1 and shape["participants"] == 5


def deals(plan: dict[str, list[int]]) -> list[LogEvent]:
    """``{rep: [points per day]}`` as one deal a day worth that many thousands."""
    events = []
    for rep, per_day in plan.items():
        for day, points in enumerate(per_day):
            if points:
                at = START + timedelta(days=day, hours=3)
                events.append(
                    LogEvent(
                        id=f"{rep}-{day}",
                        type="deal.won",
                        rep=rep,
                        occurred_at=at,
                        received_at=at,
                        amount=Decimal(points * 1000),
                        currency="CNY",
                    )
                )
    return sorted(events, key=lambda e: e.occurred_at)


def contest(**extra: Any):  # type: ignore[no-untyped-def]
    definition = {
        "id": "fair",
        "name": "fair",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
        "prizes": [
            {"rank": 1, "prize": "冠军 ¥3,000", "value": 3000},
            {"rank": [2, 3], "prize": "¥500", "value": "500.50"},
            {"threshold": 40, "prize": "奖杯"},
            {"rank": 1, "board": "teams", "prize": "团队聚餐", "value": 1200},
        ],
        **extra,
    }
    return definition, parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


PLAN = {
    "r0": [10] * 10,  # steady, far ahead: 100
    "r1": [0, 0, 0, 0, 0, 0, 0, 0, 0, 60],  # one big day: 60
    "r2": [5] * 10,  # 50
    "r3": [2] * 10,  # 20
    "r4": [1] * 10,  # 10
}


def test_prize_cost_counts_every_winner() -> None:
    definition, draft = contest()
    values = prize_values(definition, Collector())
    assert values == [Decimal(3000), Decimal("500.50"), None, Decimal(1200)]
    boards = replay(draft, deals(PLAN), DIRECTORY)
    cost = prize_cost(draft, boards, values)
    assert [line["winners"] for line in cost["prizes"]] == [["r0"], ["r1", "r2"], ["r0", "r1", "r2"], ["t0"]]
    assert cost["total"] == Decimal("3000") + 2 * Decimal("500.50") + Decimal(1200)
    assert cost["unpriced"] == ["奖杯"]


def test_prize_chances_come_from_resampled_periods() -> None:
    definition, draft = contest()
    values = prize_values(definition, Collector())
    boards = replay(draft, deals(PLAN), DIRECTORY)
    chances = prize_chances(draft, boards, values, DIRECTORY, samples=300, seed=1)
    odds = chances["chances"]
    assert odds["r0"] == 1.0  # a steady leader wins something in any version of the period
    assert 0.05 < odds["r1"] < 0.95  # everything hangs on whether the big day is drawn
    assert odds["r4"] == 0 and odds["r5"] == 0
    assert odds["r3"] >= 0.05  # third place whenever the big day is not drawn
    assert chances["share_with_chance"] == round(4 / 6, 4)
    assert Decimal(3000) <= chances["expected_cost"] <= Decimal(6000)
    again = prize_chances(draft, boards, values, DIRECTORY, samples=300, seed=1)
    assert again == chances  # seeded: the same request gives the same answer


def test_summary_reads_like_the_board() -> None:
    definition, draft = contest()
    values = prize_values(definition, Collector())
    summary = summarize(draft, replay(draft, deals(PLAN), DIRECTORY), values, DIRECTORY, samples=50)
    assert [row["id"] for row in summary["standings"]][:3] == ["r0", "r1", "r2"]
    assert summary["standings"][0] | {"prize_chance": 1.0} == summary["standings"][0]
    assert summary["standings"][0]["prizes"] == ["冠军 ¥3,000", "奖杯"]
    assert summary["spread"]["participants"] == 6 and summary["gini"] == summary["spread"]["gini"]
    assert summary["lead_changes"] == 0 and summary["leaders"] == ["r0"]
    early = {"r1": [60] + [0] * 9, "r0": [10] * 10}  # r1 leads from day 1, r0 passes on day 7
    boards = replay(draft, deals(early), DIRECTORY)
    assert boards.lead_changes == 1 and boards.leaders == ("r1", "r0")


def test_improvement_targets_are_each_reps_baseline_with_a_floor() -> None:
    targets, floor = improvement_targets({"a": 100, "b": 40, "c": 0, "d": 400}, ["a", "b", "c", "d", "e"])
    assert floor == 40  # the lower quartile of the positive baselines
    assert targets == {"a": 100, "b": 40, "c": 40, "d": 400, "e": 40}
    scaled, _ = improvement_targets({"a": 100}, ["a"], scale=0.5, floor=1)
    assert scaled == {"a": 50}


def test_a_rep_who_doubles_their_baseline_outranks_a_bigger_rep_who_stood_still() -> None:
    definition, _ = contest(prizes=[])
    targets, floor = improvement_targets({"r0": 100, "r1": 20}, REPS)
    improved = parse_contest(
        {**definition, "scoring": "percent_of_target", "targets": targets, "default_target": floor},
        default_timezone="Asia/Shanghai",
        default_currency="CNY",
    )
    boards = replay(improved, deals({"r0": [10] * 10, "r1": [4] * 10}), DIRECTORY)
    assert [(row.id, row.score) for row in boards.reps[:2]] == [("r1", 2000), ("r0", 1000)]  # 200.0 % and 100.0 %


def test_leagues_from_one_period_then_promotion_and_relegation() -> None:
    rules = LeagueRules(size=4, promote=1, relegate=1)
    standings = [(f"p{i}", 100 - i) for i in range(9)]
    first = initial_leagues([rep for rep, _ in standings], standings, rules)
    # 4 + 4 + 1: a bottom league of one would be no league, so it joins the one above
    assert first == {"league-1": ["p0", "p1", "p2", "p3"], "league-2": ["p4", "p5", "p6", "p7", "p8"]}
    # next period: p7 won league 2, p3 came last in league 1; p8 left, n1 joined
    results = [{"id": r, "score": s} for r, s in (("p7", 90), ("p3", 1), ("p0", 50), ("p1", 40), ("p2", 30))]
    second = next_leagues(first, results, rules, reps=[f"p{i}" for i in range(8)] + ["n1"])
    assert second["league-1"] == ["p0", "p1", "p2", "p7"]
    assert second["league-2"] == ["n1", "p3", "p4", "p5", "p6"]
    # nobody with points: nobody goes up
    quiet = next_leagues(first, [], rules)
    assert quiet["league-1"] == ["p0", "p1", "p2"] and "p3" in quiet["league-2"]
    # a bottom league grown past 1.5 × size splits
    crowded = next_leagues({"league-1": ["a", "b", "c", "d"]}, [], rules, reps=["a", "b", "c", "d", "e", "f", "g"])
    assert list(crowded) == ["league-1", "league-2"] and sum(map(len, crowded.values())) == 7


def test_league_rules_are_checked() -> None:
    errors = Collector()
    assert parse_leagues({"size": 8, "promote": 2, "relegate": 2}, errors) == LeagueRules(8, 2, 2)
    assert parse_leagues({"size": 3, "promote": 2, "relegate": 2}, errors) is None
    assert parse_leagues({"size": "8"}, errors) is None
    assert [e.field for e in errors.errors] == ["leagues", "leagues.size"]


# --- through the server ---------------------------------------------------------------------------------


def test_prepare_turns_fairness_options_into_a_live_definition(admin: httpx.Client, ingest: httpx.Client) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    org = make_org(admin, teams=2, reps_per_team=3)
    start = now - timedelta(hours=1)
    end = start + timedelta(days=5)
    before = [
        {
            "id": unique("d"),
            "type": "deal.won",
            "rep": rep,
            "amount": str(10_000 * (index + 1)),
            "occurred_at": (start - timedelta(days=2, hours=index)).isoformat(),
        }
        for index, rep in enumerate(org.reps[:4])
    ]
    assert ingest.post("/api/v1/events", json=before).json()["accepted"] == 4
    draft = {
        "id": unique("improve"),
        "name": "进步赛",
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "teams": org.teams,
        "rules": [{"on": "deal.won", "points_per": 1000}],
        "scoring": "improvement",
        "leagues": {"size": 3, "promote": 1, "relegate": 1},
    }
    response = admin.post("/api/v1/contests/prepare", json=draft)
    assert response.status_code == 200, response.text
    body = response.json()
    definition = body["definition"]
    assert definition["scoring"] == "percent_of_target"
    assert [definition["targets"][rep] for rep in org.reps[:4]] == [10, 20, 30, 40]
    assert definition["default_target"] == 10 and definition["targets"][org.reps[5]] == 10
    assert body["baseline"]["points"][org.reps[3]] == 40
    assert definition["divisions"]["league-1"] == sorted(org.reps[1:4])
    assert sorted(definition["divisions"]["league-2"]) == sorted([org.reps[0], *org.reps[4:]])
    created = admin.post("/api/v1/contests", json=definition)
    assert created.status_code == 201, created.text
    # simulating an improvement draft prepares it the same way
    simulated = admin.post("/api/v1/contests/simulate", json={"definition": {**draft, "id": unique("sim")}})
    assert simulated.status_code == 200, simulated.text
    assert simulated.json()["prepared"]["baseline"]["points"] == body["baseline"]["points"]
    wrong = admin.post("/api/v1/contests/prepare", json={**draft, "leagues": {"size": 2}})
    assert wrong.status_code == 422


def test_the_next_recurring_period_moves_leagues_and_measures_improvement_again(redis_server) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    from types import SimpleNamespace

    from redis.asyncio import Redis

    from server.services.event_log_store import EventLogStore
    from server.services.fairness import next_period_definition
    from server.services.registry import Registry

    async def run() -> tuple[dict[str, Any], list[str]]:
        redis = Redis.from_url(redis_server.url)
        registry = Registry(redis, timezone="Asia/Shanghai", currency="CNY")
        team = unique("team")
        await registry.put_team({"id": team, "name": "T"}, "test")
        members = [unique("rep") for _ in range(4)]
        for rep in members:
            await registry.put_rep({"id": rep, "name": rep, "team": team}, "test")
        arena = SimpleNamespace(
            event_log=EventLogStore(redis),
            registry=registry,
            settings=SimpleNamespace(timezone="Asia/Shanghai", currency="CNY"),
        )
        base = {
            "id": unique("series"),
            "name": "月赛",
            "starts_at": "2026-09-01T00:00:00+08:00",
            "ends_at": "2026-10-01T00:00:00+08:00",
            "teams": [team],
            "rules": [{"on": "deal.won", "points_per": 1000}],
            "recurrence": "monthly",
            "leagues": {"size": 3, "promote": 1, "relegate": 1},
            "divisions": {"league-1": members[:2], "league-2": members[2:]},
            "scoring": "percent_of_target",
            "targets": dict.fromkeys(members, 5),
            "improvement": {"floor": 3},
        }
        previous = registry.contest_from({"definition": base})
        following = {
            **base,
            "id": unique("series"),
            "starts_at": "2026-10-01T00:00:00+08:00",
            "ends_at": "2026-11-01T00:00:00+08:00",
        }
        standings = [
            {"id": members[0], "score": 10},
            {"id": members[1], "score": 20},
            {"id": members[2], "score": 90},
            {"id": members[3], "score": 0},
        ]
        try:
            return await next_period_definition(arena, previous, following, standings), members
        finally:
            await redis.aclose()

    out, members = asyncio.run(run())
    # the best of league 2 goes up, the last of league 1 goes down
    assert out["divisions"] == {"league-1": sorted(members[1:3]), "league-2": sorted([members[0], members[3]])}
    assert out["scoring"] == "percent_of_target" and out["improvement"]["baseline_from"].startswith("2026-09-01")
    assert out["improvement"]["floor"] == 3 and set(out["targets"].values()) == {3}  # nobody sold in September
