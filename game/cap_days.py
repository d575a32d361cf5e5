"""Daily caps by working day: the day whose cap an event counts against.

A rule's ``cap_per_day`` counts per local day in the contest's time zone. A contest with ``"cap_days": "working"``
counts it per working day instead: an event on a day off (a weekend, a public holiday) counts against the cap of
the working day before it, so work on days off cannot earn caps of its own (a 调休 Saturday, being a working day,
has its own). The days off are frozen into the definition when it is saved (``days_off``: every day off within
the contest's span, taken from the organisation's calendar by ``server/services/cap_calendar.py``), so a rescore
from the log gives exactly the live scores even after that calendar changes. Without ``days_off``, Saturdays and
Sundays are the days off. A definition without ``cap_days`` counts calendar days, as before the choice existed.

The day is decided here, once per event, and handed to the write script and to the replay as the change's
``day``: both key the cap group by it, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from game.errors import Collector
from game.ranking import MAX_CONTEST_SECONDS

if TYPE_CHECKING:
    from game.contests import Contest

CAP_DAYS = ("calendar", "working")
MAX_DAYS_OFF = MAX_CONTEST_SECONDS // 86400 + 2  # every day of the longest contest


@dataclass(frozen=True)
class WorkingDayCaps:
    """A contest's caps count per working day; ``days_off`` as frozen into its definition (None: weekends)."""

    days_off: frozenset[date] | None = None

    def is_off(self, day: date) -> bool:
        return day in self.days_off if self.days_off is not None else day.weekday() >= 5


def cap_day(day: date, first: date, caps: WorkingDayCaps | None) -> date:
    """The day whose cap an event of local ``day`` counts against: itself, or (by working days) the last working
    day before it, never before the contest's ``first`` local day (days off that open a contest count there)."""
    if caps is None:
        return day
    while day > first and caps.is_off(day):
        day -= timedelta(days=1)
    return day


def contest_cap_day(contest: Contest, moment: datetime) -> str:
    """``cap_day`` of an event at ``moment``, as the local date string the cap group is keyed by."""
    zone = contest.zone
    local = moment.astimezone(zone).date()
    if contest.working_day_caps is None:
        return local.isoformat()
    return cap_day(local, contest.starts_at.astimezone(zone).date(), contest.working_day_caps).isoformat()


def parse_cap_days(raw: dict[str, Any], errors: Collector) -> WorkingDayCaps | None:
    """``cap_days`` ("calendar", the default, or "working") and the ``days_off`` a working-day contest keeps."""
    choice = raw.get("cap_days", "calendar")
    if choice not in CAP_DAYS:
        errors.add("cap_days", 'must be "calendar" (caps per calendar day) or "working" (per working day)')
    listed = raw.get("days_off")
    days: set[date] = set()
    if listed is not None:
        if not isinstance(listed, list) or len(listed) > MAX_DAYS_OFF:
            errors.add("days_off", f"must be a list of at most {MAX_DAYS_OFF} dates (YYYY-MM-DD)")
            listed = []
        for index, value in enumerate(listed):
            try:
                days.add(date.fromisoformat(value))
            except (TypeError, ValueError):
                errors.add(f"days_off[{index}]", "must be a date (YYYY-MM-DD)")
    if choice != "working":
        return None
    return WorkingDayCaps(frozenset(days) if listed is not None else None)
