"""A background loop that swallows a cancellation (as a redis-py pipeline cancelled mid-execute can) still
stops: shutdown never hangs on it."""

from __future__ import annotations

import asyncio

from server.tasks import stop_task


def test_a_loop_that_swallows_one_cancellation_is_stopped_all_the_same() -> None:
    async def scenario() -> None:
        wake, carried_on = asyncio.Event(), asyncio.Event()
        swallowed = []

        async def loop() -> None:
            while True:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    swallowed.append(True)  # carry on, as a pipeline that returned normally would
                carried_on.set()
                await wake.wait()  # the next wake-up never comes

        task = asyncio.create_task(loop())
        await asyncio.sleep(0)
        task.cancel()  # asked once, as a plain shutdown would: the loop carries on past it
        await carried_on.wait()
        assert not task.done() and swallowed == [True]
        async with asyncio.timeout(5):
            await stop_task(task)
        assert task.cancelled()

    asyncio.run(scenario())


def test_a_finished_or_failed_task_stops_quietly() -> None:
    async def scenario() -> None:
        async def fail() -> None:
            raise RuntimeError("boom")

        failed = asyncio.create_task(fail())
        await asyncio.sleep(0)
        await stop_task(failed)
        await stop_task(None)

    asyncio.run(scenario())
