"""The month sums of the event log (``game/period_totals.py``) kept in memory and fed only what was logged since.

Goal progress and scorecards used to read the log from a period's start (a scorecard from a year before it) on
every request. Here one ``PeriodTotals`` per process is fed from ``origin`` (the local first of January of last
year: last year's goals, this year's, and the scorecards of this year with their year of lookback) and then,
request by request, only the log entries after the position it reached (as ``series.py`` feeds a contest's
replay). It starts over when what its sums depend on changes: the year (origin), the exchange rates (margins of
deals in other currencies), the organisation's currency or time zone, or the log being trimmed. A period that
reaches before ``origin`` is answered by the full recomputation, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary

from game.exchange_rates import Rates
from game.log_event import LogEvent
from game.period_totals import PeriodTotals
from server.services.insights import crunch

if TYPE_CHECKING:
    from server.arena import Arena

T = TypeVar("T")


@dataclass
class _Running:
    key: tuple[Any, ...]  # origin, currency, zone, trim mark: what the sums were built for
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


async def with_totals(arena: Arena, since: datetime, use: Callable[[PeriodTotals], T]) -> T | None:
    """``use(totals)`` on the sums brought up to the end of the log, or None when ``since`` (where a
    recomputation would start reading) lies before what the sums cover. Runs in a worker thread, under the
    sums' lock: one request feeds what is new, the others wait for it and only read."""
    now = datetime.now(UTC)
    origin = origin_of(arena, now)
    if since < origin:
        return None
    snapshot = await arena.registry.current()
    settings = arena.settings
    key = (origin, settings.currency, str(settings.zone), await arena.event_log.trimmed_before())
    running = _running.get(arena)
    if running is None or running.key != key or running.rates != snapshot.rates:
        running = _Running(key, snapshot.rates, PeriodTotals(settings.zone, settings.currency, snapshot.rates), origin)
        _running[arena] = running
    async with running.lock:
        try:
            last, events = await arena.event_log.read_after(running.origin, running.last_id)
            answer = await crunch(_feed, running.totals, events, use)
        except BaseException:
            if _running.get(arena) is running:
                del _running[arena]  # fed in part, or not at all: the next request starts over
            raise
        running.last_id = last
        return answer
