"""Backups of a whole organisation: its configuration as JSON beside an export of its event log.

A backup is a directory ``arena-<UTC time>`` holding ``config.json`` (every key ``keys.backup_patterns`` names,
written out by type — strings, hashes, sets, sorted sets, lists, streams with their ids — in JSON, so it restores
into any Redis version or a cluster, unlike DUMP payloads) and ``events.jsonl`` (the log, as
``python -m scripts.events export`` writes it). Boards, ledgers and XP are not kept: a restore imports the log and
rebuilds them — but for the contests a rebuild leaves as they are (archived, or begun before the oldest event the log
keeps), whose keys are all kept. Key names are kept without the key prefix, so a backup restores under another
``ARENA_KEY_PREFIX``.

Written into a hidden temporary directory and renamed when complete, so a directory named like a backup is a
whole one; ``LATEST`` names the newest; the oldest past the count to keep are removed.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import msgpack
from redis.asyncio import Redis

from game import keys
from game.log_retention import replayable
from server.config import Settings
from server.services.event_log_store import EventLogStore

FORMAT = 1
CONFIG_FILE = "config.json"
EVENTS_FILE = "events.jsonl"
log = logging.getLogger("arena.backups")
LATEST = "LATEST"
NAME = re.compile(r"arena-\d{8}T\d{6}Z")
STREAM_PAGE = 1000


def backup_name(now: datetime) -> str:
    return f"arena-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _text(value: Any) -> str | dict[str, str]:
    """A value for JSON: text as it is, other bytes (msgpack records, pictures) in base64."""
    if isinstance(value, str):
        return value
    try:
        return value.decode()
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(value).decode()}


def _bytes(value: str | dict[str, str]) -> bytes:
    return base64.b64decode(value["b64"]) if isinstance(value, dict) else value.encode()


def as_text(value: Any) -> str:
    """A name or value Redis answered, as text (the server's clients answer bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def rebuilt_from_log(document: dict[str, Any], trimmed_before: datetime | None) -> bool:
    """Whether ``scripts.events rebuild`` rebuilds a stored contest (its boards need no backup): not archived, and
    the log still holds every event since it began."""
    starts_at = datetime.fromisoformat(document["definition"]["starts_at"])
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=UTC)
    return document.get("state") != "archived" and replayable(starts_at, trimmed_before)


async def kept_as_they_are(redis: Redis) -> list[str]:
    """The contests a restore cannot rebuild: archived, or begun before the oldest event the log keeps."""
    trimmed = await EventLogStore(redis).trimmed_before()
    documents = await redis.hgetall(keys.CONTESTS)
    return sorted(
        as_text(contest) for contest, raw in documents.items() if not rebuilt_from_log(json.loads(raw), trimmed)
    )


async def config_keys(redis: Redis) -> list[str]:
    """Every key the backup keeps (those with a time to live are left out by ``dump_config``)."""
    found: set[str] = set()
    patterns = keys.backup_patterns() + [keys.contest_pattern(c) for c in await kept_as_they_are(redis)]
    for pattern in patterns:
        async for key in redis.scan_iter(match=pattern, count=1000):
            found.add(as_text(key))
    return sorted(found)


async def dump_key(redis: Redis, key: str) -> dict[str, Any] | None:
    """One key as JSON, None when it has a time to live or is gone."""
    kind = as_text(await redis.type(key))
    if kind == "none" or await redis.pttl(key) > 0:
        return None
    entry: dict[str, Any] = {"type": kind}
    if kind == "string":
        entry["value"] = _text(await redis.get(key) or b"")
    elif kind == "hash":
        entry["value"] = [[_text(f), _text(v)] for f, v in (await redis.hgetall(key)).items()]
    elif kind == "set":
        entry["value"] = sorted((_text(m) for m in await redis.smembers(key)), key=json.dumps)
    elif kind == "zset":
        scored: list[Any] = await redis.zrange(key, 0, -1, withscores=True)
        entry["value"] = [[_text(m), s] for m, s in scored]
    elif kind == "list":
        entry["value"] = [_text(v) for v in await redis.lrange(key, 0, -1)]
    elif kind == "stream":
        entries: list[Any] = []
        start = "-"
        page: Any
        while page := await redis.xrange(key, min=start, count=STREAM_PAGE):
            entries += [[as_text(i), [[_text(f), _text(v)] for f, v in (fields or {}).items()]] for i, fields in page]
            if len(page) < STREAM_PAGE:
                break
            start = "(" + as_text(page[-1][0])
        entry["value"] = entries
    else:
        raise ValueError(f"{key}: a {kind} cannot be backed up")
    return entry


async def dump_config(redis: Redis) -> dict[str, Any]:
    """The configuration document: key (without the prefix) -> its type and contents."""
    head = keys.PREFIX + ":"
    dumped = {}
    for key in await config_keys(redis):
        entry = await dump_key(redis, key)
        if entry is not None:
            dumped[key.removeprefix(head)] = entry
    return dumped


async def restore_key(redis: Redis, key: str, entry: dict[str, Any]) -> None:
    kind, value = entry["type"], entry["value"]
    if kind == "string":
        await redis.set(key, _bytes(value))
        return
    pipe = redis.pipeline(transaction=False)
    if kind == "hash" and value:
        pipe.hset(key, mapping={_bytes(f): _bytes(v) for f, v in value})
    elif kind == "set" and value:
        pipe.sadd(key, *(_bytes(m) for m in value))
    elif kind == "zset" and value:
        pipe.zadd(key, {_bytes(m): float(s) for m, s in value})
    elif kind == "list" and value:
        pipe.rpush(key, *(_bytes(v) for v in value))
    elif kind == "stream":
        for stream_id, fields in value:
            pipe.xadd(key, {_bytes(f): _bytes(v) for f, v in fields}, id=stream_id)
    await pipe.execute()


