"""Ingestion, the shared path of every source (the API, CRM webhooks, CSV backfill, flag decisions): each
event is validated, scored against the contests that accept it now and written idempotently.

Each valid event is accepted even when its neighbours are rejected. The answer is given only after the
write scripts returned, so "accepted" means durable in Redis (subject to its fsync policy), and a
client that retries with the same ids can never double count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.contests import Contest
from game.errors import ValidationError
from game.events import Event, parse_event
from game.scoring import ContestChange, decide
from game.store import Plan
from game.xp import decide_xp
from server.services.registry import Registry, Snapshot

if TYPE_CHECKING:
    from server.arena import Arena

MAX_BATCH = 1000


@dataclass(frozen=True)
class Targets:
    """The contests events received now are written to, worked out once per request."""

    live: list[Contest]
    rebuilding: list[Contest]
    # past their grace period, still taking confirmations and reversals of provisional deals
    settling: list[Contest] = field(default_factory=list)

    @classmethod
    def at(cls, snapshot: Snapshot, now: datetime) -> Targets:
        live = Registry.accepting(snapshot, now)
        ids = {contest.id for contest in live}
        settling = [
            c
            for c in snapshot.contests.values()
            if c.confirm is not None and c.id not in ids and c.accepts_event_at(c.confirm.on, now)
        ]
        ids |= {contest.id for contest in settling}
        return cls(live, [c for c in snapshot.rebuilding.values() if c.id in ids], settling)


def plan(event: Event, snapshot: Snapshot, now: datetime, targets: Targets | None = None) -> list[ContestChange]:
    """The contest changes of one event: live epochs, plus the epoch being rebuilt for a rescore
    (written quietly so the rebuilt boards miss nothing that arrives while the rebuild runs)."""
    targets = targets or Targets.at(snapshot, now)
    live = targets.live
    rebuilding = targets.rebuilding
    if targets.settling:
        live = live + [c for c in targets.settling if c.accepts_event_at(event.type, now)]
        rebuilding = [c for c in rebuilding if c.accepts_event_at(event.type, now)]
    changes = decide(event, live, snapshot.directory)
    if rebuilding:
        changes += [replace(c, replay=True, quiet=True) for c in decide(event, rebuilding, snapshot.directory)]
    return changes


def late_contests(event: Event, snapshot: Snapshot, now: datetime) -> list[str]:
    """Contests whose window covers the event but whose grace period is over: reported, never dropped."""
    return [
        c.id
        for c in snapshot.contests.values()
        if c.covers(event.occurred_at)
        and c.state == "active"
        and not c.accepts_event_at(event.type, now)
        and c.includes(event.rep, event.team)
    ]


def _unknown_rep(index: int, rep: str) -> dict[str, Any]:
    return {
        "index": index,
        "error": f"rep: unknown rep {rep!r}",
        "errors": [{"field": "rep", "message": "unknown rep: create it with PUT /api/v1/reps/{id}"}],
    }


async def ingest(
    arena: Arena, raw_events: Sequence[Any], *, source: str = "api", now: datetime | None = None
) -> dict[str, Any]:
    """Validate, score and write a batch; the shared path of every source (API, webhooks, CSV). Each item is a
    plain document, or what the API's decoding already made of it: an ``Event`` or the ``ValidationError``
    that rejects it (received at ``now``)."""
    now = now or datetime.now(UTC)
    snapshot = await arena.registry.current()
    rejected: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    events: list[Event] = []
    parsed: list[tuple[int, Event]] = []
    for index, raw in enumerate(raw_events):
        try:
            if isinstance(raw, ValidationError):
                raise raw
            event = (
                raw
                if isinstance(raw, Event)
                else parse_event(raw, now=now, default_currency=arena.settings.currency, source=source)
            )
            parsed.append((index, event))
        except ValidationError as exc:
            rejected.append({"index": index, "error": str(exc), "errors": [e.as_dict() for e in exc.errors]})
    if any(event.rep not in snapshot.directory.reps for _, event in parsed):
        snapshot = await arena.registry.current(force=True)  # a rep created a moment ago on another process
    for index, event in parsed:
        rep = snapshot.directory.reps.get(event.rep)
        if rep is None:
            rejected.append(_unknown_rep(index, event.rep))
            continue
        event = replace(event, team=rep.team)
        events.append(event)
        if missed := late_contests(event, snapshot, now):
            late.append({"index": index, "id": event.id, "contests": missed})
    rejected.sort(key=lambda item: item["index"])
    zone, currency = arena.settings.zone, arena.settings.currency
    targets = Targets.at(snapshot, now)
    results, version = await arena.ingest_writer.write(
        [Plan(event, plan(event, snapshot, now, targets), decide_xp(event, zone, currency)) for event in events]
    )
    # The configuration moved on while we planned (a contest created or rescored elsewhere): plan again
    # with the new one and write the contest changes again; writes are idempotent per contest and epoch.
    stale_config = version is not None and version != snapshot.version
    for _attempt in range(3):
        retry = [i for i, r in enumerate(results) if r.stale or stale_config]
        if not retry:
            break
        snapshot = await arena.registry.current(force=True)
        stale_config = False
        again = await arena.store.write_events(
            [Plan(events[i], plan(events[i], snapshot, now)) for i in retry], log=False
        )
        for i, result in zip(retry, again, strict=True):
            results[i] = replace(results[i], stale=result.stale, errors=results[i].errors + result.errors)
    for event, result in zip(events, results, strict=True):
        if result.new and event.type in ("deal.won", "deal.reversed", "deal.updated"):
            arena.badges.touch(event.rep, int(event.occurred_at.timestamp()), result.undone_at)
    accepted = sum(1 for r in results if r.new)
    warnings = [
        {"id": event.id, "error": error}
        for event, result in zip(events, results, strict=True)
        for error in result.errors
    ]
    answer: dict[str, Any] = {"accepted": accepted, "duplicates": len(results) - accepted, "rejected": rejected}
    if late:
        answer["late"] = late
    if warnings:
        answer["warnings"] = warnings
    return answer
