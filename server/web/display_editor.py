"""What the display editor offers: the contests a slide may show, the main live contest first (a new display's
default), each with a link to preview its board in the console."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from game.contests import Contest
from game.directory import Directory


def main_live_contest(contests: Iterable[Contest], now: datetime, directory: Directory) -> Contest | None:
    """The contest a new TV should show: a live one, never a head-to-head (two sides are not a floor's board),
    the widest (the most reps taking part), then the longest, then the latest started. None when none is live."""
    live = [c for c in contests if c.status_at(now) == "live" and c.kind != "head_to_head"]
    if not live:
        return None

    def reach(contest: Contest) -> tuple[int, float, datetime]:
        reps = sum(1 for r in directory.reps.values() if r.active and contest.includes(r.id, r.team))
        return reps, (contest.ends_at - contest.starts_at).total_seconds(), contest.starts_at

    return max(live, key=reach)


def slide_choices(contests: Iterable[Contest], now: datetime, directory: Directory) -> dict[str, Any]:
    """The boards a slide may show, the main live contest first, and which one is the default."""
    shown = [c for c in contests if c.state != "archived"]
    main = main_live_contest(shown, now, directory)
    ordered = sorted(shown, key=lambda c: (c is not main, c.status_at(now) != "live", -c.starts_at.timestamp()))
    boards = [
        {
            "id": f"contest:{c.id}",
            "name": c.name,
            "status": c.status_at(now),
            "teams": f"contest:{c.id}:teams",
            "preview": f"/admin/contests/{c.id}",
        }
        for c in ordered
    ]
    return {"boards": boards, "main": main.id if main else None}
