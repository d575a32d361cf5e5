"""Backups of a whole organisation, and restoring one into an empty Redis (``server/services/backup_store.py``).

    python -m scripts.backup take DIR               # a backup now into DIR (as the scheduler does), rotation kept
    python -m scripts.backup restore DIR_OR_BACKUP  # the newest in DIR (its LATEST), or that backup
    python -m scripts.backup list DIR

Restore writes the configuration, imports the event log and rebuilds every contest from it, into a Redis that
holds nothing under the key prefix (``--force`` to write over what is there). Stop the servers first and
start them with the same ``ARENA_SECRET_KEY`` as the backed-up ones: connector and channel secrets are sealed
with it. Settings as for ``scripts.events`` (``ARENA_REDIS_URL``…, ``ARENA_KEY_PREFIX``, ``ARENA_LOG_SHARDS``;
``--redis`` replaces the URL). The last line on stdout is a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.store import LogShardsChanged, Store
from scripts.events import connect, import_log, rebuild
from server.config import ConfigError, Settings, load_settings
from server.services.backup_store import (
    EVENTS_FILE,
    backups,
    read_manifest,
    resolve,
    restore_config,
    rotate,
    write_backup,
)
from server.services.event_log_store import EventLogStore


async def holds_anything(redis: Redis) -> bool:
    async for _ in redis.scan_iter(match=f"{keys.PREFIX}:*", count=1000):
        return True
    return False


async def restore(redis: Redis, settings: Settings, path: Path, force: bool) -> dict[str, Any]:
    backup = resolve(path)
    manifest = read_manifest(backup)
    if not force and await holds_anything(redis):
        raise SystemExit(f"Redis already holds keys under {keys.PREFIX}: restore into an empty one, or give --force")
    restored = await restore_config(redis, manifest["keys"])
    imported = await import_log(redis, settings, backup / EVENTS_FILE)
    rebuilt = await rebuild(redis, settings, None)
    return {"backup": str(backup), "keys": restored, **imported, **rebuilt}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise SystemExit(f"configuration error: {exc}") from None
    if args.command == "list":
        return {"backups": [p.name for p in backups(Path(args.path))]}
    if args.redis:
        settings = replace(settings, redis_url=args.redis)
    redis = connect(settings)
    try:
        if args.command == "take":
            try:
                await Store(redis, log_shards=settings.log_shards).check_log_shards()
            except LogShardsChanged as exc:
                raise SystemExit(str(exc)) from None
            directory = Path(args.path)
            written = await write_backup(
                redis, EventLogStore(redis, shards=settings.log_shards), directory, datetime.now(UTC)
            )
            removed = rotate(directory, args.keep or settings.backup_keep)
            return {
                "backup": str(written.path),
                "keys": written.keys,
                "events": written.events,
                "removed": [p.name for p in removed],
            }
        return await restore(redis, settings, Path(args.path), args.force)
    finally:
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("take", "restore", "list"))
    parser.add_argument("path", help="the directory of backups, or one backup (restore)")
    parser.add_argument("--redis", help="Redis URL (default: ARENA_REDIS_URL); cluster and Sentinel settings apply")
    parser.add_argument("--force", action="store_true", help="restore into a Redis that holds keys already")
    parser.add_argument("--keep", type=int, help="backups to keep (take; default ARENA_BACKUP_KEEP)")
    args = parser.parse_args()
    try:
        print(json.dumps(asyncio.run(main_async(args)), ensure_ascii=False))
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(str(exc)) from None


if __name__ == "__main__":
    main()
