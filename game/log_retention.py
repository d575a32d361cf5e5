"""How long the event log keeps events, and why a forgotten event can never be counted twice.

The retention job trims the log entries (and their dedupe entries) received before ``trim_before``. An entry
is received at most ``MAX_FUTURE_SECONDS`` before the time it says it occurred, so every trimmed event occurred
before ``trim_before`` plus a few minutes. Ingestion refuses events that occurred before ``earliest_accepted``,
a day later than that: an event sent again after its dedupe entry was trimmed is refused for its age instead of
being counted as new (the day also covers a Redis clock a few hours off the server's).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from game.events import MAX_FUTURE_SECONDS

MARGIN = timedelta(days=1)


def trim_before(now: datetime, days: int) -> datetime:
    """Log entries received before this moment are trimmed."""
    return now - timedelta(days=days)


def earliest_accepted(now: datetime, days: int) -> datetime:
    """Events that occurred before this moment are refused: the log may have forgotten them already."""
    return trim_before(now, days) + MARGIN


def replayable(starts_at: datetime, trimmed_before: datetime | None) -> bool:
    """Whether the log still holds every event of a contest that starts at ``starts_at`` (a rescore would lose the
    trimmed ones): events are received at most ``MAX_FUTURE_SECONDS`` before they occur."""
    return trimmed_before is None or starts_at - timedelta(seconds=MAX_FUTURE_SECONDS) >= trimmed_before
