"""Replay logged events through a contest definition in memory: the boards it would have produced.

The replay itself is ``game.contest_replay`` (the pure twin of ``apply_contest.lua``); the events it reads are
``game.log_event.LogEvent``s. This module runs one: the events received in time, with the cycle collector
paused while hundreds of thousands of acyclic objects are built.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from game.contest_replay import Boards, ContestReplay
from game.contests import Contest
from game.directory import Directory
from game.log_event import LogEvent


def accepts_until(contest: Contest) -> datetime:
    """Events received from this moment on no longer change the contest (``Contest.accepts_at``)."""
    return contest.ends_at + timedelta(hours=contest.grace_hours)


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cycle collection while a replay builds hundreds of thousands of acyclic objects: otherwise a third
    of its time goes to rescanning them. Nested and concurrent pauses are counted; collection resumes
    with the last one, errors included."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def replay(
    contest: Contest,
    events: Iterable[LogEvent],
    directory: Directory,
    *,
    roster: bool = True,
    received_before: datetime | None = None,
    contributions: bool = True,
) -> Boards:
    """The boards ``contest`` ends with when ``events`` (in log order) arrive as they did.

    Only events received before ``received_before`` count (default: the end of the contest's grace period,
    as live; in a contest that confirms deals, confirmations and reversals count until its last deal is
    settled, ``Contest.confirmations_until``, and so does the scheduler's sweep of deals due by then); the
    draft is taken to have existed for the whole replay.
    """
    until = received_before or accepts_until(contest)
    confirm = contest.confirm
    settled_at = received_before or contest.confirmations_until
    settling = (confirm.on, "deal.reversed") if confirm else ()
    with paused_gc():
        scorer = ContestReplay(contest, directory, roster=roster)
        feed = scorer.feed
        for event in events:
            if event.received_at < until or (event.type in settling and event.received_at < settled_at):
                feed(event)
        if confirm is not None:
            scorer.settle_due(settled_at)
        return scorer.boards(contributions=contributions)
