"""Judges live badges after deals land, off the request path, coalescing bursts per rep.

Ingestion only notes which reps (and which moments) changed; this worker reads a batch of those reps'
standing facts in one round trip, asks the pure judges in ``game.badges`` what they hold, and writes
awards and revocations in a second round trip through the store's one badge write path
(``Store.sync_badges``, ``sync_badges.lua``), which refuses a judgement whose facts have moved on
meanwhile (the rep is judged again with the new ones). New awards and revocations go to the badge feed
(for chat notifications) and ring the badge doorbell for the screens; the scheduler's badges decided by
time take the same path.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError

from game.badges import judge_live_badges
from game.badges.facts import months_needed
from game.badges.record_breaker import late_months
from game.badges.streak import on_calendar
from game.store import BadgeSync, Store
from game.work_calendar import WorkCalendar
from server.services.registry import Registry
from server.tasks import stop_task

log = logging.getLogger("arena.badges")
MAX_PENDING_REPS = 10_000
BATCH = 100  # reps judged per round trip
# Judging rounds start at most every ROUND_SECONDS, and at most every ROUND_SHARE rounds' lengths: under a
# burst of deals a rep's facts (a month of them) are read and judged once per round, not once per deal, and
# the worker takes a bounded share of the process however busy ingestion is, while a lone deal is judged at
# once. A badge is recognition, not a race: a second later is unseen, the CPU saved goes to ingestion.
ROUND_SECONDS = 0.25
ROUND_SHARE = 10  # a round that took t seconds is followed by the next no sooner than 10 t after it began
MAX_ROUND_SECONDS = 2.0


async def _weekends() -> WorkCalendar:
    return WorkCalendar("OTHER")


class BadgeWorker:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        zone: ZoneInfo,
        calendar: Callable[[], Awaitable[WorkCalendar]] | None = None,
    ) -> None:
        self.store = store
        # the organisation's working days, which streak badges without days of their own follow
        self.calendar = calendar or _weekends
        self.registry = registry
        self.zone = zone
        self._pending: OrderedDict[str, set[int]] = OrderedDict()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="badge-worker")

    async def stop(self) -> None:
        await stop_task(self._task)

    def touch(self, rep: str, *moments: int) -> None:
        """Note that ``rep``'s deals around these times (epoch seconds) changed."""
        if rep not in self._pending and len(self._pending) >= MAX_PENDING_REPS:
            self._pending.popitem(last=False)  # bounded: the oldest is judged again on its next deal
            log.warning("badge queue full; dropped the oldest pending rep")
        self._pending.setdefault(rep, set()).update(m for m in moments if m)
        self._wake.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        started, interval = -ROUND_SECONDS, ROUND_SECONDS
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(max(0.0, started + interval - loop.time()))  # deals meanwhile join this round
            started = loop.time()
            await self._round()
            took = loop.time() - started
            interval = min(MAX_ROUND_SECONDS, max(ROUND_SECONDS, took * ROUND_SHARE))

    async def _round(self) -> None:
        """Judge the reps pending now, in batches."""
        left = len(self._pending)  # this round's reps; those touched while it runs wait for the next
        while left > 0 and self._pending:
            batch = [self._pending.popitem(last=False) for _ in range(min(BATCH, left, len(self._pending)))]
            left -= len(batch)
            try:
                stale = await self.judge_many(batch)
            except (RedisError, OSError) as exc:
                log.warning("badge judging failed (%s); will retry", exc)
                stale = batch
                await asyncio.sleep(1)
            except Exception:  # something about one rep's data: judge the others without it
                stale = await self._judge_one_by_one(batch)
            for rep, moments in stale:  # the facts moved on while we judged: again, with the new ones
                self.touch(rep, *moments)

    async def _judge_one_by_one(self, batch: list[tuple[str, set[int]]]) -> list[tuple[str, set[int]]]:
        """A batch failed for a reason retrying will not fix: each rep alone, so one rep's unreadable data
        costs only that rep's badges (judged again on their next deal), not the worker."""
        stale: list[tuple[str, set[int]]] = []
        for item in batch:
            try:
                stale += await self.judge_many([item])
            except (RedisError, OSError):
                stale.append(item)
            except Exception:
                log.exception("badges of %s could not be judged; again on their next deal", item[0])
        return stale

    async def judge(self, rep: str, moments: set[int]) -> list[dict[str, Any]]:
        """Judge one rep now (tests and tools); the worker judges in batches."""
        for _attempt in range(5):
            changes: list[dict[str, Any]] = []
            if not await self.judge_many([(rep, moments)], changes):
                return changes
        log.warning("badges of %s kept changing; judged again on the next deal", rep)
        return []

    async def judge_many(
        self, batch: list[tuple[str, set[int]]], changes_out: list[dict[str, Any]] | None = None
    ) -> list[tuple[str, set[int]]]:
        """Bring the live badges of a batch of reps in line with their facts: one round trip to read,
        one to write; returns the reps whose facts changed meanwhile (to judge again)."""
        definitions = (await self.registry.current()).badges
        if any(badge.kind == "streak" for badge in definitions):
            holidays, workdays = (await self.calendar()).exceptions()
            definitions = [on_calendar(badge, holidays, workdays) for badge in definitions]
        plans = []
        for rep, moments in batch:
            instants = [datetime.fromtimestamp(m, UTC) for m in sorted(moments)]
            months = sorted({month for instant in instants for month in months_needed(instant, self.zone)})
            plans.append((rep, moments, instants, months))
        standings = await self.store.read_badge_standings([(rep, months) for rep, _, _, months in plans])
        syncs: list[BadgeSync] = []
        written: list[tuple[str, set[int]]] = []
        clock = datetime.now(UTC)
        now = clock.isoformat()
        late = {(month, rep) for rep, _, instants, _ in plans for month in late_months(instants, self.zone, clock)}
        await self.store.note_late_dealers(late)
        for (rep, moments, instants, _), standing in zip(plans, standings, strict=True):
            held = standing.held
            judged, earned = judge_live_badges(definitions, standing.facts, instants, self.zone, standing.lifetime)
            new = [earned[k] for k in earned if k not in held]
            gone = [k for k in judged if k in held and k not in earned]
            if not new and not gone:
                continue
            awards = [
                (
                    award.key,
                    {"badge": award.badge, "period": award.period, "awarded_at": now, "basis": list(award.basis)},
                )
                for award in new
            ]
            revocations = [(key, held[key]) for key in gone]
            if changes_out is not None:
                changes_out.extend({"rep": rep, "action": "awarded", **record} for _, record in awards)
                changes_out.extend({"rep": rep, "action": "revoked", **record} for _, record in revocations)
            syncs.append(BadgeSync(rep, standing.version, awards, revocations))
            written.append((rep, moments))
        outcomes = await self.store.sync_badges(syncs)
        return [item for item, outcome in zip(written, outcomes, strict=True) if outcome is None]
