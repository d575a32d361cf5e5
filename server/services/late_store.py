"""Events that came past a contest's grace period, kept per contest until a manager applies or dismisses them.

Such an event is in the event log like any other, but it changes no closed board by itself: a rescore
replays only the late events a manager applied (``unapplied`` names the others). A decision and its audit
entry land in one transaction, and only on an event still pending, so two managers cannot both decide.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from game import keys
from game.events import Event
from game.store import text
from server.services.audit_store import queue_entry

MAX_LATE = 5000  # per contest: beyond this, new late events are still answered as late but not kept


def late_record(event: Event, why: str) -> dict[str, Any]:
    """What the managers' list shows of a late event (``why``: ``dated`` in the window, or ``reverses`` a deal
    that scored in it)."""
    record: dict[str, Any] = {
        "id": event.id,
        "key": event.key,
        "source": event.source,
        "type": event.type,
        "rep": event.rep,
        "occurred_at": event.occurred_at.isoformat(),
        "received_at": event.received_at.isoformat(),
        "why": why,
        "status": "pending",
    }
    for name in ("ref", "category"):
        if getattr(event, name) is not None:
            record[name] = getattr(event, name)
    if event.amount is not None:
        record["amount"] = str(event.amount)
    return record


class LateEventStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def keep(self, found: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Keep (contest, record) pairs; a late event seen again keeps its first record and any decision."""
        if not found:
            return
        pipe = self.redis.pipeline(transaction=False)
        for contest_id, _ in found:
            pipe.hlen(keys.late_events(contest_id))
        sizes = await pipe.execute()
        pipe = self.redis.pipeline(transaction=False)
        for (contest_id, record), size in zip(found, sizes, strict=True):
            if int(size) < MAX_LATE:
                pipe.hsetnx(keys.late_events(contest_id), record["key"], json.dumps(record, ensure_ascii=False))
        await pipe.execute()

    async def listed(self, contest_id: str) -> list[dict[str, Any]]:
        """Every late event of a contest, oldest received first."""
        raw = await self.redis.hvals(keys.late_events(contest_id))
        return sorted((json.loads(value) for value in raw), key=lambda r: (r["received_at"], r["key"]))

    async def unapplied(self, contest_id: str) -> set[str]:
        """Keys of the late events a rescore leaves out: pending or dismissed."""
        return {r["key"] for r in await self.listed(contest_id) if r.get("status") != "applied"}

    async def find(self, contest_id: str, event: str) -> dict[str, Any] | None:
        """A late event by its key (``source:id``) or its id."""
        raw = await self.redis.hget(keys.late_events(contest_id), event)
        if raw is not None:
            return dict(json.loads(raw))
        matches = [r for r in await self.listed(contest_id) if r["id"] == event]
        return matches[0] if matches else None

    async def decide(self, contest_id: str, record: Mapping[str, Any], actor: str, audit: Mapping[str, Any]) -> bool:
        """Record a decision on a pending late event with its audit entry; False if it was decided already."""
        key = keys.late_events(contest_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                current = await pipe.hget(key, record["key"])
                if current is None or json.loads(text(current)).get("status") != "pending":
                    return False
                pipe.multi()
                pipe.hset(key, record["key"], json.dumps(record, ensure_ascii=False))
                action = "contest.late.apply" if record["status"] == "applied" else "contest.late.dismiss"
                data = json.dumps(audit, ensure_ascii=False)
                queue_entry(pipe, actor, action, contest_id, data, at=record["decided_at"])
                await pipe.execute()
            except WatchError:
                return False
        return True
