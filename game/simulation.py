"""Replay logged events through a contest definition in memory: the boards it would have produced.

The replay itself is ``game.contest_replay`` (the pure twin of ``apply_contest.lua``); the events it reads are
``game.log_event.LogEvent``s. This module runs one over the whole log, as a rescore does: an event counts by
when it *occurred* (a deal imported from a CSV today still scores last quarter), with the cycle collector
paused while hundreds of thousands of acyclic objects are built.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from game.contest_replay import Boards, ContestReplay
from game.contests import Contest
from game.directory import Directory
from game.exchange_rates import Rates
from game.log_event import LogEvent

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
    rates: Rates | None = None,
) -> Boards:
    """The boards ``contest`` ends with when ``events`` (in log order) arrive as they did.

    Every event counts by its ``occurred_at`` whenever it was received (backfilled history included), as in a
    contest scored from the event log; ``received_before`` keeps only those received earlier (what the live
    boards took in until then). In a contest that confirms deals, the deals due by ``received_before`` (default:
    the last moment a deal can still be provisional, ``Contest.confirmations_until``) are settled as the
    scheduler's sweep does. The draft is taken to have existed for the whole replay. ``rates`` converts deals in
    other currencies as the live contest does (``game.exchange_rates``).
    """
    with paused_gc():
        scorer = ContestReplay(contest, directory, roster=roster, rates=rates)
        feed = scorer.feed
        if received_before is None:
            for event in events:
                feed(event)
        else:
            for event in events:
                if event.received_at < received_before:
                    feed(event)
        if contest.confirm is not None:
            scorer.settle_due(received_before or contest.confirmations_until)
        return scorer.boards(contributions=contributions)
