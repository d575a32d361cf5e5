"""An asyncio event loop on a simulated clock, for testing timer logic without waiting.

Code that schedules with ``loop.call_later`` (the keepalive wheel, a viewer's send timeout) is about *when*
things happen. Run on real time, a test of it must sleep for a guessed while and accept a tolerance, and
it still fails when a loaded machine wakes the loop late; or it passes though an interval is off by less
than the tolerance. On this loop nothing waits: whenever no callback is ready and no I/O is pending, the
clock jumps straight to the next scheduled callback. ``await asyncio.sleep(1.3)`` returns at once with
``loop.time()`` exactly 1.3 later, every timer fires at exactly its deadline (in deadline order), and a
test can assert an interval to the nanosecond and that something has *not* happened a moment before its
deadline, the same way on an idle laptop and on a saturated CI runner.

The clock starts at 0.0. Real I/O still works (the selector is polled without blocking on each turn),
but simulated time does not wait for it: use this loop for code whose only waiting is on timers.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0


class _JumpingSelector(selectors.DefaultSelector):
    """The real selector, asked never to wait: a wait for a timer becomes a jump of the clock."""

    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # nothing scheduled: only I/O (another thread, a signal) can wake the loop
            return super().select(None)
        self._clock.now += timeout  # the loop would sleep until its next timer: be there now
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is simulated and advances only when the loop would sleep."""

    def __init__(self) -> None:
        self._clock = _Clock()
        super().__init__(_JumpingSelector(self._clock))

    def time(self) -> float:
        return self._clock.now


def run_virtual(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a ``VirtualTimeLoop``."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(coro)
