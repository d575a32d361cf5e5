"""Points adjustments: what an accepted dispute grants, as an event in the log like any other.

An adjustment is the event ``points.adjusted`` (written only by the server, source ``dispute``) whose ``attrs``
name one contest and a whole number of points, positive or negative. The engine scores it as exactly those
points in exactly that contest, whatever the contest's rules, so the live write, a rescore and the simulator's
replay all count it the same; it scores like any event only where the contest's window covers its
``occurred_at`` and the rep takes part.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from game.events import ADJUSTMENT_SOURCE, ADJUSTMENT_TYPE, Event

ADJUSTMENT_RULE = -1  # the rule index a ledger line of an adjustment carries: no rule of the contest
MAX_ADJUSTMENT = 1_000_000  # points either way, as much as one rule may give one event


def adjustment_points(event_type: str, attrs: Mapping[str, Any], contest_id: str) -> int | None:
    """The points an event adjusts ``contest_id`` by, or None when it is no adjustment of that contest."""
    if event_type != ADJUSTMENT_TYPE or attrs.get("contest") != contest_id:
        return None
    points = attrs.get("points")
    if isinstance(points, bool) or not isinstance(points, int) or not 0 < abs(points) <= MAX_ADJUSTMENT:
        return None
    return points


def adjustment_event(
    *,
    dispute: str,
    contest: str,
    rep: str,
    team: str | None,
    points: int,
    occurred_at: datetime,
    now: datetime,
) -> Event:
    """The event that grants an accepted dispute's points; its id is the dispute's, so writing it twice is one
    adjustment."""
    return Event(
        id=f"dispute-{dispute}",
        type=ADJUSTMENT_TYPE,
        rep=rep,
        occurred_at=occurred_at,
        received_at=now,
        source=ADJUSTMENT_SOURCE,
        team=team,
        attrs={"contest": contest, "points": points, "dispute": dispute},
    )


def adjustment_time(starts_at: datetime, ends_at: datetime, line_at: datetime | None, now: datetime) -> datetime:
    """When an adjustment counts: at the disputed line when there is one, else now; always inside the contest's
    window, so a replay of the contest's period (which selects by ``occurred_at``) includes it."""
    return max(starts_at, min(line_at or now, now, ends_at - timedelta(seconds=1)))
