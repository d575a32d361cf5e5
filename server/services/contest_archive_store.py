"""Compaction of a closed contest's epoch in Redis (see ``game/contest_archive.py`` for what goes and why)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from game import keys
from game.contest_archive import LEDGER_FIELD, LEVEL_FIELD, dropped_at, encode_ledger, reaches
from game.store import StreamEntries, read_stream, text

PAGE = 10_000  # ledger lines read per XRANGE
UNLINK_CHUNK = 500


@dataclass(frozen=True)
class Compaction:
    level: str
    ledgers: int  # reps whose ledger was folded into the archive
    lines: int
    dropped: int  # keys removed


class ContestArchiveStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def level(self, contest_id: str, epoch: int) -> str | None:
        """The level of compaction done on a contest epoch (None: none)."""
        done = await self.redis.hget(keys.ContestKeys(contest_id, epoch).archive, LEVEL_FIELD)
        return text(done) if done else None

    async def compact(self, contest_id: str, epoch: int, level: str) -> Compaction | None:
        """Fold the epoch's ledgers into its archive and drop what ``level`` no longer needs, in one MULTI (the
        archive and the deletions land together); None when done already. The caller makes sure no event can
        reach the epoch any more, so nothing is written to it meanwhile."""
        k = keys.ContestKeys(contest_id, epoch)
        if reaches(await self.level(contest_id, epoch), level):
            return None
        base = k.epoch_pattern()[:-1]  # the epoch's keys begin with it
        ledgers: list[str] = []
        dropped: list[str] = []
        async for raw in self.redis.scan_iter(match=k.epoch_pattern(), count=1000):
            key = text(raw)
            suffix = key[len(base) :]
            if suffix.startswith(LEDGER_FIELD):
                ledgers.append(key)
            if dropped_at(level, suffix):
                dropped.append(key)
        blobs: dict[str, bytes] = {}
        lines = 0
        for stream in ledgers:
            entries = await self._whole(stream)
            lines += len(entries)
            blobs[LEDGER_FIELD + stream[len(k.ledger_prefix) :]] = encode_ledger(entries)
        pipe = self.redis.pipeline(transaction=True)
        if blobs:
            pipe.hset(k.archive, mapping=blobs)  # type: ignore[arg-type]  # redis-py's mapping type is too narrow
        pipe.hset(k.archive, LEVEL_FIELD, level)
        for start in range(0, len(dropped), UNLINK_CHUNK):
            pipe.unlink(*dropped[start : start + UNLINK_CHUNK])
        await pipe.execute()
        return Compaction(level, len(blobs), lines, len(dropped))

    async def _whole(self, stream: str) -> StreamEntries:
        entries: StreamEntries = []
        start = "-"
        while True:
            page = await read_stream(self.redis, stream, start, "+", count=PAGE)
            entries += page
            if len(page) < PAGE:
                return entries
            start = f"({text(page[-1][0])}"
