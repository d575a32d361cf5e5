"""A rep's long game as kept in Redis: XP boards per window and period, the badges each rep holds and the feed
of badge changes. The scoring scripts (``game/store.py``) write them; this store reads them for profiles,
the phone and the wall, and the feed for the notifier."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.badges.awards import read_awards
from game.store import StreamEntries, newest_entries, read_stream, scored_members
from game.xp import WINDOWS

Awards = dict[str, dict[str, Any]]  # instance key -> award record
BadgeChange = tuple[str, dict[str, Any]]  # feed entry id, the change (``{"action", "rep", "badge", ...}``)


class ProgressStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def xp_board(self, window: str, period: str, limit: int) -> list[tuple[str, int]]:
        """The top ``limit`` reps of one XP board, highest first, with their XP."""
        members = await scored_members(self.redis, keys.xp_board(window, period), 0, limit - 1)
        return [(member.decode(), int(score)) for member, score in members]

    async def standing(self, rep_id: str, periods: Mapping[str, str]) -> tuple[dict[str, int], Awards]:
        """A rep's XP in every window (for the given period of each) and the badges they hold, in one trip."""
        pipe = self.redis.pipeline(transaction=False)
        for window in WINDOWS:
            pipe.zscore(keys.xp_board(window, periods[window]), rep_id)
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

    async def newest_badge_change(self) -> str | None:
        """The feed id of the latest badge change (None while the feed is empty)."""
        newest = await newest_entries(self.redis, keys.BADGE_FEED, count=1)
        return newest[0][0].decode() if newest else None

    async def badge_changes_after(self, entry_id: str, count: int) -> list[BadgeChange]:
        """Up to ``count`` badge changes after feed id ``entry_id``, oldest first."""
        return _changes(await read_stream(self.redis, keys.BADGE_FEED, f"({entry_id}", "+", count=count))

    async def badge_changes_between(self, start_ms: int, end_ms: int, count: int) -> list[BadgeChange]:
        """Up to ``count`` badge changes recorded from ``start_ms`` to ``end_ms`` (Unix milliseconds), oldest
        first."""
        return _changes(await read_stream(self.redis, keys.BADGE_FEED, start_ms, end_ms, count=count))


def _changes(entries: StreamEntries) -> list[BadgeChange]:
    return [(entry_id.decode(), json.loads(fields[b"c"])) for entry_id, fields in entries]
