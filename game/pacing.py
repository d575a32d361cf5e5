"""Pacing against a linear path to the target: "63 % of target with 9 days left — on track"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Pace:
    target: int
    percent: float  # of the target reached so far
    expected_percent: float  # where a linear pace would be now
    status: str  # reached | on_track | behind
    days_left: float

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "percent": round(self.percent, 1),
            "expected_percent": round(self.expected_percent, 1),
            "status": self.status,
            "days_left": round(self.days_left, 1),
        }


def pace(points: int, target: int, starts_at: datetime, ends_at: datetime, now: datetime) -> Pace:
    """Compare points with a straight line from zero at the start to the target at the end."""
    span = (ends_at - starts_at).total_seconds()
    elapsed = min(max((now - starts_at).total_seconds(), 0.0), span)
    expected = 100.0 * elapsed / span if span > 0 else 100.0
    percent = 100.0 * points / target if target > 0 else 0.0
    status = "reached" if points >= target else ("on_track" if percent >= expected else "behind")
    return Pace(target, percent, expected, status, max((ends_at - now).total_seconds(), 0.0) / 86400)
