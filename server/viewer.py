"""One websocket client's outbox: bounded, latest-wins for boards, byte-bounded for celebrations.

A TV on slow Wi-Fi never makes the server buffer an unbounded backlog: a newer board frame replaces
an unsent older one, and notices (celebrations, badges) share a small byte budget. A client that
overflows the notice budget or does not take a frame within ``send_timeout`` is closed with
``CLOSE_TOO_SLOW`` and reconnects (getting a fresh snapshot).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

Frame = str | bytes

CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_TOO_SLOW = 4008
CLOSE_ABUSE = 4009
CLOSE_TOO_MANY = 4029


class Viewer:
    def __init__(
        self,
        send: Callable[[Frame], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        *,
        binary: bool,
        public: bool,
        notice_budget: int = 64 * 1024,
        send_timeout: float = 10.0,
        direct: Any = None,
    ) -> None:
        self._send = send
        self._close = close
        self.binary = binary
        self.public = public
        self.boards: set[str] = set()
        self._frames: dict[str, Frame] = {}
        self._notices: deque[Frame] = deque()
        self._notice_bytes = 0
        self._notice_budget = notice_budget
        self._send_timeout = send_timeout
        self._wakeup = asyncio.Event()
        self.closed = False
        self.close_code: int | None = None
        self.direct = direct
        self._sending = False

    @property
    def variant(self) -> tuple[bool, bool]:
        """Which encoding of a shared frame this viewer takes: (binary, public)."""
        return (self.binary, self.public)

    def _write_now(self, frame: Frame) -> bool:
        """The fast path: nothing queued and the connection takes it now — write it synchronously."""
        direct = self.direct
        if direct is None or self._frames or self._notices or self._sending or not direct.ready():
            return False
        try:
            direct.write(frame, self.binary)
        except Exception:
            return False  # the queued path will meet the same problem and close the connection
        return True

    def offer_frame(self, board: str, frame: Frame) -> None:
        """Latest wins: an unsent older frame of the same board is dropped."""
        if not self.closed and not self._write_now(frame):
            self._frames[board] = frame
            self._wakeup.set()

    def offer_update(self, board: str, diff: Frame, snapshot: Callable[[], Frame]) -> None:
        """A diff builds on the frame before it: if that one is still unsent, send the whole board instead
        (latest wins, and the client's copy stays complete)."""
        if self.closed or (board not in self._frames and self._write_now(diff)):
            return
        self._frames[board] = snapshot() if board in self._frames else diff
        self._wakeup.set()

    def offer_notice(self, frame: Frame) -> None:
        if self.closed or self._write_now(frame):
            return
        size = len(frame)
        if self._notice_bytes + size > self._notice_budget:
            self.close_code = CLOSE_TOO_SLOW
            self._wakeup.set()
            return
        self._notices.append(frame)
        self._notice_bytes += size
        self._wakeup.set()

    async def run_writer(self) -> None:
        """Send queued frames until closed; stops the connection if the client cannot keep up."""
        try:
            while not self.closed:
                await self._wakeup.wait()
                self._wakeup.clear()
                if self.close_code is not None:
                    await self._close(self.close_code, "client too slow: reconnect for a fresh snapshot")
                    break
                # One deadline per burst (not a task per frame: fan-out to thousands of screens is the hot path).
                self._sending = True
                async with asyncio.timeout(self._send_timeout):
                    while self._frames:
                        board = next(iter(self._frames))
                        await self._send(self._frames.pop(board))
                    while self._notices and not self._frames:
                        frame = self._notices.popleft()
                        self._notice_bytes -= len(frame)
                        await self._send(frame)
                self._sending = False
                if self._frames or self._notices:
                    self._wakeup.set()
        except TimeoutError:
            self.close_code = CLOSE_TOO_SLOW
            with contextlib.suppress(Exception):
                await self._close(CLOSE_TOO_SLOW, "send timed out")
        except Exception:
            # The socket went away underneath us; the reader side notices and cleans up.
            pass
        finally:
            self.closed = True

    def stop(self) -> None:
        self.closed = True
        self._wakeup.set()
