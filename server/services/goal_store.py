"""Goals and the organisation's working-day calendar in Redis (``{cfg}``, beside the directory)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.goals import Goal
from game.work_calendar import WorkCalendar, calendar_of
from server.services.audit_store import queue_entry


class GoalStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def all(self) -> list[Goal]:
        stored = await self.redis.hvals(keys.GOALS)
        return sorted((Goal.from_dict(json.loads(raw)) for raw in stored), key=lambda goal: goal.id)

    async def put(
        self, goals: Iterable[Goal], removed: Iterable[str] = (), *, actor: str, target: str, breakdown: bool = False
    ) -> None:
        """Write goals and drop others in one transaction, with the audit entry that says who and why."""
        pipe = self.redis.pipeline(transaction=True)
        gone, written = list(removed), list(goals)
        if gone:
            pipe.hdel(keys.GOALS, *gone)
        for goal in written:
            pipe.hset(keys.GOALS, goal.id, json.dumps(goal.as_dict(), ensure_ascii=False))
        action = "goal.breakdown" if breakdown else "goal.put"
        data = {"goals": [goal.as_dict() for goal in written], "removed": gone}
        queue_entry(pipe, actor, action, target, json.dumps(data, ensure_ascii=False))
        await pipe.execute()

    async def calendar(self) -> dict[str, Any]:
        raw = await self.redis.get(keys.WORK_CALENDAR)
        return json.loads(raw) if raw else {"country": "CN", "holidays": [], "workdays": []}

    async def work_calendar(self) -> WorkCalendar:
        """The organisation's working days: the public calendar of its country and its own overrides."""
        return work_calendar(await self.calendar())

    async def put_calendar(self, document: Mapping[str, Any], *, actor: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(keys.WORK_CALENDAR, json.dumps(document))
        queue_entry(pipe, actor, "calendar.put", "calendar", json.dumps(document))
        await pipe.execute()


def work_calendar(document: Mapping[str, Any]) -> WorkCalendar:
    return calendar_of(
        str(document.get("country", "CN")),
        (date.fromisoformat(day) for day in document.get("holidays", ())),
        (date.fromisoformat(day) for day in document.get("workdays", ())),
    )
