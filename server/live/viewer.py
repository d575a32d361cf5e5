"""One websocket client's outbox: bounded, latest-wins for boards, byte-bounded for notices.

Frames arrive as finished websocket frames (``server/live/wire.py``), the same bytes for every viewer. A viewer
whose connection can take data gets it written at once; while the hub flushes a tick (a ``WriteBatch`` is
open) it is held and written at the end with one send per connection, so a board update and the
celebration of the same change leave in one syscall.

A connection whose transport is backed up (it paused writing) keeps at most one frame per board (a newer
frame replaces an unsent older one; a pending diff becomes the whole board) and notices within a byte
budget. Overflowing the budget, or staying backed up for ``send_timeout``, closes it with
``CLOSE_TOO_SLOW``: the client reconnects and gets a fresh snapshot. There is no task per viewer: the
connection calls ``drain`` when it can take data again.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Protocol

from server import metrics
from server.live.wire import WireFrame

CLOSE_UNAUTHORIZED = 4001
CLOSE_TOO_SLOW = 4008
CLOSE_ABUSE = 4009
CLOSE_TOO_MANY = 4029

NOTICE_BUDGET = 64 * 1024
SEND_TIMEOUT = 10.0


class Link(Protocol):
    """What a viewer needs of its connection."""

    ready: bool  # open, and its transport takes data without buffering past its limit (read per frame)

    def write(self, data: bytes) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


class WriteBatch:
    """Frames offered while the hub flushes a tick, held per viewer and written with one send each."""

    __slots__ = ("open", "viewers")

    def __init__(self) -> None:
        self.open = False
        self.viewers: list[Viewer] = []

    def __enter__(self) -> WriteBatch:
        self.open = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.open = False
        viewers, self.viewers = self.viewers, []
        for viewer in viewers:
            viewer.release_held()


class Viewer:
    __slots__ = (
        "_frames",
        "_held",
        "_notice_budget",
        "_notice_bytes",
        "_notices",
        "_send_timeout",
        "_timer",
        "batch",
        "binary",
        "boards",
        "close_code",
        "closed",
        "link",
        "public",
        "variant",
    )

    def __init__(
        self,
        link: Link,
        *,
        binary: bool,
        public: bool,
        batch: WriteBatch | None = None,
        notice_budget: int = NOTICE_BUDGET,
        send_timeout: float = SEND_TIMEOUT,
    ) -> None:
        self.link = link
        self.binary = binary
        self.public = public
        self.variant = (binary, public)  # which encoding of a shared frame this viewer takes
        self.batch = batch
        self.boards: set[str] = set()
        self.closed = False
        self.close_code: int | None = None
        self._held: bytes | None = None  # what this flush has for the viewer so far
        self._frames: dict[str, WireFrame] = {}
        self._notices: deque[WireFrame] | None = None  # created when first needed: most viewers never queue
        self._notice_bytes = 0
        self._notice_budget = notice_budget
        self._send_timeout = send_timeout
        self._timer: asyncio.TimerHandle | None = None

    # --- offers from the hub ------------------------------------------------------------------

    def offer_frame(self, board: str, frame: WireFrame) -> None:
        """Latest wins: an unsent older frame of the same board is dropped."""
        if not self.closed and not self._take(frame):
            self._frames[board] = frame
            self.backed_up()

    def offer_update(self, board: str, diff: WireFrame, snapshot: Callable[[], WireFrame]) -> None:
        """A diff builds on the frame before it: if that one is still unsent, send the whole board instead
        (latest wins, and the client's copy stays complete)."""
        if self.closed or (board not in self._frames and self._take(diff)):
            return
        self._frames[board] = snapshot() if board in self._frames else diff
        self.backed_up()

    def offer_notice(self, frame: WireFrame) -> None:
        if self.closed or self._take(frame):
            return
        if self._notice_bytes + len(frame) > self._notice_budget:
            metrics.WS_SLOW_CUTS.labels(why="budget").inc()
            self.close(CLOSE_TOO_SLOW, "client too slow: reconnect for a fresh snapshot")
            return
        if self._notices is None:
            self._notices = deque()
        self._notices.append(frame)
        self._notice_bytes += len(frame)
        self.backed_up()

    def _take(self, frame: WireFrame) -> bool:
        """Nothing queued and the connection takes data: send now, or hold it while a batch is open."""
        if self._frames or self._notices or not self.link.ready:
            return False
        held = self._held
        if held is not None:
            self._held = held + frame  # bytes, not a list: nothing for the garbage collector to track
        elif self.batch is not None and self.batch.open:
            self._held = frame
            self.batch.viewers.append(self)
        else:
            self.link.write(frame)
        return True

    # --- writing ------------------------------------------------------------------------------

    def release_held(self) -> None:
        """The batch closed: what was held goes out in one write."""
        held, self._held = self._held, None
        if held is not None and not self.closed:
            self.link.write(held)

    def drain(self) -> None:
        """The connection takes data again: boards first (the latest of each), then the notices."""
        self._cancel_timer()
        if self.closed or not (self._frames or self._notices):
            return
        queued = list(self._frames.values())
        self._frames.clear()
        if self._notices:
            queued.extend(self._notices)
            self._notices.clear()
        self._notice_bytes = 0
        self.link.write(b"".join(queued))

    def backed_up(self) -> None:
        """Something is queued, or the connection's socket is backed up: the client has ``send_timeout`` to
        take what it has been sent."""
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._send_timeout, self._timed_out)

    def _timed_out(self) -> None:
        self._timer = None
        if self._frames or self._notices or not self.link.ready:
            metrics.WS_SLOW_CUTS.labels(why="timeout").inc()
            self.close(CLOSE_TOO_SLOW, "send timed out: reconnect for a fresh snapshot")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # --- ending -------------------------------------------------------------------------------

    def close(self, code: int, reason: str) -> None:
        """Close the connection with a code the client acts on (see docs/protocol.md)."""
        if self.closed:
            return
        self.close_code = code
        self.stop()
        self.link.close(code, reason)

    def stop(self) -> None:
        """The connection is gone (or going): drop whatever is queued."""
        self.closed = True
        self._cancel_timer()
        self._frames.clear()
        self._notices = None
        self._notice_bytes = 0
        self._held = None
