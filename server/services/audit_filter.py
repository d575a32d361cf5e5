"""The audit log narrowed the way a manager asks: by who, what, which contest/rep/team and when — pure.

Entries are read newest first in chunks (``page``); a page stops after ``PAGE_SIZE`` matches or after
``MAX_SCANNED`` entries read, whichever comes first, and says where the next page starts, so one page of a
narrow filter never reads the whole stream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PAGE_SIZE = 50
CHUNK = 500
MAX_SCANNED = 10_000
Entry = dict[str, Any]


@dataclass(frozen=True)
class AuditFilter:
    """Empty fields do not narrow. ``actor`` and ``target`` match a part of the name, any case; ``action`` is a
    code or the start of one (``contest.`` for every contest action); ``since``/``until`` bound ``at``."""

    actor: str = ""
    action: str = ""
    target: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, entry: Mapping[str, Any]) -> bool:
        if self.actor and self.actor.casefold() not in str(entry.get("actor", "")).casefold():
            return False
        code = str(entry.get("action", ""))
        if self.action and not (code == self.action or (self.action.endswith(".") and code.startswith(self.action))):
            return False
        if self.target and self.target.casefold() not in str(entry.get("target", "")).casefold():
            return False
        if self.since or self.until:
            at = _moment(entry.get("at"))
            if at is None or (self.since and at < self.since) or (self.until and at >= self.until):
                return False
        return True


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filter(query: Mapping[str, str], zone: ZoneInfo) -> tuple[AuditFilter, list[str]]:
    """The filter a query string asks for (``from``/``to`` are local days, both included) and the names of the
    fields it could not read (left out of the filter)."""
    refused = [name for name in ("from", "to") if query.get(name) and _day(query.get(name)) is None]
    first, last = _day(query.get("from")), _day(query.get("to"))
    if first and last and last < first:
        refused.append("to")
        last = None
    return (
        AuditFilter(
            actor=query.get("actor", "").strip()[:100],
            action=query.get("action", "").strip()[:100],
            target=query.get("target", "").strip()[:100],
            since=datetime.combine(first, time(0), zone) if first else None,
            until=datetime.combine(last + timedelta(days=1), time(0), zone) if last else None,
        ),
        refused,
    )


async def page(
    read: Callable[[str | None, int], Awaitable[list[Entry]]],
    wanted: Callable[[Entry], bool],
    before: str | None,
) -> tuple[list[Entry], str | None]:
    """One page of the entries ``wanted`` keeps, newest first, older than ``before``; and the id the next page
    starts after (None when the log has no older entries)."""
    found: list[Entry] = []
    scanned = 0
    cursor = before
    while scanned < MAX_SCANNED:
        chunk = await read(cursor, CHUNK)
        for entry in chunk:
            scanned += 1
            cursor = entry["id"]
            if wanted(entry):
                found.append(entry)
                if len(found) == PAGE_SIZE:
                    return found, cursor
        if len(chunk) < CHUNK:
            return found, None
    return found, cursor
