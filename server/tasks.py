"""Stopping a background loop for certain.

``task.cancel()`` asks once; a coroutine may swallow the request. redis-py's async pipelines do, now and
then: cancelled inside ``execute()`` they can return normally, and a loop that carries on from there waits
for its next wake-up and never ends, so a shutdown that awaited it would hang. Asking again until the
task is done ends it whatever it was awaiting.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

RETRY_SECONDS = 0.2


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` until it has ended; its own outcome (cancelled, failed, returned) is not raised."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RETRY_SECONDS)
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.result()
