"""A client's outbox stays bounded however slow the client: boards latest-wins, notices byte-bounded,
and a client that cannot keep up is closed with 4008 so it reconnects for a fresh snapshot. While the hub
flushes a tick, what one viewer is offered leaves in one write.

The send timeout is tested on simulated time (``tests/support/virtual_time.py``): it fires at exactly its
deadline and not a nanosecond before, with no waiting and no tolerance for a slow machine."""

from __future__ import annotations

import asyncio

import pytest

from server.live.viewer import CLOSE_TOO_SLOW, Viewer, WriteBatch
from tests.support.virtual_time import run_virtual


class BackedUpLink:
    """A connection whose transport can back up, like a TV on bad Wi-Fi."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.backed_up = False
        self.closed: tuple[int, str] | None = None
        self.closed_at: float | None = None  # the event loop's time of the close

    @property
    def ready(self) -> bool:
        return self.closed is None and not self.backed_up

    def write(self, data: bytes) -> None:
        assert self.ready, "wrote to a connection that could not take it"
        self.writes.append(data)

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self.closed_at = asyncio.get_running_loop().time()


def test_board_frames_are_latest_wins_and_a_pending_diff_becomes_a_snapshot() -> None:
    async def scenario() -> None:
        link = BackedUpLink()
        viewer = Viewer(link, binary=False, public=True)
        viewer.offer_frame("b", b"snapshot-1")
        link.backed_up = True
        for n in range(2, 1000):
            viewer.offer_update("b", f"diff-{n}".encode(), lambda n=n: f"snapshot-{n}".encode())
        assert link.writes == [b"snapshot-1"]
        link.backed_up = False
        viewer.drain()
        assert link.writes == [b"snapshot-1", b"snapshot-999"]  # 998 updates, one frame: the whole board
        viewer.offer_update("b", b"diff-1000", lambda: b"snapshot-1000")
        assert link.writes[-1] == b"diff-1000"  # nothing pending: a diff is enough

    asyncio.run(scenario())


def test_a_drain_sends_the_latest_boards_then_the_notices_in_one_write() -> None:
    async def scenario() -> None:
        link = BackedUpLink()
        viewer = Viewer(link, binary=False, public=False)
        link.backed_up = True
        viewer.offer_notice(b"celebrate-1")
        viewer.offer_frame("a", b"a-1")
        viewer.offer_frame("b", b"b-1")
        viewer.offer_frame("a", b"a-2")
        viewer.offer_notice(b"celebrate-2")
        link.backed_up = False
        viewer.drain()
        assert link.writes == [b"a-2b-1celebrate-1celebrate-2"]

    asyncio.run(scenario())


def test_notices_past_the_byte_budget_close_the_client() -> None:
    async def scenario() -> None:
        link = BackedUpLink()
        viewer = Viewer(link, binary=False, public=False, notice_budget=1000)
        link.backed_up = True
        for _ in range(9):
            viewer.offer_notice(b"y" * 100)
        assert link.closed is None
        viewer.offer_notice(b"y" * 200)
        assert link.closed is not None and link.closed[0] == CLOSE_TOO_SLOW
        assert viewer.closed and viewer.close_code == CLOSE_TOO_SLOW
        viewer.offer_notice(b"after")  # a closed viewer takes nothing
        assert link.writes == []

    asyncio.run(scenario())


def test_a_client_backed_up_past_the_send_timeout_is_closed() -> None:
    async def scenario() -> None:
        link = BackedUpLink()
        viewer = Viewer(link, binary=True, public=False, send_timeout=0.1)
        link.backed_up = True
        offered = asyncio.get_running_loop().time()
        viewer.offer_frame("b", b"frame")
        await asyncio.sleep(0.1 - 1e-6)  # simulated time: a microsecond before the deadline
        assert link.closed is None
        await asyncio.sleep(1.0)  # simulated: well past it
        assert link.closed is not None and link.closed[0] == CLOSE_TOO_SLOW
        assert link.closed_at is not None and link.closed_at - offered == pytest.approx(0.1, abs=1e-9)

    run_virtual(scenario())


def test_a_client_that_catches_up_in_time_stays() -> None:
    async def scenario() -> None:
        link = BackedUpLink()
        viewer = Viewer(link, binary=True, public=False, send_timeout=0.1)
        link.backed_up = True
        viewer.offer_frame("b", b"frame")
        await asyncio.sleep(0.1 - 1e-6)  # simulated time: caught up a microsecond before the deadline
        link.backed_up = False
        viewer.drain()
        await asyncio.sleep(60.0)  # simulated: long past the deadline, nothing closes it
        assert link.closed is None and link.writes == [b"frame"]

    run_virtual(scenario())


def test_a_flush_leaves_in_one_write_per_viewer_in_the_order_offered() -> None:
    async def scenario() -> None:
        batch = WriteBatch()
        fast, slow = BackedUpLink(), BackedUpLink()
        quick = Viewer(fast, binary=False, public=False, batch=batch)
        behind = Viewer(slow, binary=False, public=False, batch=batch)
        slow.backed_up = True
        with batch:
            for viewer in (quick, behind):
                viewer.offer_update("b", b"diff", lambda: b"snapshot")
                viewer.offer_notice(b"celebrate")
            assert fast.writes == []  # held until the flush ends
        assert fast.writes == [b"diffcelebrate"]
        assert slow.writes == []
        slow.backed_up = False
        behind.drain()
        assert slow.writes == [b"diffcelebrate"]
        quick.offer_notice(b"later")  # outside a flush: written at once
        assert fast.writes[-1] == b"later"

    asyncio.run(scenario())
