"""Keepalive pings for every websocket of a process from one timer: a wheel of one-second slots.

A TV whose power is cut leaves its socket open on the server's side; only a ping that goes unanswered
tells. A timer per connection would cost four objects the garbage collector scans (handle, context,
callback, uvloop timer) for each of 10k screens, and 10k timers; the wheel costs one set entry each. Each
turn visits one slot: a connection that has not answered the ping of its previous visit, one interval
ago, is cut; the others are pinged. Connections are spread over the slots as they arrive, so pings are
spread over the interval.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Pinged(Protocol):
    def keepalive(self) -> None:
        """Cut the connection if the previous ping is unanswered, else send a new one."""
        ...


class KeepaliveWheel:
    def __init__(self, interval: float, slots: int | None = None) -> None:
        self.interval = interval
        count = slots if slots is not None else max(1, round(interval))  # one slot a second
        self.slots: list[set[Pinged]] = [set() for _ in range(count)]
        self._next_slot = 0  # where the next connection goes: round robin
        self._position = 0  # the slot the next turn visits
        self._timer: asyncio.TimerHandle | None = None

    def add(self, connection: Pinged) -> int:
        """Put a connection on the wheel; returns its slot (for ``discard``)."""
        slot = self._next_slot
        self._next_slot = (slot + 1) % len(self.slots)
        self.slots[slot].add(connection)
        if self._timer is None:
            self._schedule()
        return slot

    def discard(self, connection: Pinged, slot: int) -> None:
        self.slots[slot].discard(connection)

    def _schedule(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self.interval / len(self.slots), self._turn)

    def _turn(self) -> None:
        slot = self.slots[self._position]
        self._position = (self._position + 1) % len(self.slots)
        for connection in list(slot):
            connection.keepalive()
        if any(self.slots):
            self._schedule()
        else:
            self._timer = None

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
