"""A contest's points day by day (``game.contest_series``) read from the event log, for the console's charts.

The replay runs in a worker thread; its document is kept until the log grows, the contest changes or the day
turns, so a dashboard that refetches after every live update replays only when there is something new.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.contest_series import contest_series
from game.contests import Contest
from server.services.insights import crunch

if TYPE_CHECKING:
    from server.arena import Arena

CACHED_SERIES = 64  # documents kept per process (a few contests × by × top)

_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()


async def series_of(arena: Arena, contest: Contest, *, by: str, top: int, rep: str | None = None) -> dict[str, Any]:
    """The chart document of a live or ended contest so far, with the names the directory has now."""
    now = datetime.now(UTC)
    snapshot = await arena.registry.current()
    newest = await arena.event_log.newest_id()
    today = now.astimezone(contest.zone).date()
    key = (contest.id, contest.version, contest.epoch, by, top, rep, newest, today, id(snapshot.directory))
    cached = _cache.get(key)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    directory = snapshot.directory
    names = {r.id: r.name for r in directory.reps.values()} | {t.id: t.name for t in directory.teams.values()}
    events = await arena.event_log.read_events(contest.starts_at) if now >= contest.starts_at else []
    document = await crunch(contest_series, contest, events, directory, now, by=by, top=top, names=names, rep=rep)
    _cache[key] = document
    while len(_cache) > CACHED_SERIES:
        _cache.popitem(last=False)
    return document
