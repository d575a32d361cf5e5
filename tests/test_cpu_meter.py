"""The hub's CPU by path (``server/live/cpu_meter.py``): a metered coroutine is charged the CPU of its own
steps, each to the path being worked on, and nothing of what other tasks do while it waits."""

from __future__ import annotations

import asyncio
import time

from server import metrics
from server.live.cpu_meter import PHONE, SHARED, charging, counted, metered


def burn(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def charged() -> dict[str, float]:
    return {path: ns / 1e9 for path, ns in metrics.HUB_CPU.by_path.items()}


def test_a_flush_is_charged_its_own_steps_by_path_and_not_what_runs_while_it_waits() -> None:
    async def flush() -> None:
        with charging(PHONE):
            burn(0.02)
            await asyncio.sleep(0.05)  # another task burns meanwhile
            burn(0.02)
        burn(0.03)

    async def meanwhile() -> None:
        await asyncio.sleep(0.01)
        with charging(PHONE):  # not the flusher: charges nothing, switches nothing
            burn(0.1)

    async def scenario() -> None:
        await asyncio.gather(metered(flush()), meanwhile())

    before = charged()
    asyncio.run(scenario())
    after = charged()
    phone, shared = after[PHONE] - before[PHONE], after[SHARED] - before[SHARED]
    assert 0.04 <= phone < 0.07, phone
    assert 0.03 <= shared < 0.06, shared


def test_a_metered_coroutine_returns_and_raises_as_it_would() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("no")

    async def scenario() -> tuple[int, str]:
        try:
            await metered(fails())
        except ValueError as exc:
            return await metered(answer()), str(exc)
        return 0, ""

    assert asyncio.run(scenario()) == (42, "no")


def test_frames_are_counted_per_viewer_offered() -> None:
    before = dict(metrics.HUB_FRAMES.by_path)
    assert counted(SHARED, ["tv-1", "tv-2", "tv-3"], 2) == ["tv-1", "tv-2", "tv-3"]
    counted(PHONE, ["phone-1"])
    assert metrics.HUB_FRAMES.by_path[SHARED] - before[SHARED] == 6
    assert metrics.HUB_FRAMES.by_path[PHONE] - before[PHONE] == 1