async def restore_config(redis: Redis, config: dict[str, Any]) -> int:
    """Write a configuration document back (under the current key prefix); how many keys."""
    for name, entry in config.items():
        await restore_key(redis, f"{keys.PREFIX}:{name}", entry)
    return len(config)


async def write_event_log(
    event_log: EventLogStore,
    out: IO[bytes],
    binary: bool,
    upto: str = "+",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Every event of the log up to ``upto``, in its one global order, as JSON Lines (or msgpack); how many."""
    done = 0
    async for _, events in event_log.batches(upto=upto):
        for event in events:
            record = event.to_record()
            out.write(msgpack.packb(record) if binary else (json.dumps(record, ensure_ascii=False) + "\n").encode())
        done += len(events)
        if progress is not None:
            progress(done)
    return done


@dataclass(frozen=True)
class Written:
    path: Path
    keys: int
    events: int


def _replace_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


async def write_backup(redis: Redis, event_log: EventLogStore, directory: Path, now: datetime) -> Written:
    """A whole backup in ``directory``, renamed into place once complete, and ``LATEST`` pointing at it."""
    directory.mkdir(parents=True, exist_ok=True)
    name = backup_name(now)
    work = directory / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        with (work / EVENTS_FILE).open("wb") as out:
            events = await write_event_log(event_log, out, binary=False)
        config = await dump_config(redis)  # after the log: every rep an exported event names is in it
        manifest = {"format": FORMAT, "created_at": now.isoformat(), "events": events, "keys": config}
        (work / CONFIG_FILE).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        target = directory / name
        shutil.rmtree(target, ignore_errors=True)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _replace_text(directory / LATEST, name + "\n")
    return Written(target, len(config), events)


def backups(directory: Path) -> list[Path]:
    """The complete backups in ``directory``, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and NAME.fullmatch(p.name))


def rotate(directory: Path, keep: int) -> list[Path]:
    """Remove the oldest backups past ``keep``; the removed ones."""
    old = backups(directory)[:-keep] if keep > 0 else []
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    return old


def resolve(path: Path) -> Path:
    """A backup directory from itself or from the directory of backups (its ``LATEST``)."""
    if (path / CONFIG_FILE).is_file():
        return path
    latest = path / LATEST
    if latest.is_file():
        return path / latest.read_text(encoding="utf-8").strip()
    raise FileNotFoundError(f"{path} is neither a backup nor a directory of backups")


def read_manifest(backup: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((backup / CONFIG_FILE).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{backup}: backup format {manifest.get('format')!r} is not {FORMAT}")
    return manifest


# A long backup outlives the scheduler's lease, and another process may take the lease meanwhile: this claim keeps
# it from starting a second one (a process that dies mid-backup holds it back this long at most).
CLAIM_SECONDS = 3600


class Backups:
    """Scheduled backups: every ``ARENA_BACKUP_HOURS`` a whole backup into ``ARENA_BACKUP_DIR``, the oldest past
    ``ARENA_BACKUP_KEEP`` removed; run as a step of the scheduler's tick, so only the lease holder writes. When the
    last one was written (or why it failed) is kept in Redis for every process: ``/readyz`` shows it."""

    def __init__(self, redis: Redis, event_log: EventLogStore, directory: Path | None, hours: float, keep: int):
        self.redis = redis
        self.event_log = event_log
        self.directory = directory
        self.every = timedelta(hours=hours)
        self.keep = keep

    @classmethod
    def configured(cls, redis: Redis, event_log: EventLogStore, settings: Settings) -> Backups:
        return cls(redis, event_log, settings.backup_dir, settings.backup_hours, settings.backup_keep)

    async def state(self) -> dict[str, str]:
        """last_at, last_name, last_error, error_at (those there are)."""
        raw = await self.redis.hgetall(keys.BACKUP_STATE)
        return {as_text(k): as_text(v) for k, v in raw.items()}

    async def due(self, now: datetime) -> bool:
        last = await self.redis.hget(keys.BACKUP_STATE, "last_at")
        return last is None or now - datetime.fromisoformat(as_text(last)) >= self.every

    async def run(self, now: datetime) -> Written | None:
        """Write a backup if one is due; None when none was (or it failed: logged and kept for ``/readyz``)."""
        if self.directory is None or not await self.due(now):
            return None
        token = secrets.token_hex(8)
        if not await self.redis.set(keys.BACKUP_RUNNING, token, nx=True, ex=CLAIM_SECONDS):
            return None  # another process is writing one
        try:
            written = await write_backup(self.redis, self.event_log, self.directory, now)
            removed = rotate(self.directory, self.keep)
        except (OSError, ValueError) as exc:  # a full disk, no permission, a key of a kind it cannot write out
            log.error("backup into %s failed: %s", self.directory, exc)
            await self.redis.hset(keys.BACKUP_STATE, mapping={"last_error": str(exc), "error_at": now.isoformat()})
            return None
        finally:
            if as_text(await self.redis.get(keys.BACKUP_RUNNING) or b"") == token:
                await self.redis.delete(keys.BACKUP_RUNNING)
        await self.redis.hset(keys.BACKUP_STATE, mapping={"last_at": now.isoformat(), "last_name": written.path.name})
        await self.redis.hdel(keys.BACKUP_STATE, "last_error", "error_at")
        log.info(
            "backup %s written (%d keys, %d events; %d old ones removed)",
            written.path.name,
            written.keys,
            written.events,
            len(removed),
        )
        return written

    async def readiness(self) -> dict[str, Any] | None:
        """What ``/readyz`` tells of backups (None when they are off)."""
        if self.directory is None:
            return None
        return await self.state()
