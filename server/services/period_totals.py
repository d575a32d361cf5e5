"""The month sums of the event log (``game/period_totals.py``) kept in memory and fed only what was logged since.

Goal progress and scorecards used to read the log from a period's start (a scorecard from a year before it) on
every request. Here one ``PeriodTotals`` per process is fed from ``origin`` (the local first of January of last
year: last year's goals, this year's, and the scorecards of this year with their year of lookback) and then,
request by request, only the log entries after the position it reached (as ``series.py`` feeds a contest's
replay). It starts over when what its sums depend on changes: the year (origin), the exchange rates (margins of
deals in other currencies), the organisation's currency or time zone, the log being trimmed, or the log being
rewritten by an erasure (``EventLogStore.version``: every process sees it at its next read). A period that reaches
before ``origin`` is answered by the full recomputation, as before. ``keep_warm`` feeds the sums in the background
from the start and after every start-over, in batches, so the first request does not pay the whole log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary

from game.exchange_rates import Rates
from game.log_event import LogEvent
from game.period_totals import PeriodTotals
from server.services.event_log_store import MAX_REPLAY_EVENTS
from server.services.insights import crunch

if TYPE_CHECKING:
    from server.arena import Arena

T = TypeVar("T")
log = logging.getLogger(__name__)
WARM_BATCH = 500  # events read, parsed (on the event loop) and fed per step of the warm-up: the loop is never held long
WARM_SECONDS = 30.0  # how often the warm-up looks for a start-over or a backlog


@dataclass
class _Running:
    key: tuple[Any, ...]  # origin, currency, zone, trim mark, rewrites: what the sums were built for
    rates: Rates
    totals: PeriodTotals
    origin: datetime
    last_id: str | None = None  # the log position fed last
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_running: WeakKeyDictionary[Any, _Running] = WeakKeyDictionary()  # one per arena (tests run several)


def origin_of(arena: Arena, now: datetime) -> datetime:
    """Where the sums start: the local first of January of last year."""
    local = now.astimezone(arena.settings.zone)
    return datetime(local.year - 1, 1, 1, tzinfo=arena.settings.zone)


def _feed(totals: PeriodTotals, events: list[LogEvent], use: Callable[[PeriodTotals], T]) -> T:
    totals.feed_all(events)
    return use(totals)


async def _running_for(arena: Arena, origin: datetime) -> _Running:
    """This process's sums, started over when what they were built for changed."""
    snapshot = await arena.registry.current()
    settings = arena.settings
    key = (origin, settings.currency, str(settings.zone), *await arena.event_log.version())
    running = _running.get(arena)
    if running is None or running.key != key or running.rates != snapshot.rates:
        running = _Running(key, snapshot.rates, PeriodTotals(settings.zone, settings.currency, snapshot.rates), origin)
        _running[arena] = running
    return running


async def _advance(
    arena: Arena, running: _Running, use: Callable[[PeriodTotals], T], most: int = MAX_REPLAY_EVENTS
) -> tuple[T, int]:
    """Feed the sums (about ``most`` of) what was logged after the position they reached, then ``use`` them, in a
    worker thread; with the number of events fed. The caller holds the sums' lock."""
    try:
        last, events = await arena.event_log.read_after(running.origin, running.last_id, most)
        answer = await crunch(_feed, running.totals, events, use)
    except BaseException:
        if _running.get(arena) is running:
            del _running[arena]  # fed in part, or not at all: the next request starts over
        raise
    running.last_id = last
    return answer, len(events)


async def with_totals(arena: Arena, since: datetime, use: Callable[[PeriodTotals], T]) -> T | None:
    """``use(totals)`` on the sums brought up to the end of the log, or None when ``since`` (where a
    recomputation would start reading) lies before what the sums cover. Runs in a worker thread, under the
    sums' lock: one request feeds what is new, the others wait for it and only read."""
    origin = origin_of(arena, datetime.now(UTC))
    if since < origin:
        return None
    running = await _running_for(arena, origin)
    async with running.lock:
        return (await _advance(arena, running, use))[0]


async def warm_up(arena: Arena, batch: int = WARM_BATCH) -> int:
    """Bring the sums up to the end of the log ``batch`` events at a time, taking the lock batch by batch (a
    request that comes meanwhile finishes the feeding itself); the number of events fed."""
    fed = 0
    while True:
        running = await _running_for(arena, origin_of(arena, datetime.now(UTC)))
        async with running.lock:
            _, count = await _advance(arena, running, _nothing, batch)
        fed += count
        if count < batch:
            return fed


def _nothing(totals: PeriodTotals) -> None:
    return None


async def keep_warm(arena: Arena, interval: float = WARM_SECONDS) -> None:
    """Keep this process's sums fed ahead of the requests: at start, and every ``interval`` seconds after, so that
    the first goals or scorecard request after a start or after the sums start over (a new year, new rates, a
    trim, an erasure) does not pay the whole log. Runs until cancelled; a failed round is tried again later."""
    while True:
        try:
            await warm_up(arena)
        except asyncio.CancelledError:
            raise
        except Exception:  # Redis away, the log over the cap: the requests fall back as before
            log.warning("could not warm the goals' month sums", exc_info=True)
        await asyncio.sleep(interval)
