"""Freezing the organisation's working-day calendar into a contest definition when it is saved (``cap_days``).

A new contest counts its daily caps per working day unless it says ``"cap_days": "calendar"``; a changed contest
keeps the choice it had (a definition saved before the choice existed counts calendar days, so its scores never
change). The days off of the contest's span are copied into the definition (``days_off``) from the calendar as it
is now, unless the definition lists its own: a rescore then reads them from the definition, never from the
calendar, which may have changed since (``game/cap_days.py``). Saving the contest again without ``days_off``
takes up a changed calendar, as saving it again takes up a changed goal (``targets_from_goal``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from game.errors import Collector
from game.events import parse_time
from game.ranking import MAX_CONTEST_SECONDS

if TYPE_CHECKING:
    from server.arena import Arena


async def freeze_cap_calendar(arena: Arena, body: dict[str, Any], stored: dict[str, Any] | None) -> None:
    """Fill in ``cap_days`` and ``days_off`` of a definition about to be saved (``stored``: the definition it
    replaces, None for a new contest). A definition at fault is left as it is, for validation to explain."""
    if "cap_days" not in body:
        body["cap_days"] = "working" if stored is None else stored.get("cap_days", "calendar")
    if body["cap_days"] != "working" or "days_off" in body:
        return
    rules = body.get("rules")
    if not isinstance(rules, list) or not any(isinstance(rule, dict) and rule.get("cap_per_day") for rule in rules):
        return  # nothing is capped: no days to keep (saving the contest with a cap takes them)
    errors = Collector()
    starts, ends = parse_time(body.get("starts_at"), errors, "s"), parse_time(body.get("ends_at"), errors, "e")
    try:
        zone = ZoneInfo(str(body.get("timezone") or arena.settings.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return
    if starts is None or ends is None or not timedelta(0) < ends - starts <= timedelta(seconds=MAX_CONTEST_SECONDS):
        return
    calendar = await arena.goals.work_calendar()
    first, last = starts.astimezone(zone).date(), (ends - timedelta(microseconds=1)).astimezone(zone).date()
    span = (first + timedelta(days=n) for n in range((last - first).days + 1))
    body["days_off"] = [day.isoformat() for day in span if not calendar.is_working_day(day)]
