"""The pure parts behind the console's badges, audit log and contest version pages: who would hold a badge now,
who moves under new rules, the audit log's filters and pages, two versions of rules in words."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from game.badges.definitions import parse_badge
from game.badges.facts import Fact
from game.badges.preview import RepFacts, holder_counts, holders_now, period_key, previewable
from game.ranking import Ranked
from game.rule_change import Move, who_moves
from server.i18n.version_diff import rules_diff
from server.services.audit_filter import PAGE_SIZE, AuditFilter, page, parse_filter
from server.web.contest_versions import versions_view

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 18, 6, 0, tzinfo=UTC)  # a Wednesday afternoon in Shanghai


def deals(rep: str, *amounts: int, new: bool = False, days_ago: int = 0) -> list[Fact]:
    at = NOW - timedelta(days=days_ago)
    return [Fact(f"{rep}-{n}", Decimal(amount), at + timedelta(minutes=n), new) for n, amount in enumerate(amounts)]


def test_a_threshold_badge_previews_the_reps_who_reach_it_this_period() -> None:
    three_deals = parse_badge({"id": "three", "kind": "threshold", "deals": 3, "name": {"zh-CN": "三单", "en": "3"}})
    reps = [
        RepFacts("ada", deals("ada", 10, 20, 30), 3),
        RepFacts("bo", deals("bo", 10, 20), 2),
        RepFacts("cy", deals("cy", 1, 1, 1, days_ago=40), 3),  # last month's deals count for last month
    ]
    holders = holders_now(three_deals, reps, NOW, SHANGHAI)
    assert [rep for rep, _ in holders] == ["ada"]
    assert holders[0][1] == ("ada-0", "ada-1", "ada-2")
    assert period_key(three_deals, NOW, SHANGHAI) == "2026-03"


def test_changing_the_number_changes_who_would_hold_it() -> None:
    reps = [RepFacts("ada", deals("ada", 10, 20, 30), 3), RepFacts("bo", deals("bo", 10, 20), 2)]
    two = parse_badge({"id": "two", "kind": "threshold", "deals": 2, "name": {"zh-CN": "两单", "en": "2"}})
    big = parse_badge({"id": "big", "kind": "big_deal", "amount": 25, "name": {"zh-CN": "大单", "en": "Big"}})
    assert [rep for rep, _ in holders_now(two, reps, NOW, SHANGHAI)] == ["ada", "bo"]
    assert [rep for rep, _ in holders_now(big, reps, NOW, SHANGHAI)] == ["ada"]


def test_closing_kinds_have_nothing_to_preview() -> None:
    champion = parse_badge({"id": "c", "kind": "champion", "name": {"zh-CN": "冠军", "en": "Champion"}})
    assert not previewable(champion)
    assert holders_now(champion, [RepFacts("ada", deals("ada", 10), 1)], NOW, SHANGHAI) == []


def test_holders_are_counted_once_per_rep_however_many_periods() -> None:
    held = [
        {"big:2026-01": {"badge": "big"}, "big:2026-02": {"badge": "big"}, "first:ever": {"badge": "first"}},
        {"big:2026-02": {"badge": "big"}},
        {},
    ]
    assert holder_counts(held) == {"big": 2, "first": 1}


def test_who_moves_lists_only_reps_whose_rank_or_points_change_in_their_new_order() -> None:
    before = [Ranked(1, "ada", 50), Ranked(2, "bo", 40), Ranked(3, "cy", 10), Ranked(4, "di", 5)]
    after = [Ranked(1, "bo", 80), Ranked(2, "ada", 50), Ranked(3, "cy", 12), Ranked(4, "ed", 3)]
    moves = who_moves(before, after)
    assert moves == [
        Move("bo", 2, 1, 40, 80),
        Move("ada", 1, 2, 50, 50),
        Move("cy", 3, 3, 10, 12),
        Move("ed", None, 4, None, 3),
        Move("di", 4, None, 5, None),
    ]
    assert [m.climbed for m in moves] == [1, -1, 0, 0, 0]
    assert who_moves(before, before) == []


def entry(n: int, actor: str = "admin", action: str = "contest.create", target: str = "c1", **extra: Any) -> dict:
    at = (NOW - timedelta(hours=n)).isoformat()
    return {"id": f"{1000 - n}-0", "at": at, "actor": actor, "action": action, "target": target, **extra}


def test_the_audit_filter_narrows_by_who_what_which_and_when() -> None:
    wanted, refused = parse_filter(
        {"actor": "LIU", "action": "contest.", "target": "c1", "from": "2026-03-18"}, SHANGHAI
    )
    assert refused == []
    assert wanted.matches(entry(1, actor="liu.wei"))
    assert not wanted.matches(entry(1, actor="admin"))
    assert not wanted.matches(entry(1, actor="liu", action="rep.put"))
    assert not wanted.matches(entry(1, actor="liu", target="other"))
    assert not wanted.matches(entry(20, actor="liu"))  # 2026-03-17 in Shanghai
    exact = AuditFilter(action="contest.rescore")
    assert exact.matches(entry(1, action="contest.rescore")) and not exact.matches(
        entry(1, action="contest.rescore.start")
    )


def test_days_the_filter_cannot_read_are_named_and_left_out() -> None:
    wanted, refused = parse_filter({"from": "yesterday", "to": "2026-03-01"}, SHANGHAI)
    assert refused == ["from"] and wanted.since is None and wanted.until is not None
    wanted, refused = parse_filter({"from": "2026-03-10", "to": "2026-03-01"}, SHANGHAI)
    assert refused == ["to"] and wanted.until is None


def test_pages_go_back_in_time_without_gaps_or_repeats() -> None:
    log = [entry(n, actor="liu" if n % 3 == 0 else "admin") for n in range(400)]  # newest first

    async def read(before: str | None, count: int) -> list[dict]:
        start = 0 if before is None else next(i for i, e in enumerate(log) if e["id"] == before) + 1
        return log[start : start + count]

    def wanted(e: dict) -> bool:
        return e["actor"] == "liu"

    seen: list[str] = []
    before = None
    while True:
        found, before = asyncio.run(page(read, wanted, before))
        assert len(found) <= PAGE_SIZE
        seen += [e["id"] for e in found]
        if before is None:
            break
    assert seen == [e["id"] for e in log if wanted(e)]


def test_two_versions_of_rules_in_words() -> None:
    older = {"name": "月度赛", "rules": [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 1}]}
    newer = {"name": "月度赛 2", "rules": [{"on": "deal.won", "points_per": 500}, {"on": "call.logged", "points": 1}]}
    zh = rules_diff(older, newer, "zh-CN", "CNY", "Asia/Shanghai")
    assert zh.removed == ["每成交 ¥1,000 得 1 分"] and zh.added == ["每成交 ¥500 得 1 分"]
    assert zh.kept == ["电话：每次 +1 分"] and zh.other == ["新名称：月度赛 2"]
    en = rules_diff(older, newer, "en", "CNY", "Asia/Shanghai")
    assert en.added == ["1 point per ¥500 won"] and not en.empty
    assert rules_diff(older, older, "en", "CNY", "Asia/Shanghai").empty


def test_versions_show_what_changed_from_the_one_before_and_any_two_compare() -> None:
    v1 = {"rules": [{"on": "deal.won", "points_per": 1000}]}
    v2 = {"rules": [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 5}]}
    v3 = {"rules": [{"on": "call.logged", "points": 5}]}
    document = {
        "definition": v3,
        "version": 3,
        "history": [{"version": 1, "definition": v1}, {"version": 2, "definition": v2}],
        "versions": [
            {"version": 1, "at": None, "by": "a", "reason": None, "changes": []},
            {"version": 2, "at": None, "by": "a", "reason": "calls", "changes": [{"field": "rules"}]},
            {"version": 3, "at": None, "by": "b", "reason": "only calls", "changes": [{"field": "rules"}]},
        ],
    }
    view = versions_view(document, "en", "CNY", "Asia/Shanghai", ("3", "1"))
    assert [row["version"] for row in view["rows"]] == [3, 2, 1] and view["numbers"] == [3, 2, 1]
    assert view["rows"][0]["diff"].removed == ["1 point per ¥1,000 won"] and view["rows"][0]["diff"].added == []
    assert view["rows"][1]["diff"].added == ["Call: +5 points each"] and view["rows"][2]["diff"] is None
    assert (view["compare"]["from"], view["compare"]["to"]) == (1, 3)
    assert view["compare"]["diff"].added == ["Call: +5 points each"]
    assert versions_view(document, "en", "CNY", "Asia/Shanghai", ("9", "x"))["compare"] is None
