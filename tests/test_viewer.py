"""A client's outbox stays bounded however slow the client: boards latest-wins, notices byte-bounded,
and a client that cannot keep up is closed with 4008 so it reconnects for a fresh snapshot."""

from __future__ import annotations

import asyncio

from server.viewer import CLOSE_TOO_SLOW, Viewer


class SlowSocket:
    """A socket whose sends wait until released, like a TV on bad Wi-Fi."""

    def __init__(self) -> None:
        self.sent: list[str | bytes] = []
        self.gate = asyncio.Event()
        self.closed: tuple[int, str] | None = None

    async def send(self, frame: str | bytes) -> None:
        await self.gate.wait()
        self.sent.append(frame)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def test_board_frames_are_latest_wins_and_a_pending_diff_becomes_a_snapshot() -> None:
    async def scenario() -> None:
        socket = SlowSocket()
        viewer = Viewer(socket.send, socket.close, binary=False, public=True)
        writer = asyncio.create_task(viewer.run_writer())
        viewer.offer_frame("b", "snapshot-1")
        await asyncio.sleep(0)  # the writer takes snapshot-1 and blocks sending it
        for n in range(2, 1000):
            viewer.offer_update("b", f"diff-{n}", lambda n=n: f"snapshot-{n}")
        socket.gate.set()
        await asyncio.sleep(0.05)
        assert socket.sent == ["snapshot-1", "snapshot-999"]  # 998 updates, one frame: the whole board
        viewer.offer_update("b", "diff-1000", lambda: "snapshot-1000")
        await asyncio.sleep(0.05)
        assert socket.sent[-1] == "diff-1000"  # nothing pending: a diff is enough
        viewer.stop()
        writer.cancel()

    asyncio.run(scenario())


def test_notices_past_the_byte_budget_close_the_client() -> None:
    async def scenario() -> None:
        socket = SlowSocket()
        viewer = Viewer(socket.send, socket.close, binary=False, public=False, notice_budget=1000)
        writer = asyncio.create_task(viewer.run_writer())
        viewer.offer_notice("x" * 10)
        await asyncio.sleep(0)
        for _ in range(200):
            viewer.offer_notice("y" * 100)
        socket.gate.set()
        await asyncio.wait_for(writer, 1)
        assert socket.closed is not None and socket.closed[0] == CLOSE_TOO_SLOW
        assert viewer.closed

    asyncio.run(scenario())


def test_a_send_that_never_completes_times_out_and_closes() -> None:
    async def scenario() -> None:
        socket = SlowSocket()
        viewer = Viewer(socket.send, socket.close, binary=True, public=False, send_timeout=0.1)
        writer = asyncio.create_task(viewer.run_writer())
        viewer.offer_frame("b", b"frame")
        await asyncio.wait_for(writer, 2)
        assert socket.closed is not None and socket.closed[0] == CLOSE_TOO_SLOW

    asyncio.run(scenario())
