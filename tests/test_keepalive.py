"""One timer pings every connection once per interval, spread over the interval; a connection that
leaves the wheel is not visited again, and an empty wheel stops its timer.

On simulated time (``tests/support/virtual_time.py``): every turn of the wheel happens at exactly its
moment, so the schedule is asserted to the nanosecond, without waiting and without a tolerance."""

from __future__ import annotations

import asyncio

import pytest

from server.live.keepalive import KeepaliveWheel
from tests.support.virtual_time import run_virtual

EXACT = 1e-9


class Connection:
    def __init__(self, name: str, log: list[tuple[float, str]]) -> None:
        self.name = name
        self.log = log

    def keepalive(self) -> None:
        self.log.append((asyncio.get_running_loop().time(), self.name))


def visits_of(log: list[tuple[float, str]], start: float) -> dict[str, list[float]]:
    visits: dict[str, list[float]] = {}
    for t, name in log:
        visits.setdefault(name, []).append(t - start)
    return visits


def test_each_connection_is_visited_once_per_interval_and_spread_over_it() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        log: list[tuple[float, str]] = []
        wheel = KeepaliveWheel(0.6, slots=3)  # a turn every 0.2 s
        connections = [Connection(f"c{n}", log) for n in range(6)]
        start = loop.time()
        slots = [wheel.add(c) for c in connections]
        assert slots == [0, 1, 2, 0, 1, 2]
        await asyncio.sleep(1.3)  # simulated: two full turns of the wheel (turns at 0.2, 0.4, ... 1.2)
        visits = visits_of(log, start)
        # Three slots, three moments spread over the interval; each connection visited once per interval.
        assert visits == {
            "c0": pytest.approx([0.2, 0.8], abs=EXACT),
            "c3": pytest.approx([0.2, 0.8], abs=EXACT),
            "c1": pytest.approx([0.4, 1.0], abs=EXACT),
            "c4": pytest.approx([0.4, 1.0], abs=EXACT),
            "c2": pytest.approx([0.6, 1.2], abs=EXACT),
            "c5": pytest.approx([0.6, 1.2], abs=EXACT),
        }

        wheel.discard(connections[0], slots[0])
        log.clear()
        await asyncio.sleep(0.8)  # simulated: turns at 1.4 (slot 0), 1.6 (slot 1), 1.8 (slot 2), 2.0 (slot 0)
        visits = visits_of(log, start)
        assert "c0" not in visits  # left the wheel: not visited again
        assert visits == {
            "c3": pytest.approx([1.4, 2.0], abs=EXACT),
            "c1": pytest.approx([1.6], abs=EXACT),
            "c4": pytest.approx([1.6], abs=EXACT),
            "c2": pytest.approx([1.8], abs=EXACT),
            "c5": pytest.approx([1.8], abs=EXACT),
        }

        for connection, slot in zip(connections[1:], slots[1:], strict=True):
            wheel.discard(connection, slot)
        assert wheel._timer is not None  # the turn at 2.2 s is still due
        log.clear()
        await asyncio.sleep(0.2)  # simulated: past the turn at 2.2 s, which finds the wheel empty
        assert log == []
        assert wheel._timer is None  # nothing to ping: no timer

    run_virtual(scenario())
