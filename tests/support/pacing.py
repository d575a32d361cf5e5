"""Traffic at a steady rate: a load pattern that a test imposes, not a wait for something to happen.

Waiting for a condition is ``tests.support.waiting``; this is the other reason a test may pass time, to
send work at the pace a real source would (a sales floor's events over a soak test, for instance).
"""

from __future__ import annotations

import time
from collections.abc import Iterator


def paced(every: float, seconds: float) -> Iterator[int]:
    """Yield 0, 1, 2, ... at fixed slots ``every`` seconds apart, until ``seconds`` from the first have passed.

    Between slots it sleeps until the next one is due, so the time the loop body takes counts toward the
    interval and the rate holds. A body that overruns its slot starts the next one at once; missed slots are
    dropped rather than made up in a burst.
    """
    start = time.monotonic()
    deadline = start + seconds
    due = start
    count = 0
    while due < deadline:
        time.sleep(max(0.0, due - time.monotonic()))
        yield count
        count += 1
        due = max(due + every, time.monotonic())
