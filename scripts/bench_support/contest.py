"""The contest the ingest and memory benchmarks score: deals by amount, capped calls and meetings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def bench_contest(contest_id: str, now: datetime) -> dict[str, Any]:
    """A contest definition running from 40 days before ``now`` to 10 days after (the simulated month fits)."""
    return {
        "id": contest_id,
        "name": "Bench",
        "starts_at": (now - timedelta(days=40)).isoformat(),
        "ends_at": (now + timedelta(days=10)).isoformat(),
        "team_score": "sum",
        "multipliers": {"category": {"high_margin": 1.5}},
        "rules": [
            {"on": "deal.won", "points_per": 1000},
            {"on": "call.logged", "points": 1, "cap_per_day": 40},
            {"on": "meeting.held", "points": 5},
        ],
    }
