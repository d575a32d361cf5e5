"""A rescore's state in Redis: the lease that allows one rescore of a contest at a time, its progress in the
contest's meta hash (what ``GET /contests/<id>/rescore`` reports, with the scoring of a past window), the
switch to the new epoch (announced
on the contest's doorbell, so viewers reload) and the removal of the superseded epoch's keys."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from game import keys
from game.store import rings_sharded, text

LEASE_SECONDS = 3600
UNLINK_BATCH = 500


def _lease(contest_id: str) -> str:
    return keys.ContestKeys(contest_id).meta + ":lock"


class RescoreStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._sharded: bool | None = None  # doorbells on sharded pub/sub (a cluster of Redis 7), once known

    async def claim(self, contest_id: str, actor: str) -> bool:
        """Take the contest's rescore lease; False if a rescore is running."""
        return bool(await self.redis.set(_lease(contest_id), actor, nx=True, ex=LEASE_SECONDS))

    async def window_started(self, contest_id: str) -> None:
        """A contest with a past start is scoring the events already logged in its window (``window_*``)."""
        await self.redis.hset(
            keys.ContestKeys(contest_id).meta, mapping={"window_state": "running", "window_read": 0, "window_share": 0}
        )

    async def window_progressed(self, contest_id: str, read: int, share: float) -> None:
        meta = keys.ContestKeys(contest_id).meta
        await self.redis.hset(meta, mapping={"window_read": read, "window_share": f"{share:.4f}"})

    async def window_finished(self, contest_id: str, state: str) -> None:
        await self.redis.hset(keys.ContestKeys(contest_id).meta, "window_state", state)

    async def running(self, contest_id: str) -> bool:
        """Whether a rescore holds the contest's lease or its window is being scored: its boards are being
        rebuilt, so results must wait."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.exists(_lease(contest_id))
        pipe.hget(keys.ContestKeys(contest_id).meta, "window_state")
        lease, window = await pipe.execute()
        return bool(lease) or (window is not None and text(window) == "running")

    async def release(self, contest_id: str) -> None:
        await self.redis.delete(_lease(contest_id))

    async def status(self, contest_id: str) -> dict[str, str]:
        """The contest's meta: ``epoch``, ``rescore_state``, ``rescore_done``, ``rescore_total`` (when set)."""
        meta = await self.redis.hgetall(keys.ContestKeys(contest_id).meta)
        return {text(k): text(v) for k, v in meta.items()}

    async def started(self, contest_id: str, total: int) -> None:
        meta = keys.ContestKeys(contest_id).meta
        await self.redis.hset(meta, mapping={"rescore_state": "running", "rescore_done": 0, "rescore_total": total})

    async def progressed(self, contest_id: str, done: int) -> None:
        await self.redis.hset(keys.ContestKeys(contest_id).meta, "rescore_done", done)

    async def switch(self, contest_id: str, epoch: int) -> None:
        """Viewers reading the contest now see ``epoch`` (and are told so on its doorbell)."""
        if self._sharded is None:
            self._sharded = await rings_sharded(self.redis)
        channel, bell = keys.doorbell_channel(contest_id), json.dumps({"contest": contest_id, "epoch": epoch})
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.ContestKeys(contest_id).meta, mapping={"epoch": epoch, "rescore_state": "switching"})
        if self._sharded:  # in the transaction: the doorbell carries the contest's hash tag (one slot)
            pipe.execute_command("SPUBLISH", channel, bell)
        await pipe.execute()
        if not self._sharded:  # classic PUBLISH has no slot: a cluster refuses it in a transaction
            await self.redis.publish(channel, bell)

    async def finished(self, contest_id: str) -> None:
        """Done, and the lease released, together."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.ContestKeys(contest_id).meta, "rescore_state", "done")
        pipe.delete(_lease(contest_id))
        await pipe.execute()

    async def failed(self, contest_id: str) -> None:
        await self.redis.hset(keys.ContestKeys(contest_id).meta, "rescore_state", "failed")

    async def drop_epoch(self, contest_id: str, epoch: int) -> None:
        """Delete every key of a superseded epoch."""
        pattern = keys.ContestKeys(contest_id, epoch).epoch_pattern()
        batch: list[bytes] = []
        async for key in self.redis.scan_iter(match=pattern, count=UNLINK_BATCH):
            batch.append(key)
            if len(batch) >= UNLINK_BATCH:
                await self.redis.unlink(*batch)
                batch = []
        if batch:
            await self.redis.unlink(*batch)
