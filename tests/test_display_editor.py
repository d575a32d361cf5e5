"""A new TV display's default: the main live contest — live, never a head-to-head, the widest, then the longest."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from server.web.display_editor import main_live_contest, slide_choices

PEOPLE = Directory(
    reps={f"r{n}": Rep(f"r{n}", f"销售 {n}", "east" if n < 4 else "west") for n in range(6)},
    teams={"east": Team("east", "华东"), "west": Team("west", "华西")},
)


def contest(now: datetime, contest_id: str, days_ago: int, days_left: int, **extra: Any) -> Contest:
    definition = {
        "id": contest_id,
        "name": contest_id,
        "starts_at": (now - timedelta(days=days_ago)).isoformat(),
        "ends_at": (now + timedelta(days=days_left)).isoformat(),
        "rules": [{"on": "deal.won", "points_per": 1000}],
        **extra,
    }
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


def test_the_main_live_contest_is_the_widest_live_one_and_never_a_head_to_head(now: datetime) -> None:
    duel = contest(now, "duel", 1, 2, kind="head_to_head", sides=["r0", "r1"])
    east = contest(now, "east", 10, 20, teams=["east"])
    everyone = contest(now, "everyone", 5, 25)
    upcoming = contest(now, "upcoming", -2, 40)
    assert main_live_contest([duel, east, everyone, upcoming], now, PEOPLE) is everyone
    assert main_live_contest([duel, east], now, PEOPLE) is east
    assert main_live_contest([duel, upcoming], now, PEOPLE) is None
    longer = contest(now, "longer", 10, 50)
    assert main_live_contest([everyone, longer], now, PEOPLE) is longer  # as wide: the longer one

    choices = slide_choices([duel, east, everyone, upcoming], now, PEOPLE)
    assert choices["main"] == "everyone"
    assert [b["id"] for b in choices["boards"]][:1] == ["contest:everyone"]
    assert choices["boards"][-1]["status"] == "scheduled"
    assert all(b["preview"] == f"/admin/contests/{b['id'][8:]}" for b in choices["boards"])
