"""Rescore: replay the event log through the pure engine into a fresh epoch, then switch atomically.

While the new epoch is rebuilt, live ingestion keeps writing the old epoch (what viewers see) and,
quietly, the new one, so nothing that arrives during the rebuild is missed. Every write is idempotent
per epoch, so the replay and the live writes may overlap freely. After the switch, one more pass over
the log's tail catches events whose requests were planned before the rebuild was announced.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from game.contests import Contest, definition_changes
from game.events import Event
from game.rosters import contest_teams, regroup
from game.scoring import decide
from game.store import Plan, Store
from server.services.contest_versions import add_version, version_entry
from server.services.event_log_store import EventLogStore
from server.services.registry import Registry
from server.services.rescore_store import RescoreStore

log = logging.getLogger("arena.rescore")
SETTLE_SECONDS = 0.5  # lets requests planned before the announcement finish logging
DROP_GRACE_SECONDS = 1.0  # lets reads of the superseded epoch finish


async def replay_into(
    store: Store,
    registry: Registry,
    event_log: EventLogStore,
    contest: Contest,
    after: str = "-",
    progress: Callable[[int], Any] | None = None,
    skip: Collection[str] = (),
) -> tuple[str, int]:
    """Apply every logged event after ``after`` to ``contest`` (at its epoch) quietly, but those keyed in
    ``skip`` (late events no manager applied); returns the log position reached and how many events were read."""
    last = after

    async def reached(batch_end: str, count: int) -> None:
        nonlocal last
        last = batch_end
        if progress is not None:
            await progress(count)

    count = await write_replayed(store, registry, event_log.batches(after), contest, reached, skip)
    return last, count


async def write_replayed(
    store: Store,
    registry: Registry,
    batches: AsyncIterator[tuple[str, list[Event]]],
    contest: Contest,
    progress: Callable[[str, int], Awaitable[Any]],
    skip: Collection[str] = (),
) -> int:
    """Decide and write each batch of logged events for ``contest`` (at its epoch), quietly, as a replay, but
    those keyed in ``skip``; ``progress`` hears the log position each batch reaches and the events read so far.
    Returns that count."""
    count = 0
    async for batch_end, events in batches:
        snapshot = await registry.current()
        directory, rates = snapshot.directory, snapshot.rates
        planned = []
        for event in events:
            if event.key in skip:
                continue
            changes = [replace(c, replay=True, quiet=True) for c in decide(event, [contest], directory, rates)]
            if changes:
                planned.append(Plan(event, changes))
        await store.write_events(planned, log=False)
        count += len(events)
        await progress(batch_end, count)
    return count


async def rescore(
    store: Store,
    registry: Registry,
    rescores: RescoreStore,
    event_log: EventLogStore,
    contest_id: str,
    definition: dict[str, Any] | None,
    actor: str,
    *,
    reason: str | None = None,
    skip: Collection[str] = (),
    settle: Callable[[], Awaitable[Any]] | None = None,
) -> int:
    """Rebuild ``contest_id`` (with a new definition when given: a new version, made for ``reason``) into the
    next epoch and switch to it, leaving out the events keyed in ``skip``. The caller holds the lease from
    ``RescoreStore.claim``; it is released here. ``settle`` runs after the switch, before the rescore is reported
    done (closed contests' results are corrected then)."""
    try:
        document = await registry.contest_document(contest_id)
        if document is None:
            raise LookupError(f"contest {contest_id!r} is gone")
        current = int(document.get("epoch", 1))
        target = current + 1
        version = int(document.get("version", 1)) + (1 if definition is not None else 0)
        new_definition = definition if definition is not None else document["definition"]
        document["rebuilding"] = {
            "definition": new_definition,
            "version": version,
            "epoch": target,
            "changes": definition_changes(document["definition"], new_definition),
            "reason": reason,
        }
        await registry.put_contest(document, actor, "contest.rescore.start")
        await asyncio.sleep(SETTLE_SECONDS)
        next_contest = registry.contest_from({**document, **document["rebuilding"]})
        await rescores.started(contest_id, await event_log.length())

        async def progress(done: int) -> None:
            await rescores.progressed(contest_id, done)

        await ensure_roster(store, registry, next_contest, rosters_from=current)
        last, _ = await replay_into(store, registry, event_log, next_contest, progress=progress, skip=skip)
        # The switch: viewers reading the contest now see the new epoch (and are told so).
        await rescores.switch(contest_id, target)
        if definition is not None:
            add_version(document, version_entry(version, actor, reason, document["rebuilding"]["changes"]))
        history = document.get("history", [])
        history.append(
            {
                "version": document.get("version", 1),
                "definition": document["definition"],
                "replaced_at": datetime.now(UTC).isoformat(),
                "by": actor,
            }
        )
        document.update(definition=new_definition, version=version, epoch=target, history=history[-50:])
        document.pop("rebuilding", None)
        await registry.put_contest(document, actor, "contest.rescore.switch")
        await replay_into(store, registry, event_log, registry.contest_from(document), after=last, skip=skip)
        if settle is not None:
            await settle()
        await rescores.finished(contest_id)
        return target
    except Exception:
        await rescores.failed(contest_id)
        raise
    finally:
        await rescores.release(contest_id)


async def ensure_roster(
    store: Store,
    registry: Registry,
    contest: Contest,
    *,
    ring: bool = False,
    rosters_from: int | None = None,
    regroup_teams: bool = True,
) -> None:
    """Every participant on the contest's boards at its epoch (zero points), whatever its status, and (with
    ``regroup_teams``) its team rosters: the directory's, except that an ended contest rebuilt from epoch
    ``rosters_from`` keeps the rosters it ended with (a rep who moved since does not change its result)."""
    directory = (await registry.current()).directory
    reps = [r.id for r in directory.reps.values() if r.active and contest.includes(r.id, r.team)]
    teams = contest_teams(contest, directory)
    divisions = {rep: d for rep in reps if (d := contest.division_of(rep))}
    if regroup_teams:
        grouped = regroup(contest, directory, quiet=True)
        if rosters_from is not None and contest.status_at(datetime.now(UTC)) in ("ended", "archived"):
            grouped = replace(grouped, rosters=await store.team_rosters(contest.id, rosters_from))
        await store.regroup_teams([grouped])
    await store.ensure_members(contest.id, contest.epoch, reps, teams, divisions, ring=ring)


async def drop_epoch(rescores: RescoreStore, contest_id: str, epoch: int) -> None:
    """Delete a superseded epoch's keys (after a short grace so in-flight reads finish)."""
    await asyncio.sleep(DROP_GRACE_SECONDS)
    await rescores.drop_epoch(contest_id, epoch)
