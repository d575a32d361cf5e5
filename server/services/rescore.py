"""Rescore: replay the event log through the pure engine into a fresh epoch, then switch atomically.

While the new epoch is rebuilt, live ingestion keeps writing the old epoch (what viewers see) and,
quietly, the new one, so nothing that arrives during the rebuild is missed. Every write is idempotent
per epoch, so the replay and the live writes may overlap freely. After the switch, one more pass over
the log's tail catches events whose requests were planned before the rebuild was announced.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import msgpack
from redis.asyncio import Redis

from game import keys
from game.contests import Contest, definition_changes
from game.events import Event
from game.scoring import decide
from game.store import Plan, Store, read_stream
from server.services.registry import Registry

log = logging.getLogger("arena.rescore")
BATCH = 500
SETTLE_SECONDS = 0.5  # lets requests planned before the announcement finish logging


async def read_log(redis: Redis, after: str = "-", batch: int = BATCH) -> AsyncIterator[tuple[str, list[Event]]]:
    """The event log in order, in batches, with the stream id of each batch's last entry."""
    start = after if after == "-" else f"({after}"
    while True:
        entries = await read_stream(redis, keys.EVENT_LOG, start, "+", count=batch)
        if not entries:
            return
        events = [Event.from_record(msgpack.unpackb(fields[b"e"], raw=False)) for _, fields in entries]
        last = entries[-1][0].decode()
        yield last, events
        start = f"({last}"


async def replay_into(
    store: Store,
    registry: Registry,
    contest: Contest,
    after: str = "-",
    progress: Callable[[int], Any] | None = None,
) -> tuple[str, int]:
    """Apply every logged event after ``after`` to ``contest`` (at its epoch) quietly; returns the last
    stream id read and how many events were read."""
    last, count = after, 0
    async for batch_end, events in read_log(store.redis, after):
        last = batch_end
        directory = (await registry.current()).directory
        planned = []
        for event in events:
            changes = [replace(c, replay=True, quiet=True) for c in decide(event, [contest], directory)]
            if changes:
                planned.append(Plan(event, changes))
        await store.write_events(planned, log=False)
        count += len(events)
        if progress is not None:
            await progress(count)
    return last, count


def _lock_key(contest_id: str) -> str:
    return keys.ContestKeys(contest_id).meta + ":lock"


async def claim(redis: Redis, contest_id: str, actor: str) -> bool:
    """Take the contest's rescore lease (one rescore at a time); False if one is running."""
    return bool(await redis.set(_lock_key(contest_id), actor, nx=True, ex=3600))


async def rescore(
    store: Store, registry: Registry, contest_id: str, definition: dict[str, Any] | None, actor: str
) -> int:
    """Rebuild ``contest_id`` (with a new definition when given) into the next epoch and switch to it.
    The caller holds the lease from ``claim``; it is released here."""
    redis = store.redis
    try:
        stored = await redis.hget(keys.CONTESTS, contest_id)
        if stored is None:
            raise LookupError(f"contest {contest_id!r} is gone")
        document = json.loads(stored)
        current = int(document.get("epoch", 1))
        target = current + 1
        version = int(document.get("version", 1)) + (1 if definition is not None else 0)
        new_definition = definition if definition is not None else document["definition"]
        document["rebuilding"] = {
            "definition": new_definition,
            "version": version,
            "epoch": target,
            "changes": definition_changes(document["definition"], new_definition),
        }
        await registry.put_contest(document, actor, "contest.rescore.start")
        await asyncio.sleep(SETTLE_SECONDS)
        next_contest = registry.contest_from({**document, **document["rebuilding"]})
        meta = keys.ContestKeys(contest_id).meta
        total = await redis.xlen(keys.EVENT_LOG)
        await redis.hset(meta, mapping={"rescore_state": "running", "rescore_done": 0, "rescore_total": total})

        async def progress(done: int) -> None:
            await redis.hset(meta, "rescore_done", done)

        await _ensure_roster(store, registry, next_contest)
        last, _ = await replay_into(store, registry, next_contest, progress=progress)
        # The switch: viewers reading the contest now see the new epoch (and are told so).
        pipe = redis.pipeline(transaction=True)
        pipe.hset(meta, mapping={"epoch": target, "rescore_state": "switching"})
        pipe.publish(keys.doorbell_channel(contest_id), json.dumps({"contest": contest_id, "epoch": target}))
        await pipe.execute()
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
        await replay_into(store, registry, registry.contest_from(document), after=last)
        finish = redis.pipeline(transaction=True)
        finish.hset(meta, "rescore_state", "done")
        finish.delete(_lock_key(contest_id))
        await finish.execute()
        return target
    except Exception:
        await redis.hset(keys.ContestKeys(contest_id).meta, "rescore_state", "failed")
        raise
    finally:
        await redis.delete(_lock_key(contest_id))


async def _ensure_roster(store: Store, registry: Registry, contest: Contest) -> None:
    directory = (await registry.current()).directory
    reps = [r.id for r in directory.reps.values() if r.active and contest.includes(r.id, r.team)]
    teams = [t for t in directory.teams if contest.teams is None or t in contest.teams]
    divisions = {rep: d for rep in reps if (d := contest.division_of(rep))}
    await store.ensure_members(contest.id, contest.epoch, reps, teams, divisions, ring=False)


async def drop_epoch(redis: Redis, contest_id: str, epoch: int) -> None:
    """Delete a superseded epoch's keys (after a short grace so in-flight reads finish)."""
    await asyncio.sleep(1)
    pattern = keys.ContestKeys(contest_id, epoch).epoch_pattern()
    batch: list[bytes] = []
    async for key in redis.scan_iter(match=pattern, count=500):
        batch.append(key)
        if len(batch) >= 500:
            await redis.unlink(*batch)
            batch = []
    if batch:
        await redis.unlink(*batch)
