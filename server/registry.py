"""The directory (teams, reps) and contest definitions: stored in Redis, cached in each process.

Ingest needs them for every event, so each process keeps a copy and checks one version counter per
request (a single GET); any change anywhere bumps the counter and every process reloads.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team


@dataclass
class Snapshot:
    version: bytes | None = None
    directory: Directory = field(default_factory=Directory)
    contests: dict[str, Contest] = field(default_factory=dict)


class Registry:
    def __init__(self, redis: Redis, *, timezone: str, currency: str) -> None:
        self.redis = redis
        self.timezone = timezone
        self.currency = currency
        self._snapshot = Snapshot()
        self._loaded = False

    def cached(self) -> Snapshot:
        """The last snapshot read, without a round trip (for hot paths that tolerate a tick of lag)."""
        return self._snapshot

    async def current(self) -> Snapshot:
        """The cached snapshot, reloaded first if anything changed since it was read."""
        version = await self.redis.get(keys.CONFIG_VERSION)
        if not self._loaded or version != self._snapshot.version:
            await self._reload(version)
        return self._snapshot

    async def _reload(self, version: bytes | None) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(keys.CONFIG_VERSION)
        pipe.hgetall(keys.TEAMS)
        pipe.hgetall(keys.REPS)
        pipe.hgetall(keys.CONTESTS)
        version, teams_raw, reps_raw, contests_raw = await pipe.execute()
        teams = {t["id"]: Team(t["id"], t["name"], t.get("color", "")) for t in map(_load, teams_raw.values())}
        reps = {
            r["id"]: Rep(
                r["id"],
                r["name"],
                r.get("team"),
                r.get("active", True),
                r.get("opted_out", False),
                r.get("aliases") or {},
            )
            for r in map(_load, reps_raw.values())
        }
        contests = {}
        for raw in contests_raw.values():
            definition = _load(raw)
            contest = parse_contest(definition, default_timezone=self.timezone, default_currency=self.currency)
            contests[contest.id] = contest
        self._snapshot = Snapshot(version, Directory(reps=reps, teams=teams), contests)
        self._loaded = True

    async def _write(self, hash_key: str, member: str, document: dict[str, Any], actor: str, action: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(hash_key, member, json.dumps(document, ensure_ascii=False))
        pipe.incr(keys.CONFIG_VERSION)
        pipe.xadd(
            keys.AUDIT_LOG,
            {
                "at": str(time.time()),
                "actor": actor,
                "action": action,
                "target": member,
                "data": json.dumps(document, ensure_ascii=False),
            },
            maxlen=100_000,
            approximate=True,
        )
        pipe.publish(keys.CONFIG_CHANNEL, member)
        await pipe.execute()

    async def put_team(self, document: dict[str, Any], actor: str) -> None:
        await self._write(keys.TEAMS, document["id"], document, actor, "team.put")

    async def put_rep(self, document: dict[str, Any], actor: str) -> None:
        await self._write(keys.REPS, document["id"], document, actor, "rep.put")

    async def put_contest(self, document: dict[str, Any], actor: str) -> None:
        await self._write(keys.CONTESTS, document["id"], document, actor, "contest.create")

    async def get_document(self, hash_key: str, member: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(hash_key, member)
        return _load(raw) if raw else None

    def live_contests(self, snapshot: Snapshot, now: datetime) -> list[Contest]:
        return [c for c in snapshot.contests.values() if c.status_at(now) != "scheduled"]


def _load(raw: bytes | str) -> dict[str, Any]:
    return json.loads(raw)
