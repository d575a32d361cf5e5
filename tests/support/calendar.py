"""Dates for tests that talk to a running server, laid out around the moment the test runs.

The server judges events by its own clock: a contest scores what it receives while it is live (or within its
grace period), and an event dated more than five minutes ahead is refused. A test that wrote fixed dates would
pass only while those dates stayed inside a live contest, so every date a test sends is built here from one
``now``: contests that started a month ago and end two months ahead, and deals on past local days inside them.
Tests of pure logic that pass their own ``now`` to the engine keep the calendar they build themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the test server's default time zone (ARENA_TIMEZONE's default)
LOOKBACK_DAYS = 30  # how far back a test's contest starts: room for a month of past days to write on
LIVE_DAYS = 60  # how far ahead it ends, so it stays live for the whole run


@dataclass(frozen=True)
class Calendar:
    """Past local days around one ``now``, all inside the window that ``starts`` and ``ends`` mark."""

    now: datetime
    zone: ZoneInfo = SHANGHAI

    @classmethod
    def from_clock(cls, zone: ZoneInfo = SHANGHAI) -> Calendar:
        return cls(datetime.now(UTC), zone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def day(self, days_ago: int) -> date:
        """The local date ``days_ago`` days before today."""
        return self.today - timedelta(days=days_ago)

    def moment(self, days_ago: int = 1, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
        """A local time on a day before today: in the past whatever the hour (``days_ago`` ≥ 1)."""
        if not 1 <= days_ago <= LOOKBACK_DAYS:
            raise ValueError(f"days_ago must lie within the contests' window: 1..{LOOKBACK_DAYS}")
        return datetime.combine(self.day(days_ago), time(hour, minute, second), self.zone)

    def at(self, days_ago: int = 1, hour: int = 10, minute: int = 0, second: int = 0) -> str:
        """``moment`` as the ISO 8601 text an event's ``occurred_at`` carries (with its +08:00 offset)."""
        return self.moment(days_ago, hour, minute, second).isoformat()

    def date_text(self, days_ago: int) -> str:
        """A bare local date, as CRMs and CSV files write a closing date."""
        return self.day(days_ago).isoformat()

    def past_week(self, weeks_ago: int = 2) -> dict[str, date]:
        """The local days of a week ``weeks_ago`` weeks before this one, by name (``mon`` … ``sun``) with the
        Monday and Tuesday after it (``next_mon``, ``next_tue``): all before today for ``weeks_ago`` ≥ 2, and
        within this month and the last."""
        monday = self.today - timedelta(days=self.today.weekday() + 7 * weeks_ago)
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "next_mon", "next_tue")
        return {name: monday + timedelta(days=offset) for offset, name in enumerate(names)}

    @property
    def this_month(self) -> datetime:
        """Local midnight of the 1st of this month: the org's months are the zone's, not UTC's (on New Year's
        Eve evening in UTC it is already January in Shanghai)."""
        return datetime.combine(self.today.replace(day=1), time(0), self.zone)

    def last_month(self, days_before_its_end: int = 3, hour: int = 10) -> datetime:
        """A local time in last month, ``days_before_its_end`` days before this month began."""
        return datetime.combine(self.this_month.date() - timedelta(days=days_before_its_end), time(hour), self.zone)

    @property
    def starts(self) -> str:
        """Local midnight ``LOOKBACK_DAYS`` days ago: every day ``at`` gives lies after it."""
        return datetime.combine(self.day(LOOKBACK_DAYS), time(0), self.zone).isoformat()

    def ends(self, days: int = LIVE_DAYS) -> str:
        """``days`` after now: live while the suite runs."""
        return (self.now + timedelta(days=days)).isoformat()

    def earlier_today(self, minutes_ago: float = 0) -> datetime:
        """A moment ``minutes_ago`` before now on today's local date, for tests of "today" (XP's day, a hat
        trick). In the first minutes after local midnight that would be yesterday; then it is seconds after
        now instead (the server takes events up to five minutes ahead), still later for fewer minutes ago."""
        if not 0 <= minutes_ago <= 60:
            raise ValueError("minutes_ago: 0..60")
        moment = self.now - timedelta(minutes=minutes_ago)
        if moment.astimezone(self.zone).date() == self.today:
            return moment
        return self.now + timedelta(seconds=61 - minutes_ago)

    def from_now(self, **delta: float) -> str:
        """``now`` moved by a ``timedelta``'s arguments, for windows around the server's own clock."""
        return (self.now + timedelta(**delta)).isoformat()
