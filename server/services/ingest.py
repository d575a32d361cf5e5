"""Ingestion, the shared path of every source (the API, CRM webhooks, CSV backfill, flag decisions): each
event is validated, scored against the contests that accept it now and written idempotently.

Each valid event is accepted even when its neighbours are rejected. The answer is given only after the
write scripts returned, so "accepted" means durable in Redis (subject to its fsync policy), and a
client that retries with the same ids can never double count.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.contests import Contest
from game.errors import ValidationError
from game.events import Event, parse_event
from game.log_retention import earliest_accepted
from game.scoring import DEAL_TYPES, ContestChange, decide, scoring_warnings
from game.store import Plan, WriteResult
from game.xp import decide_xp
from server import metrics
from server.errors import STORAGE_OUTAGES
from server.services import late_events
from server.services.registry import Registry, Snapshot

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.ingest")
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
    changes = decide(event, live, snapshot.directory, snapshot.rates)
    if rebuilding:
        changes += [
            replace(c, replay=True, quiet=True) for c in decide(event, rebuilding, snapshot.directory, snapshot.rates)
        ]
    return changes


def _unknown_rep(index: int, rep: str) -> dict[str, Any]:
    return {
        "index": index,
        "error": f"rep: unknown rep {rep!r}",
        "errors": [{"field": "rep", "message": "unknown rep: create it with PUT /api/v1/reps/{id}"}],
    }


def _too_old(index: int, days: int) -> dict[str, Any]:
    """An event older than the log keeps: its dedupe entry may be gone, so it could be counted twice."""
    message = f"must be within the last {days - 1} days: the event log keeps {days} (ARENA_LOG_RETENTION_DAYS)"
    errors = [{"field": "occurred_at", "message": message}]
    return {"index": index, "error": f"occurred_at: {message}", "errors": errors}


def _unprocessable(index: int, event: Event, what: str, error: Exception) -> dict[str, Any]:
    log.exception("event %s (index %d) %s", event.key, index, what, exc_info=error)
    return {"index": index, "error": f"{what}: {error}", "errors": [{"field": "", "message": f"{what}: {error}"}]}


async def _write(
    arena: Arena, plans: list[Plan], indexes: list[int], rejected: list[dict[str, Any]]
) -> tuple[list[WriteResult], bytes | None]:
    """Write the request's plans together; if that fails for any reason but an outage, each alone, so one
    event no store accepts is rejected with its index (``plans`` and ``indexes`` lose it) and the rest land."""
    try:
        return await arena.ingest_writer.write(plans)
    except STORAGE_OUTAGES:
        raise
    except Exception:
        log.warning("a batch of %d events failed to write; writing each alone", len(plans))
    results: list[WriteResult] = []
    version: bytes | None = None
    kept: list[int] = []
    for position, (one, index) in enumerate(zip(plans, indexes, strict=True)):
        try:
            (result,), version = await arena.ingest_writer.write([one])
        except STORAGE_OUTAGES:
            raise
        except Exception as exc:
            rejected.append(_unprocessable(index, one.event, "cannot be stored", exc))
            continue
        results.append(result)
        kept.append(position)
    plans[:] = [plans[p] for p in kept]
    indexes[:] = [indexes[p] for p in kept]
    return results, version


async def _scoring_warnings(
    arena: Arena,
    snapshot: Snapshot,
    targets: Targets,
    events: list[Event],
    results: list[WriteResult],
    indexes: list[int],
) -> list[dict[str, Any]]:
    """New deals that score less than they will or should (``game.scoring.scoring_warnings``), with their index;
    a deal in a currency whose month has no rate yet is also counted as waiting for it (``GET /api/v1/rates``)."""
    rates = snapshot.rates
    warnings: list[dict[str, Any]] = []
    waiting: dict[str, int] = {}
    contests = targets.live + targets.settling
    for index, event, result in zip(indexes, events, results, strict=True):
        if not result.new or event.amount is None or event.type not in DEAL_TYPES:
            continue
        if event.currency and event.currency != rates.base:
            month = rates.month_of(event.occurred_at)
            if rates.rate(event.currency, month) is None:
                field = f"{event.currency}|{month}"
                waiting[field] = waiting.get(field, 0) + 1
        for error in scoring_warnings(event, contests, snapshot.directory, rates):
            warnings.append({"index": index, "id": event.id, "error": error})
    if waiting:
        await arena.registry.count_rates_waiting(waiting)
    return warnings


async def ingest(
    arena: Arena, raw_events: Sequence[Any], *, source: str = "api", now: datetime | None = None
) -> dict[str, Any]:
    """Validate, score and write a batch; the shared path of every source (API, webhooks, CSV). Each item is a
    plain document, or what the API's decoding already made of it: an ``Event`` or the ``ValidationError``
    that rejects it (received at ``now``)."""
    now = now or datetime.now(UTC)
    earliest = earliest_accepted(now, arena.settings.log_retention_days)
    snapshot = await arena.registry.current()
    rejected: list[dict[str, Any]] = []
    events: list[Event] = []
    accepted_indexes: list[int] = []
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
            if event.occurred_at < earliest:
                rejected.append(_too_old(index, arena.settings.log_retention_days))
                continue
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
        accepted_indexes.append(index)
    zone, currency = arena.settings.zone, arena.settings.currency
    targets = Targets.at(snapshot, now)
    plans: list[Plan] = []
    indexes: list[int] = []
    for index, event in zip(accepted_indexes, events, strict=True):
        try:
            plans.append(Plan(event, plan(event, snapshot, now, targets), decide_xp(event, zone, currency)))
            indexes.append(index)
        except Exception as exc:  # a value the checks let through and the engine cannot score: this event only
            rejected.append(_unprocessable(index, event, "cannot be scored", exc))
    results, version = await _write(arena, plans, indexes, rejected)
    events = [p.event for p in plans]
    rejected.sort(key=lambda item: item["index"])
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
    new = {event.key for event, result in zip(events, results, strict=True) if result.new}
    late = await late_events.surface(arena, snapshot, now, parsed, new)
    accepted = sum(1 for r in results if r.new)
    warnings = [
        {"id": event.id, "error": error}
        for event, result in zip(events, results, strict=True)
        for error in result.errors
    ]
    warnings += await _scoring_warnings(arena, snapshot, targets, events, results, indexes)
    answer: dict[str, Any] = {"accepted": accepted, "duplicates": len(results) - accepted, "rejected": rejected}
    metrics.count_ingest(source, accepted, len(results) - accepted, len(rejected), len(late))
    if late:
        answer["late"] = late
    if warnings:
        answer["warnings"] = warnings
    return answer
