"""The sales-management quarter the journey tests share (issue 19): the quarter around a test's ``now``, the
organisation's own calendar for it — two weekdays off and a 调休 Saturday worked — with the working days counted
here to check the server against, and the deals with margins and line items that arrive in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from tests.support.org import unique

MARGIN_RULE = {"on": "deal.won", "points_per": 100, "basis": "margin", "multipliers": {"product": {"A100": 1.5}}}
REVENUE_RULE = {"on": "deal.won", "points_per": 100}
# What the console, phone and TV say of a goal's pace
STATUS = {
    "zh-CN": {"on_track": "进度正常", "behind": "落后", "reached": "已达成"},
    "en": {"on_track": "On track", "behind": "Behind", "reached": "Reached"},
}
DAYS_LEFT = {"zh-CN": "剩余 {n} 个工作日", "en": "{n} working days left"}
LINE_ITEMS = [
    {"product": "A100", "category": "hardware", "amount": "12000", "margin": "3000"},
    {"product": "S1", "category": "service", "amount": "8000", "margin": "50%"},
]


def quarter(today: date) -> tuple[str, date, date]:
    """``2026-Q4`` and its first and (exclusive) last local day."""
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = date(first.year + 1, 1, 1) if first.month == 10 else date(first.year, first.month + 3, 1)
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}", first, end


def holiday_with_make_up_saturday(today: date, start: date, end: date) -> tuple[list[date], date]:
    """Two weekdays off and a Saturday worked in the quarter, none of them today: the holiday before today where
    the quarter allows (so it changes the working days elapsed), the Saturday after it (the days given back)."""
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    pairs = [(d, d + timedelta(days=1)) for d in days[:-1] if d.weekday() < 4 and today not in (d, d + timedelta(1))]
    past = [pair for pair in pairs if pair[1] < today]
    holiday = list(past[-1] if past else pairs[0])
    saturdays = [d for d in days if d.weekday() == 5 and d != today]
    later = [d for d in saturdays if d > holiday[1]]
    return holiday, (later[0] if later else saturdays[-1])


@dataclass(frozen=True)
class WorkDays:
    period: str
    total: int  # working days in the quarter
    elapsed: int  # up to and including today

    @property
    def left(self) -> int:
        return self.total - self.elapsed

    def expected(self, target: int) -> float:
        return target * self.elapsed / self.total

    def status(self, target: int, actual: int) -> str:
        return "reached" if actual >= target else "on_track" if actual >= self.expected(target) else "behind"


def lay_out_calendar(admin: httpx.Client, today: date) -> WorkDays:
    """Set the organisation's own calendar for the quarter (through the API) and count its working days here."""
    period, start, end = quarter(today)
    holiday, make_up = holiday_with_make_up_saturday(today, start, end)
    calendar = {"country": "OTHER", "holidays": [d.isoformat() for d in holiday], "workdays": [make_up.isoformat()]}
    assert admin.put("/api/v1/org/calendar", json=calendar).json() == calendar

    def working(day: date) -> bool:
        return day == make_up or (day not in holiday and day.weekday() < 5)

    days = [start + timedelta(days=n) for n in range((end - start).days)]
    total = sum(map(working, days))
    assert total == sum(d.weekday() < 5 for d in days) - 1  # two days off, one given back
    return WorkDays(period, total, sum(working(d) for d in days if d <= today))


def margin_deals(star: str, partner: str, other: str, at: datetime) -> list[dict[str, Any]]:
    """36,000 at 25 % margin; 20,000 in two lines (3,000 and 50 % margin); 10,000 at 3,000 margin."""
    deals = [
        {"rep": star, "amount": "36000", "margin": "25%"},
        {"rep": partner, "amount": "20000", "items": LINE_ITEMS},
        {"rep": other, "amount": "10000", "margin": "3000"},
    ]
    return [{"id": unique("evt"), "type": "deal.won", "occurred_at": at.isoformat(), **d} for d in deals]
