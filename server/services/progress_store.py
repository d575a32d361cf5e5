"""A rep's long game as kept in Redis: XP boards per window and period, the badges each rep holds and the feed
of badge changes. The scoring scripts (``game/store.py``) write them; this store reads them for profiles,
the phone and the wall, and the feed for the notifier."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.badges.awards import read_awards
from game.log_shards import START, format_position, id_order, merge_fetched, parse_position
from game.store import StreamEntries, read_stream
from game.xp import WINDOWS
from game.xp_shards import merged_rank, merged_seq, merged_top

Awards = dict[str, dict[str, Any]]  # instance key -> award record
BadgeChange = tuple[str, dict[str, Any]]  # feed entry id, the change (``{"action", "rep", "badge", ...}``)


class ProgressStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def xp_board(self, window: str, period: str, limit: int) -> list[tuple[str, int]]:
        """The top ``limit`` reps of one XP board, highest first, with their XP."""
        _, rows = await read_xp_board(self.redis, window, period, limit)
        return rows

    async def xp_rank(self, window: str, period: str, rep_id: str) -> tuple[int, int] | None:
        """A rep's competition rank on one XP board and their XP (None when not on it): one more than the reps of
        every shard with more XP."""
        score = await self.redis.zscore(keys.xp_keys_of(rep_id).board(window, period), rep_id)
        if score is None:
            return None
        pipe = self.redis.pipeline(transaction=False)
        for shard in keys.all_xp_keys():
            pipe.zcount(shard.board(window, period), f"({score}", "+inf")
        return merged_rank(await pipe.execute()), int(score)

    async def standing(self, rep_id: str, periods: Mapping[str, str]) -> tuple[dict[str, int], Awards]:
        """A rep's XP in every window (for the given period of each) and the badges they hold, in one trip."""
        pipe = self.redis.pipeline(transaction=False)
        for window in WINDOWS:
            pipe.zscore(keys.xp_keys_of(rep_id).board(window, periods[window]), rep_id)
        pipe.hgetall(keys.badges(rep_id))
        *scores, held = await pipe.execute()
        xp = {window: int(score or 0) for window, score in zip(WINDOWS, scores, strict=True)}
        return xp, dict(read_awards(held))

    async def badges_of(self, rep_ids: Sequence[str]) -> list[Awards]:
        """The badges each rep holds, in the order asked, in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for rep_id in rep_ids:
            pipe.hgetall(keys.badges(rep_id))
        return [dict(read_awards(held)) for held in await pipe.execute()]

    # --- the badge feed: every award and revocation, in order ------------------------------------------
    # Each XP shard keeps the feed of its reps' badges; read, the feeds are merged as the event log's shards
    # are (``game/log_shards.py``), and a change's id is the reader's position after it: one stream id per
    # shard (a plain stream id with one shard, as before sharding).

    async def newest_badge_change(self) -> str | None:
        """The position of the latest badge change (None while the feed is empty)."""
        pipe = self.redis.pipeline(transaction=False)
        for shard in keys.all_xp_keys():
            pipe.xrevrange(shard.badge_feed, count=1)
        newest = [entries[0][0].decode() if entries else START for entries in await pipe.execute()]
        return None if all(entry == START for entry in newest) else format_position(newest)

    async def badge_changes_after(self, entry_id: str, count: int) -> list[BadgeChange]:
        """Up to ``count`` badge changes after position ``entry_id``, oldest first."""
        feeds = keys.all_xp_keys()
        position = parse_position(entry_id, len(feeds))
        reads = (
            read_stream(self.redis, feed.badge_feed, f"({at}", "+", count=count)
            for feed, at in zip(feeds, position, strict=True)
        )
        fetched = await asyncio.gather(*reads)
        changes: list[BadgeChange] = []
        for shard, (stream_id, fields) in merge_fetched(fetched, [len(entries) >= count for entries in fetched]):
            position[shard] = stream_id.decode()
            changes.append((format_position(position), json.loads(fields[b"c"])))
        return changes[:count]

    async def badge_changes_between(self, start_ms: int, end_ms: int, count: int) -> list[BadgeChange]:
        """Up to ``count`` badge changes recorded from ``start_ms`` to ``end_ms`` (Unix milliseconds), oldest
        first."""
        fetched = await asyncio.gather(
            *(read_stream(self.redis, feed.badge_feed, start_ms, end_ms, count=count) for feed in keys.all_xp_keys())
        )
        merged = sorted((entry for entries in fetched for entry in entries), key=lambda entry: id_order(entry[0]))
        return _changes(merged[:count])


async def read_xp_board(redis: Redis, window: str, period: str, limit: int) -> tuple[int, list[tuple[str, int]]]:
    """An XP board's sequence number and top ``limit`` rows, highest first: each shard's (its counter and rows read
    together, in one transaction on its slot) merged (``game/xp_shards.py``)."""

    async def shard_read(shard: keys.XpKeys) -> tuple[Any, list[tuple[bytes, float]]]:
        pipe = redis.pipeline(transaction=True)
        pipe.get(shard.seq)
        pipe.zrevrange(shard.board(window, period), 0, limit - 1, withscores=True)
        seq, members = await pipe.execute()
        return seq, members

    reads = await asyncio.gather(*(shard_read(shard) for shard in keys.all_xp_keys()))
    return merged_seq(seq for seq, _ in reads), merged_top((members for _, members in reads), limit)


def _changes(entries: StreamEntries) -> list[BadgeChange]:
    return [(entry_id.decode(), json.loads(fields[b"c"])) for entry_id, fields in entries]
