"""Rewriting a Redis stream with its entry ids and order kept: streams cannot change an entry in place, so the
entries are copied, a batch per script call, into a scratch stream of the same slot with the changed ones replaced,
and the copy then takes the stream's place at once (``game/lua/rewrite_stream.lua``). Readers see the old stream
until that moment; entries appended meanwhile are copied (and changed) before it. The erasure of a person uses it
for the event log (per shard), ledgers, the audit log and the recognition and badge streams.

Keys are moved with ``move_key``: a RENAME within a slot, a copy (DUMP/RESTORE) and a delete across slots (a
Redis Cluster refuses a RENAME between slots)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import msgpack
from redis.asyncio import Redis
from redis.crc import key_slot

from game.store import StreamEntries, load_lua, text

REWRITE_BATCH = 1000
Fields = Mapping[bytes, bytes]
# What to do with an entry: None keeps it, {} leaves it out, fields replace it.
Rewrite = Callable[[Fields], dict[bytes, bytes] | None]


def same_slot(first: str, second: str) -> bool:
    return bool(key_slot(first.encode()) == key_slot(second.encode()))


async def move_key(redis: Redis, source: str, destination: str) -> bool:
    """Move a key (with its time to live) to another name, replacing what was there; False when it did not exist."""
    if source == destination:
        return bool(await redis.exists(source))
    if not await redis.exists(source):
        return False
    if same_slot(source, destination):
        await redis.rename(source, destination)  # replaces what was there
        return True
    dumped = await redis.dump(source)
    ttl = await redis.pttl(source)
    if dumped is None:
        return False
    await redis.restore(destination, max(0, int(ttl)), dumped, replace=True)
    await redis.unlink(source)
    return True


class StreamRewriter:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._script = redis.register_script(load_lua("rewrite_stream"))

    async def rewrite(self, source: str, rewrite: Rewrite, destination: str | None = None) -> int:
        """Rewrite ``source`` entry by entry into ``destination`` (default: itself); the number of entries
        changed or left out. A stream nothing changes in is left alone (unless it moves to another name)."""
        destination = destination or source
        if not await self._changes_anything(source, rewrite) and destination == source:
            return 0
        scratch = source + ":rewriting"
        await self.redis.unlink(scratch)  # what an interrupted earlier run left
        final = destination if same_slot(source, destination) else scratch + ":done"
        changed, last = 0, "-"
        while True:
            entries = cast(
                StreamEntries,
                await self.redis.xrange(source, min="-" if last == "-" else "(" + last, max="+", count=REWRITE_BATCH),
            )
            if entries:
                replaced: dict[str, list[bytes]] = {}
                for entry_id, fields in entries:
                    new = rewrite(fields)
                    if new is not None:
                        replaced[text(entry_id)] = [part for pair in new.items() for part in pair]
                changed += len(replaced)
                upto = text(entries[-1][0])
                payload = msgpack.packb(replaced, use_bin_type=False)  # Redis's cmsgpack reads no bin type
                await self._script(keys=[source, scratch, final], args=["copy", last, upto, payload])
                last = upto
                continue
            if await self._script(keys=[source, scratch, final], args=["finish", last]):
                break
        if final != destination:
            await move_key(self.redis, final, destination)
        return changed

    async def _changes_anything(self, source: str, rewrite: Rewrite) -> bool:
        last = "-"
        while True:
            entries = cast(
                StreamEntries,
                await self.redis.xrange(source, min="-" if last == "-" else "(" + last, max="+", count=REWRITE_BATCH),
            )
            if not entries:
                return False
            if any(rewrite(fields) is not None for _, fields in entries):
                return True
            last = text(entries[-1][0])


def decoded(fields: Fields) -> dict[str, Any]:
    return {text(k): text(v) for k, v in fields.items()}
