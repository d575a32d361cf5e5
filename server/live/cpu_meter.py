"""The CPU of the hub's flushes, split between the phones' own views and the shared frames.

What a phone's ``me`` frame costs beside a board update shared by thousands of screens is too small to
find by differencing the process's CPU over two windows on a busy machine. So the flusher measures it as
it goes: its task is metered step by step (from each time the loop resumes it to its next wait on Redis or
yield), reading the thread's CPU clock (user and system time, ``CLOCK_THREAD_CPUTIME_ID``), so whatever
other tasks run while a flush waits is never counted, and each step's time goes to the path being worked
on: ``phone`` while ``Phones`` refreshes its board and composes its frames and the hub offers them,
``shared`` for everything else in the flush (reading and diffing the boards, encoding, offering and writing
every frame, the histories). The frames offered are counted by path as well (``metrics.HUB_FRAMES``), so
CPU per frame comes from one run. It costs two clock reads per step and one per change of path: about ten
of each per flush.
"""

from __future__ import annotations

import time
from collections.abc import Coroutine, Generator, Sized
from typing import Any, TypeVar

from server import metrics

T = TypeVar("T")
V = TypeVar("V", bound=Sized)
PHONE, SHARED = "phone", "shared"

_clock = time.thread_time_ns
_cpu = metrics.HUB_CPU.by_path


class _Meter:
    """The path being charged and when the current stretch began (None: the flusher is not running)."""

    __slots__ = ("mark", "path")

    def __init__(self) -> None:
        self.path = SHARED
        self.mark: int | None = None

    def settle(self) -> None:
        """Charge the stretch up to now to the current path."""
        mark = self.mark
        if mark is not None:
            now = _clock()
            _cpu[self.path] += now - mark
            self.mark = now


_meter = _Meter()


class charging:  # used as a statement: ``with charging(PHONE):``
    """Charge the flusher's CPU to ``path`` inside the block (its awaits end and resume the step as usual).
    Outside the flusher's steps (a phone subscribing, say) it does nothing: only the flusher is metered."""

    __slots__ = ("_path", "_previous")

    def __init__(self, path: str) -> None:
        self._path, self._previous = path, ""

    def __enter__(self) -> None:
        if _meter.mark is not None:  # a step of the flusher is running: this block is its own
            _meter.settle()
            self._previous, _meter.path = _meter.path, self._path

    def __exit__(self, *exc: object) -> None:
        if self._previous:
            _meter.settle()
            _meter.path = self._previous


def counted(path: str, viewers: V, frames: int = 1) -> V:
    """``viewers``, each about to be offered ``frames`` frames on ``path``: counted."""
    metrics.HUB_FRAMES.by_path[path] += frames * len(viewers)
    return viewers


class metered(Coroutine[Any, Any, T]):  # awaited like the coroutine it wraps
    """``await metered(coro)``: run ``coro``, charging the CPU of each of its steps (see the module)."""

    __slots__ = ("_coro",)

    def __init__(self, coro: Coroutine[Any, Any, T]) -> None:
        self._coro = coro

    def __await__(self) -> Generator[Any, None, T]:
        return self  # it iterates the wrapped coroutine step by step

    def __iter__(self) -> metered[T]:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def send(self, value: Any) -> Any:
        _meter.mark = _clock()
        try:
            return self._coro.send(value)
        finally:
            _meter.settle()
            _meter.mark = None

    def throw(self, *args: Any) -> Any:
        _meter.mark = _clock()
        try:
            return self._coro.throw(*args)
        finally:
            _meter.settle()
            _meter.mark = None

    def close(self) -> None:
        self._coro.close()
