"""A contest's points day by day (``game.contest_series``) read from the event log, for the console's charts.

The replay runs in a worker thread; its document is kept until the log grows, the contest changes or the day
turns, so a dashboard that refetches after every live update replays only when there is something new.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.contest_series import contest_series
from game.contests import Contest
from server.services.insights import crunch

if TYPE_CHECKING:
    from server.arena import Arena

CACHED_SERIES = 64  # documents kept per process (a few contests × by × top)

_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()


async def while_log_unchanged(
    arena: Arena, contest: Contest, what: tuple[Any, ...], compute: Callable[[], Awaitable[Any]]
) -> Any:
    """``compute()``'s answer about ``contest``, computed again only once the log, the contest, the directory
    or the local date changed."""
    snapshot = await arena.registry.current()
    today = datetime.now(UTC).astimezone(contest.zone).date()
    newest = await arena.event_log.newest_id()
    key = (contest.id, contest.version, contest.epoch, what, newest, today, id(snapshot.directory))
    cached = _cache.get(key)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    answer = _cache[key] = await compute()
    while len(_cache) > CACHED_SERIES:
        _cache.popitem(last=False)
    return answer


async def series_of(arena: Arena, contest: Contest, *, by: str, top: int, rep: str | None = None) -> dict[str, Any]:
    """The chart document of a live or ended contest so far, with the names the directory has now."""

    async def compute() -> dict[str, Any]:
        now = datetime.now(UTC)
        directory = (await arena.registry.current()).directory
        names = {r.id: r.name for r in directory.reps.values()} | {t.id: t.name for t in directory.teams.values()}
        events = await arena.event_log.read_events(contest.starts_at) if now >= contest.starts_at else []
        return await crunch(contest_series, contest, events, directory, now, by=by, top=top, names=names, rep=rep)

    document: dict[str, Any] = await while_log_unchanged(arena, contest, ("series", by, top, rep), compute)
    return document
