"""A rep's long game as kept in Redis: XP boards per window and period, and the badges each rep holds. The
scoring scripts (``game/store.py``) write both; this store reads them for profiles, the phone and the wall."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.badges.awards import read_awards
from game.store import scored_members
from game.xp import WINDOWS

Awards = dict[str, dict[str, Any]]  # instance key -> award record


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
