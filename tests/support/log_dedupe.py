"""What the event log's dedupe entries say, whichever form they were written in: a shard's buckets
(``keys.event_seen_bucket``, ids without their ``-0``) and its unbucketed hash (written before the buckets)."""

from __future__ import annotations

import redis
from redis.asyncio import Redis

from game import keys


def _entries(hashes: list[dict[bytes, bytes]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for fields in hashes:
        for key, stream_id in fields.items():
            text = stream_id.decode()
            found[key.decode()] = text if "-" in text else f"{text}-0"
    return found


def dedupe_entries(client: redis.Redis, shard: int) -> dict[str, str]:
    """One shard's dedupe entries: event key -> the full stream id it names."""
    names = [keys.event_seen(shard), *client.scan_iter(match=keys.event_seen(shard) + ":*", count=1000)]
    return _entries([client.hgetall(name) for name in names])


async def dedupe_entries_async(client: Redis, shard: int) -> dict[str, str]:
    """``dedupe_entries`` with an asyncio client."""
    names = [keys.event_seen(shard), *[name async for name in client.scan_iter(match=keys.event_seen(shard) + ":*")]]
    return _entries([await client.hgetall(name) for name in names])
