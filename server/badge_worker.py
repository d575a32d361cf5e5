"""Judges live badges after deals land, off the request path, coalescing bursts per rep.

Ingestion only notes which reps (and which moments) changed; this worker reads those reps' standing
facts, asks the pure judges in ``game.badges`` what they hold, and writes awards and revocations in one
optimistic transaction (WATCH on the facts, so a concurrent change makes it judge again). New awards and
revocations ring the badge doorbell; hubs turn them into ``badge`` messages for the screens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError

from game import keys
from game.badges import judge_live_badges
from game.badges.facts import Fact, months_needed
from server.registry import Registry

log = logging.getLogger("arena.badges")
MAX_PENDING_REPS = 10_000


class BadgeWorker:
    def __init__(self, redis: Redis, registry: Registry, zone: ZoneInfo) -> None:
        self.redis = redis
        self.registry = registry
        self.zone = zone
        self._pending: OrderedDict[str, set[int]] = OrderedDict()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="badge-worker")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def touch(self, rep: str, *moments: int) -> None:
        """Note that ``rep``'s deals around these times (epoch seconds) changed."""
        if rep not in self._pending and len(self._pending) >= MAX_PENDING_REPS:
            self._pending.popitem(last=False)  # bounded: the oldest is judged again on its next deal
            log.warning("badge queue full; dropped the oldest pending rep")
        self._pending.setdefault(rep, set()).update(m for m in moments if m)
        self._idle.clear()
        self._wake.set()

    async def drained(self) -> None:
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                rep, moments = self._pending.popitem(last=False)
                try:
                    await self.judge(rep, moments)
                except (RedisError, OSError) as exc:
                    log.warning("badge judging for %s failed (%s); will retry", rep, exc)
                    self.touch(rep, *moments)
                    await asyncio.sleep(1)
            self._idle.set()

    async def judge(self, rep: str, moments: set[int]) -> list[dict[str, Any]]:
        """Bring ``rep``'s live badges for the periods around ``moments`` in line with the facts."""
        definitions = (await self.registry.current()).badges
        instants = [datetime.fromtimestamp(m, UTC) for m in sorted(moments)]
        months = sorted({month for instant in instants for month in months_needed(instant, self.zone)})
        fact_keys = [keys.xp_facts(rep, month) for month in months]
        badge_key = keys.badges(rep)
        for _attempt in range(5):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(badge_key, keys.XP_DEAL_COUNTS, *fact_keys)
                    facts = [
                        Fact.parse(deal.decode(), raw.decode())
                        for key in fact_keys
                        for deal, raw in (await pipe.hgetall(key)).items()
                    ]
                    lifetime = int(await pipe.hget(keys.XP_DEAL_COUNTS, rep) or 0)
                    held = {k.decode(): json.loads(v) for k, v in (await pipe.hgetall(badge_key)).items()}
                    judged, earned = judge_live_badges(definitions, facts, instants, self.zone, lifetime)
                    new = [earned[k] for k in earned if k not in held]
                    gone = [k for k in judged if k in held and k not in earned]
                    if not new and not gone:
                        return []
                    now = datetime.now(UTC).isoformat()
                    pipe.multi()
                    changes: list[dict[str, Any]] = []
                    for award in new:
                        record = {
                            "badge": award.badge,
                            "period": award.period,
                            "awarded_at": now,
                            "basis": list(award.basis),
                        }
                        pipe.hset(badge_key, award.key, json.dumps(record))
                        changes.append({"rep": rep, "action": "awarded", **record})
                    for key in gone:
                        pipe.hdel(badge_key, key)
                        changes.append({"rep": rep, "action": "revoked", **held[key]})
                    for change in changes:
                        pipe.publish(keys.BADGE_CHANNEL, json.dumps(change, ensure_ascii=False))
                        pipe.xadd(keys.BADGE_FEED, {"c": json.dumps(change)}, maxlen=keys.BADGE_FEED_MAX)  # notifier
                    await pipe.execute()
                    return changes
                except WatchError:
                    continue
        log.warning("badges of %s kept changing; judged again on the next deal", rep)
        return []
