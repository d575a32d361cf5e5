"""The event log, for backups and moves: export, import, and rebuild every board from it.

    python -m scripts.events export backup.jsonl [--before DATE]    # JSON Lines, or .msgpack
    python -m scripts.events import backup.jsonl                    # idempotent: run it twice, nothing doubles
    python -m scripts.events rebuild [--contest ID]                 # rescore contests from the log

The settings are the server's (``server/config.py``: the Redis deployment — ``ARENA_REDIS_URL``,
``ARENA_REDIS_CLUSTER``, ``ARENA_REDIS_SENTINELS``… —, ``ARENA_KEY_PREFIX``, ``ARENA_LOG_SHARDS``); ``--redis``
replaces only the URL. Export reads every shard of the log in its one global order; ``--before`` keeps to the entries
received before a date (``2026-01-31`` is midnight UTC, or a time with its offset): what the retention job will
trim next. For a backup of the whole organisation (its configuration too) and its restore, see ``scripts.backup``.
Import replays each event through the same pure engine and the same atomic scripts as live
ingestion, keeping each event's source and id, so an event already there is a duplicate. Progress goes to
stderr; the last line on stdout is a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgpack
from redis.asyncio import Redis

from game import keys
from game.events import Event
from game.log_retention import replayable
from game.log_shards import id_before
from game.store import LogShardsChanged, Plan, Store, XpShardsChanged
from game.xp import decide_xp
from server.config import ConfigError, Settings, load_settings
from server.redis_connection import connect as connect_to
from server.services.backup_store import write_event_log
from server.services.event_log_store import EventLogStore
from server.services.ingest import plan
from server.services.registry import Registry
from server.services.rescore import drop_epoch, rescore
from server.services.rescore_store import RescoreStore

BATCH = 500


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.monotonic() - started, 1e-9)
    print(f"\r{label}: {done:,}/{total:,} events ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)


async def export(redis: Redis, settings: Settings, path: Path, before: datetime | None = None) -> dict[str, Any]:
    event_log = EventLogStore(redis, shards=settings.log_shards)
    total = await event_log.length()
    started = time.monotonic()
    binary = path.suffix == ".msgpack"
    upto = "+" if before is None else id_before(before)
    with path.open("wb") as out:
        done = await write_event_log(
            event_log, out, binary, upto, lambda done: progress("export", done, total, started)
        )
    print(file=sys.stderr)
    return {"exported": done, "file": str(path)}


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".msgpack":
        with path.open("rb") as handle:
            yield from msgpack.Unpacker(handle, raw=False)
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


async def import_log(redis: Redis, settings: Settings, path: Path) -> dict[str, Any]:
    store = Store(redis, log_shards=settings.log_shards)
    registry = Registry(redis, timezone=settings.timezone, currency=settings.currency)
    total = sum(1 for _ in read_records(path))
    started, done, new, unknown = time.monotonic(), 0, 0, 0
    batch: list[Event] = []

    async def flush() -> None:
        nonlocal new, unknown
        snapshot = await registry.current()
        now = datetime.now(UTC)
        plans = []
        for event in batch:
            if event.rep not in snapshot.directory.reps:
                unknown += 1  # kept in the log all the same: a later rebuild scores it once the rep exists
            plans.append(Plan(event, plan(event, snapshot, now), decide_xp(event, settings.zone, settings.currency)))
        results = await store.write_events(plans)
        new += sum(1 for r in results if r.new)
        batch.clear()

    for record in read_records(path):
        batch.append(Event.from_record(record))
        done += 1
        if len(batch) >= BATCH:
            await flush()
            progress("import", done, total, started)
    if batch:
        await flush()
    progress("import", done, total, started)
    print(file=sys.stderr)
    return {"read": done, "imported": new, "duplicates": done - new, "unknown_reps": unknown}


async def rebuild(redis: Redis, settings: Settings, contest: str | None) -> dict[str, Any]:
    store = Store(redis, log_shards=settings.log_shards)
    registry = Registry(redis, timezone=settings.timezone, currency=settings.currency)
    rescores = RescoreStore(redis)
    snapshot = await registry.current()
    targets = [contest] if contest else [c.id for c in snapshot.contests.values() if c.state != "archived"]
    event_log = EventLogStore(redis, shards=settings.log_shards)
    rebuilt = {}
    for contest_id in targets:
        if contest_id not in snapshot.contests:
            raise SystemExit(f"no contest {contest_id!r}")
        if not replayable(snapshot.contests[contest_id].starts_at, await event_log.trimmed_before()):
            if contest:
                raise SystemExit(f"{contest_id} began before the oldest events the log keeps: it cannot be rebuilt")
            print(f"kept {contest_id} as it is: it began before the oldest events the log keeps", file=sys.stderr)
            continue
        if not await rescores.claim(contest_id, "scripts.events"):
            raise SystemExit(f"a rescore of {contest_id} is already running")
        started = time.monotonic()
        epoch = await rescore(store, registry, rescores, event_log, contest_id, None, "scripts.events")
        await drop_epoch(rescores, contest_id, epoch - 1)
        rebuilt[contest_id] = {"epoch": epoch, "seconds": round(time.monotonic() - started, 2)}
        print(f"rebuilt {contest_id} (epoch {epoch})", file=sys.stderr)
    return {"rebuilt": rebuilt}


def connect(settings: Settings) -> Redis:
    """The client of the deployment the settings name, with the server's key prefix."""
    keys.use_prefix(settings.key_prefix)  # the same keys and channels as the server's
    keys.use_xp_shards(settings.xp_shards)
    if settings.redis.needs_embedded:
        raise SystemExit("give --redis URL or set ARENA_REDIS_URL (or ARENA_REDIS_SENTINELS)")
    return connect_to(settings.redis, max_connections=8)


def parse_before(value: str) -> datetime:
    """``2026-01-31`` (midnight UTC) or an ISO time with its offset."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (e.g. 2026-01-31)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise SystemExit(f"configuration error: {exc}") from None
    if args.redis:
        settings = replace(settings, redis_url=args.redis)
    redis = connect(settings)
    try:
        try:
            store = Store(redis, log_shards=settings.log_shards)
            await store.check_log_shards()
            await store.check_xp_shards()
        except (LogShardsChanged, XpShardsChanged) as exc:
            raise SystemExit(str(exc)) from None
        if args.command == "export":
            return await export(redis, settings, Path(args.file), args.before)
        if args.command == "import":
            return await import_log(redis, settings, Path(args.file))
        return await rebuild(redis, settings, args.contest)
    finally:
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("export", "import", "rebuild"))
    parser.add_argument("file", nargs="?", help="the .jsonl or .msgpack file (export, import)")
    parser.add_argument("--redis", help="Redis URL (default: ARENA_REDIS_URL); cluster and Sentinel settings apply")
    parser.add_argument("--contest", help="rebuild only this contest")
    parser.add_argument("--before", type=parse_before, help="export only the entries received before this date")
    args = parser.parse_args()
    if args.command in ("export", "import") and not args.file:
        parser.error(f"{args.command} needs a file")
    print(json.dumps(asyncio.run(main_async(args)), ensure_ascii=False))


if __name__ == "__main__":
    main()
