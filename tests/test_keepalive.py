"""One timer pings every connection once per interval, spread over the interval; a connection that
leaves the wheel is not visited again, and an empty wheel stops its timer."""

from __future__ import annotations

import asyncio

from server.keepalive import KeepaliveWheel


class Connection:
    def __init__(self, name: str, log: list[tuple[float, str]]) -> None:
        self.name = name
        self.log = log

    def keepalive(self) -> None:
        self.log.append((asyncio.get_running_loop().time(), self.name))


def test_each_connection_is_visited_once_per_interval_and_spread_over_it() -> None:
    async def scenario() -> None:
        log: list[tuple[float, str]] = []
        wheel = KeepaliveWheel(0.6, slots=3)  # a turn every 0.2 s
        connections = [Connection(f"c{n}", log) for n in range(6)]
        slots = [wheel.add(c) for c in connections]
        assert slots == [0, 1, 2, 0, 1, 2]
        start = asyncio.get_running_loop().time()
        await asyncio.sleep(1.3)  # two full turns of the wheel, and a bit
        visits = {c.name: [t - start for t, name in log if name == c.name] for c in connections}
        assert all(len(times) == 2 for times in visits.values()), visits
        for times in visits.values():
            assert abs((times[1] - times[0]) - 0.6) < 0.1  # once per interval
        firsts = sorted({round(times[0], 1) for times in visits.values()})
        assert len(firsts) == 3  # three slots, three moments
        wheel.discard(connections[0], slots[0])
        log.clear()
        await asyncio.sleep(0.65)
        assert "c0" not in {name for _, name in log} and len(log) == 5
        for connection, slot in zip(connections[1:], slots[1:], strict=True):
            wheel.discard(connection, slot)
        await asyncio.sleep(0.7)
        assert wheel._timer is None  # nothing to ping: no timer

    asyncio.run(scenario())
