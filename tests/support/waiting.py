"""Waiting for a condition instead of sleeping for a guess: one helper for threads, one for coroutines.

A test waits for what a pause would stand for (a board that changed, a message that arrived); where it must show
that something does *not* happen, it waits for a later positive signal that proves the moment has passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.05


class NeverHappened(AssertionError):
    """The condition stayed false until the deadline; carries the last value seen to explain why."""


def eventually(check: Callable[[], T], timeout: float = 30.0, what: str = "") -> T:
    """Call ``check`` until it returns something truthy and return that; fail after ``timeout`` seconds.

    An ``AssertionError`` inside ``check`` counts as "not yet", so a check may assert as it goes; the last
    one is re-raised at the deadline, which makes the failure say what was still wrong.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            result, error = check(), None
        except AssertionError as exc:
            result, error = None, exc
        if _settled(result, error, deadline, timeout, what):
            return result  # type: ignore[return-value]
        time.sleep(POLL_SECONDS)


async def eventually_async(check: Callable[[], Awaitable[T]], timeout: float = 30.0, what: str = "") -> T:
    """``eventually`` for a coroutine check, polling without blocking the event loop."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result, error = await check(), None
        except AssertionError as exc:
            result, error = None, exc
        if _settled(result, error, deadline, timeout, what):
            return result  # type: ignore[return-value]
        await asyncio.sleep(POLL_SECONDS)


def _settled(result: object, error: AssertionError | None, deadline: float, timeout: float, what: str) -> bool:
    """True for a truthy result; False to try again; past the deadline, the failure (the check's own if it
    asserted)."""
    if error is None and result:
        return True
    if time.monotonic() <= deadline:
        return False
    if error is not None:
        raise error
    raise NeverHappened(f"{what or 'condition'} still false after {timeout:g} s (last: {result!r})")
