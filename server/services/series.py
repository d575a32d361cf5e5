"""A contest's points day by day (``game.contest_series``) from the event log, for the console's charts.

Each contest's replay is kept in memory and fed only the events logged since it last read the log, so a
dashboard that refetches after every live update costs the new events, not the month. A replay starts over
when the contest (its version or epoch) or the directory changes; contests that confirm deals are replayed
whole each time (settling their provisional points is not incremental). Answers are also kept until the log
grows, the contest changes or the local date turns.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.contest_replay import Boards, ContestReplay
from game.contest_series import contest_series
from game.contests import Contest
from game.log_event import LogEvent
from game.simulation import replay
from server.services.insights import crunch
from server.services.registry import Snapshot

if TYPE_CHECKING:
    from server.arena import Arena

CACHED_ANSWERS = 64  # documents kept per process (a few contests × by × top)
RUNNING_REPLAYS = 16  # contests whose replay is kept between requests

_answers: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


@dataclass
class _Running:
    key: tuple[Any, ...]  # contest id, version, epoch and the configuration version it was built for
    scorer: ContestReplay
    last_id: str | None = None  # the log entry fed last
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_replays: OrderedDict[str, _Running] = OrderedDict()


def _keep(table: OrderedDict[Any, Any], key: Any, value: Any, limit: int) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > limit:
        table.popitem(last=False)


async def while_log_unchanged(
    arena: Arena, contest: Contest, what: tuple[Any, ...], compute: Callable[[], Awaitable[Any]]
) -> Any:
    """``compute()``'s answer about ``contest``, computed again only once the log, the contest, the directory
    or the local date changed."""
    snapshot = await arena.registry.current()
    today = datetime.now(UTC).astimezone(contest.zone).date()
    newest = await arena.event_log.newest_id()
    key = (contest.id, contest.version, contest.epoch, what, newest, today, snapshot.version)
    if key in _answers:
        _answers.move_to_end(key)
        return _answers[key]
    answer = await compute()
    _keep(_answers, key, answer, CACHED_ANSWERS)
    return answer


def _feed(scorer: ContestReplay, events: list[LogEvent]) -> Boards:
    for event in events:
        scorer.feed(event)
    return scorer.boards()


async def contest_boards(arena: Arena, contest: Contest, snapshot: Snapshot) -> Boards:
    """The boards of ``contest`` replayed from its logged events up to now, with per-day contributions."""
    directory = snapshot.directory
    if contest.confirm is not None:
        events = await arena.event_log.read_events(contest.starts_at)
        return await crunch(replay, contest, events, directory, rates=snapshot.rates)
    key = (contest.id, contest.version, contest.epoch, snapshot.version)
    running = _replays.get(contest.id)
    if running is None or running.key != key:
        running = _Running(key, ContestReplay(contest, directory, rates=snapshot.rates))
    _keep(_replays, contest.id, running, RUNNING_REPLAYS)
    async with running.lock:
        last, events = await arena.event_log.read_after(contest.starts_at, running.last_id)
        boards = await crunch(_feed, running.scorer, events)
        running.last_id = last
        return boards


async def series_of(arena: Arena, contest: Contest, *, by: str, top: int, rep: str | None = None) -> dict[str, Any]:
    """The chart document of a live or ended contest so far, with the names the directory has now."""

    async def compute() -> dict[str, Any]:
        now = datetime.now(UTC)
        snapshot = await arena.registry.current()
        directory = snapshot.directory
        names = {r.id: r.name for r in directory.reps.values()} | {t.id: t.name for t in directory.teams.values()}
        boards = await contest_boards(arena, contest, snapshot)
        options = {"by": by, "top": top, "names": names, "rep": rep}
        return await crunch(contest_series, contest, boards, directory, now, **options)

    document: dict[str, Any] = await while_log_unchanged(arena, contest, ("series", by, top, rep), compute)
    return document
