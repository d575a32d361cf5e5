"""Group commit for ingestion: concurrent requests share one Redis round trip.

Every request that arrives while the event loop is busy joins the next pipeline, so a hundred phones and
CRMs posting one event each cost a handful of round trips (and socket writes) instead of a hundred.
Latency stays at one loop iteration plus one round trip; each request still gets its own results, and its
own failure: when the shared pipeline fails for any reason but an outage, each request's part is written again
alone (the scripts are idempotent), so only the request that caused it sees the error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from game.store import Plan, Store, WriteResult
from server import metrics
from server.errors import STORAGE_OUTAGES

MAX_PLANS_PER_PIPELINE = 2000


class IngestWriter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: list[tuple[Sequence[Plan], asyncio.Future[tuple[list[WriteResult], bytes | None]]]] = []
        self._queued = 0
        self._scheduled = False

    async def write(self, plans: Sequence[Plan]) -> tuple[list[WriteResult], bytes | None]:
        """Write ``plans`` with whatever else is waiting; returns their results and the config version
        read in the same round trip."""
        future: asyncio.Future[tuple[list[WriteResult], bytes | None]] = asyncio.get_running_loop().create_future()
        self._pending.append((plans, future))
        self._queued += len(plans)
        if self._queued >= MAX_PLANS_PER_PIPELINE:
            self._flush_now()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_now)
        return await future

    def _flush_now(self) -> None:
        batch, self._pending, self._queued, self._scheduled = self._pending, [], 0, False
        if batch:
            task = asyncio.ensure_future(self._flush(batch))
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    async def _flush(
        self, batch: list[tuple[Sequence[Plan], asyncio.Future[tuple[list[WriteResult], bytes | None]]]]
    ) -> None:
        plans = [plan for group, _ in batch for plan in group]
        metrics.INGEST_BATCH.observe(len(plans))
        try:
            results, version = await self.store.write_events_reading_config(plans)
        except Exception as exc:
            if len(batch) > 1 and not isinstance(exc, STORAGE_OUTAGES):
                await asyncio.gather(*(self._flush([request]) for request in batch))
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        position = 0
        for group, future in batch:
            if not future.done():
                future.set_result((results[position : position + len(group)], version))
            position += len(group)
