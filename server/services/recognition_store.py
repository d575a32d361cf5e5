"""Public recognition in Redis: kudos and awards as moments on one capped stream (``keys.RECOGNITION``, the
feed every screen and the notifier read), and the crowned awards in a hash keyed by contest and kind.

A moment, its audit entry and (for an award) its crown land in one transaction; the crowns are written under
WATCH, so two schedulers closing the same contest crown once. The doorbell (``keys.RECOGNITION_CHANNEL``) is
rung after the write: a screen that misses it still finds the moment on the phone's state, the console's feed
and the chat channels, which read the stream.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import WatchError

from game import keys
from game.awards import Crown, crown_moves
from game.store import StreamEntries, text
from server.services.audit_store import queue_entry

Moment = dict[str, Any]
SCAN_BATCH = 200
MAX_SCANNED = 5_000  # a filtered page reads at most this many moments, then says where to go on
CROWN_ATTEMPTS = 5


def _moments(entries: StreamEntries) -> list[tuple[str, Moment]]:
    found = []
    for entry_id, fields in entries:
        raw = fields.get(b"m") or fields.get("m")  # type: ignore[call-overload]
        if raw is not None:
            found.append((text(entry_id), {**json.loads(raw), "cursor": text(entry_id)}))
    return found


FACTS_BATCH = 500  # reps' deal facts read per pipelined round trip


class RecognitionStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def add(self, moment: Moment, actor: str, action: str, target: str) -> Moment:
        """Append a moment (a kudos) with its audit entry, then ring the screens."""
        body = json.dumps(moment, ensure_ascii=False)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(keys.RECOGNITION, {"m": body}, maxlen=keys.RECOGNITION_MAX, approximate=True)
            queue_entry(pipe, actor, action, target, body, at=moment.get("at"))
            entry_id, *_ = await pipe.execute()
        await self.redis.publish(keys.RECOGNITION_CHANNEL, body)
        return {**moment, "cursor": text(entry_id)}

    async def page(
        self, before: str | None, count: int, wanted: Callable[[Moment], bool]
    ) -> tuple[list[Moment], str | None]:
        """Up to ``count`` moments ``wanted`` keeps, newest first, older than the cursor ``before``; and the cursor
        of the next page (None at the end). At most ``MAX_SCANNED`` moments are read per page."""
        found: list[Moment] = []
        newest, scanned = f"({before}" if before else "+", 0
        while len(found) < count and scanned < MAX_SCANNED:
            entries = cast(
                StreamEntries, await self.redis.xrevrange(keys.RECOGNITION, max=newest, min="-", count=SCAN_BATCH)
            )
            if not entries:
                return found, None
            scanned += len(entries)
            for entry_id, moment in _moments(entries):
                newest = f"({entry_id}"
                if wanted(moment):
                    found.append(moment)
                    if len(found) == count:
                        return found, entry_id
            if len(entries) < SCAN_BATCH:
                return found, None
        return found, newest.removeprefix("(")

    async def after(self, cursor: str, count: int) -> list[tuple[str, Moment]]:
        """Moments newer than stream id ``cursor``, oldest first (the notifier's read)."""
        return _moments(
            cast(StreamEntries, await self.redis.xrange(keys.RECOGNITION, min=f"({cursor}", max="+", count=count))
        )

    async def newest_cursor(self) -> str | None:
        entries = cast(StreamEntries, await self.redis.xrevrange(keys.RECOGNITION, count=1))
        return text(entries[0][0]) if entries else None

    async def crowns(self) -> dict[str, Moment]:
        """Every crowned award: ``contest|kind`` -> crown."""
        return {text(k): json.loads(v) for k, v in (await self.redis.hgetall(keys.AWARDS)).items()}

    async def crown(self, fresh: list[Crown], moment_of: Callable[[Crown], Moment], actor: str) -> list[Moment]:
        """Write the crowns that changed against what is stored (``game.awards.crown_moves``), each with its
        moment and audit entry, in one transaction under WATCH; the moments written (none: nothing changed)."""
        for _attempt in range(CROWN_ATTEMPTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(keys.AWARDS)
                    raw = await pipe.hmget(keys.AWARDS, [c.key for c in fresh]) if fresh else []
                    stored = {c.key: json.loads(r) for c, r in zip(fresh, raw, strict=True) if r is not None}
                    moments = [moment_of(crown) for crown in crown_moves(stored, fresh)]
                    if not moments:
                        return []
                    pipe.multi()
                    for moment in moments:
                        body = json.dumps(moment, ensure_ascii=False)
                        pipe.hset(keys.AWARDS, f"{moment['contest']}|{moment['award']}", body)
                        pipe.xadd(keys.RECOGNITION, {"m": body}, maxlen=keys.RECOGNITION_MAX, approximate=True)
                        action = "award.corrected" if moment.get("corrected") else "award.crowned"
                        queue_entry(pipe, actor, action, moment["contest"], body, at=moment.get("at"))
                    await pipe.execute()
                except WatchError:
                    continue
            for moment in moments:
                await self.redis.publish(keys.RECOGNITION_CHANNEL, json.dumps(moment, ensure_ascii=False))
            return moments
        raise RuntimeError("the awards kept changing while being crowned")

    async def deal_facts(self, wanted: list[tuple[str, str]]) -> list[dict[bytes, bytes]]:
        """The XP deal facts of each (rep, month) in ``wanted``, in order: one pipelined round trip per
        ``FACTS_BATCH`` of them (the hall of fame's records and streaks)."""
        found: list[dict[bytes, bytes]] = []
        for start in range(0, len(wanted), FACTS_BATCH):
            async with self.redis.pipeline(transaction=False) as pipe:
                for rep, month in wanted[start : start + FACTS_BATCH]:
                    pipe.hgetall(keys.xp_facts(rep, month))
                found.extend(await pipe.execute())
        return found
