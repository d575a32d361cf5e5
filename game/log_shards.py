"""The event log split into shards, and read back as one log.

Each event goes to shard ``crc32(event key) % shards``: a stable function, so an event sent twice always meets
its dedupe entry in the same shard. Each shard is a stream in its own cluster slot, so the writes of one
organisation spread over several Redis nodes.

Read back, the shards are merged into one global order: by stream id (Redis's clock when the entry was
appended), then by shard number for entries with the same id. A reader's place in that order is a
*position*: for each shard, the id of the last entry consumed from it. It is written as one stream id when
every shard is at the same place (always the case with one shard, so a one-shard position is a plain stream
id as before sharding), else as the shards' ids joined by commas.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Iterator, Sequence
from datetime import datetime

StreamEntry = tuple[bytes, dict[bytes, bytes]]
START = "0-0"  # a position before every entry (XADD never writes id 0-0)
MAX_SEQ = 2**64 - 1


def shard_of(event_key: str, shards: int) -> int:
    """The shard an event is logged in: stable across processes, restarts and Python versions."""
    return zlib.crc32(event_key.encode()) % shards if shards > 1 else 0


def id_order(stream_id: bytes | str) -> tuple[int, int]:
    """``b"1700000000000-3"`` → ``(1700000000000, 3)``: stream ids compare as these pairs."""
    raw = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    millis, _, seq = raw.partition("-")
    return int(millis), int(seq or 0)


def id_before(moment: datetime) -> str:
    """The last possible stream id before ``moment``: a position from which reading starts at ``moment``."""
    millis = int(moment.timestamp() * 1000)
    return f"{millis - 1}-{MAX_SEQ}" if millis > 0 else START


def parse_position(position: str | None, shards: int) -> list[str]:
    """A position as one stream id per shard (``-`` or None: before everything). Raises ValueError."""
    if not position or position == "-":
        return [START] * shards
    ids = position.split(",")
    if len(ids) == 1:
        ids = ids * shards
    if len(ids) != shards:
        raise ValueError(f"a position of {len(ids)} shards read with {shards}")
    for stream_id in ids:
        id_order(stream_id)  # raises ValueError when it is not a stream id
    return ids


def format_position(ids: Sequence[str]) -> str:
    """One stream id per shard as a position (one id when they agree)."""
    return ids[0] if len(set(ids)) == 1 else ",".join(ids)


def position_millis(position: str) -> int:
    """Epoch milliseconds reached by a position: the latest of its shards'."""
    return max(id_order(stream_id)[0] for stream_id in position.split(","))


def merge_fetched(fetched: Sequence[Sequence[StreamEntry]], full: Sequence[bool]) -> list[tuple[int, StreamEntry]]:
    """The entries read from each shard (oldest first) that may be handed out now, as (shard, entry) in global
    order. A shard whose read came back ``full`` may hold more entries after its last one, so nothing later
    than the earliest such last entry is handed out yet: the next read starts after what was handed out."""
    if len(fetched) == 1:  # one stream is in order already, and all of it can go
        return [(0, entry) for entry in fetched[0]]
    limits = [id_order(entries[-1][0]) for entries, is_full in zip(fetched, full, strict=True) if is_full and entries]
    bound = min(limits) if limits else None
    merged = heapq.merge(*(_keyed(shard, entries) for shard, entries in enumerate(fetched)))
    return [(shard, entry) for (order, shard, _), entry in merged if bound is None or order <= bound]


def _keyed(
    shard: int, entries: Sequence[StreamEntry]
) -> Iterator[tuple[tuple[tuple[int, int], int, int], StreamEntry]]:
    """Each entry behind its place in the global order (unique, so entries themselves are never compared)."""
    for index, entry in enumerate(entries):
        yield (id_order(entry[0]), shard, index), entry
