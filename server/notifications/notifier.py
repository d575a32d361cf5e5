"""The notifier's loop: every process runs it, only the holder of a short Redis lease acts.

Each tick the lease holder collects what happened (``collector.py``), commits the cursor moves and the
queued notifications in one atomic script that first checks it still holds the lease (``store.py``), then
delivers what waits in each channel's outbox (``sender.py``). Nothing relies on pub/sub: a process that
stops, restarts or loses the lease leaves everything in Redis for the next holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from server.notifications.collector import Collector
from server.notifications.sender import Sender

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.notify")
MIN_LEASE_SECONDS = 30.0  # longer than one tick's work: collection, 5 s of sending, one send's 10 s budget
DELIVERY_SECONDS = 5.0  # how long one tick may spend sending before it yields and renews the lease
STOP_SECONDS = 20.0  # on shutdown, how long a tick may take to finish (a message sent is also acknowledged)


class Notifier:
    def __init__(self, arena: Arena, interval: float = 3.0) -> None:
        self.arena = arena
        self.interval = interval
        self.token = secrets.token_hex(8)
        self.store = arena.notifications
        self.collector = Collector(arena, self.store)
        self.sender = Sender(arena, self.store, base_delay=max(interval, 1.0))
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def lease_ms(self) -> int:
        return int(max(self.interval * 3, MIN_LEASE_SECONDS) * 1000)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notifier")

    async def stop(self) -> None:
        """Let the current tick finish (a message sent is taken off its outbox, so the next holder does not
        send it again), then hand the lease over."""
        self._stopping.set()
        if self._task:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_SECONDS)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        with contextlib.suppress(RedisError, OSError):
            await self.store.release_lease(self.token)  # let another process take over at once

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if await self.store.hold_lease(self.token, self.lease_ms):
                    await self.tick(datetime.now(UTC))
            except (RedisError, OSError) as exc:
                log.warning("notifier tick failed (%s)", exc)
            except Exception:
                log.exception("notifier tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    async def tick(self, now: datetime) -> None:
        channels = await self.store.channels()
        plan = await self.collector.collect(now, channels)
        if not plan.empty:
            queued = await self.store.commit(self.token, plan)
            if queued is None:
                log.info("notifier: another process moved on first; nothing committed this tick")
                return
            if queued:
                log.info("notifier: %d notification(s) queued", queued)
        if not await self.store.hold_lease(self.token, self.lease_ms):
            return  # lost while collecting: the new holder delivers
        await self.sender.deliver(channels, DELIVERY_SECONDS)
