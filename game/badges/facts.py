"""What badges are judged on: a rep's won deals that still stand, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Fact:
    deal: str
    amount: Decimal
    at: datetime
    new_customer: bool

    @classmethod
    def parse(cls, deal: str, raw: str) -> Fact:
        """``amount|epoch|new`` as apply_xp.lua stores it."""
        amount, epoch, new = raw.split("|")
        return cls(deal, Decimal(amount), datetime.fromtimestamp(int(epoch), UTC), new == "1")


@dataclass(frozen=True)
class Period:
    """A badge period: its key (``2026-11``, ``2026-W47``…) and its local date range [start, end)."""

    kind: str
    key: str
    start: date
    end: date

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        return self.start <= moment.astimezone(zone).date() < self.end


def period_of(kind: str, moment: datetime, zone: ZoneInfo) -> Period:
    local = moment.astimezone(zone).date()
    if kind == "day":
        return Period(kind, local.isoformat(), local, local + timedelta(days=1))
    if kind == "week":
        start = local - timedelta(days=local.weekday())
        year, week, _ = local.isocalendar()
        return Period(kind, f"{year}-W{week:02d}", start, start + timedelta(days=7))
    if kind == "month":
        start = local.replace(day=1)
        return Period(kind, f"{local:%Y-%m}", start, (start + timedelta(days=32)).replace(day=1))
    if kind == "quarter":
        first_month = (local.month - 1) // 3 * 3 + 1
        start = local.replace(month=first_month, day=1)
        end_month = first_month + 3
        end = date(local.year + (end_month > 12), (end_month - 1) % 12 + 1, 1)
        return Period(kind, f"{local.year}-Q{(local.month - 1) // 3 + 1}", start, end)
    return Period("ever", "ever", date.min, date.max)


def months_needed(moment: datetime, zone: ZoneInfo) -> list[str]:
    """Fact months to read to judge every period around ``moment``: its quarter and the month before
    (a streak or a week may reach back across a month boundary)."""
    quarter = period_of("quarter", moment, zone)
    months = {f"{quarter.start:%Y-%m}"}
    cursor = quarter.start
    while cursor < quarter.end:
        months.add(f"{cursor:%Y-%m}")
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    local = moment.astimezone(zone).date().replace(day=1)
    months.add(f"{(local - timedelta(days=1)):%Y-%m}")
    return sorted(months)
