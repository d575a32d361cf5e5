"""The directory (teams, reps) and contest definitions: stored in Redis, cached in each process.

Ingest needs them for every event, so each process keeps a copy and checks one version counter per
request (a single GET); any change anywhere bumps the counter and every process reloads.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.badges.definitions import DEFAULT_BADGES, BadgeDefinition, parse_badge
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from server.services.audit_store import queue_entry

RECHECK_SECONDS = 1.0


@dataclass
class Snapshot:
    version: bytes | None = None
    directory: Directory = field(default_factory=Directory)
    contests: dict[str, Contest] = field(default_factory=dict)
    # Contests being rescored: the next version, written into its own epoch alongside the live one.
    rebuilding: dict[str, Contest] = field(default_factory=dict)
    badges: list[BadgeDefinition] = field(default_factory=list)


class Registry:
    def __init__(self, redis: Redis, *, timezone: str, currency: str) -> None:
        self.redis = redis
        self.timezone = timezone
        self.currency = currency
        self._snapshot = Snapshot()
        self._loaded = False
        self._checked_at = 0.0
        # Bumped by every invalidation, so a check that was already under way when something changed cannot
        # mark the cache fresh with what it read before the change.
        self._invalidations = 0

    def cached(self) -> Snapshot:
        """The last snapshot read, without a round trip (for hot paths that tolerate a tick of lag)."""
        return self._snapshot

    def invalidate(self) -> None:
        """Something changed (a config doorbell, or this process wrote): check again on the next read."""
        self._checked_at = 0.0
        self._invalidations += 1

    async def current(self, force: bool = False) -> Snapshot:
        """The cached snapshot, reloaded first if anything changed since it was read.

        The version counter is read at most every ``RECHECK_SECONDS`` unless a config doorbell or a local
        write invalidated the cache, so the hot path costs no round trip. Ingestion double-checks the
        version inside its write pipeline and re-plans if a change slipped through (see services/ingest.py).
        """
        now = time.monotonic()
        if not force and self._loaded and now - self._checked_at < RECHECK_SECONDS:
            return self._snapshot
        invalidations = self._invalidations
        version = await self.redis.get(keys.CONFIG_VERSION)
        if force or not self._loaded or version != self._snapshot.version:
            await self._reload()
        if invalidations == self._invalidations:
            self._checked_at = now
        return self._snapshot

    async def _reload(self) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(keys.CONFIG_VERSION)
        pipe.hgetall(keys.TEAMS)
        pipe.hgetall(keys.REPS)
        pipe.hgetall(keys.CONTESTS)
        pipe.hgetall(keys.BADGE_DEFINITIONS)
        version, teams_raw, reps_raw, contests_raw, badges_raw = await pipe.execute()
        teams = {t["id"]: Team(t["id"], t["name"], t.get("color", "")) for t in map(_load, teams_raw.values())}
        reps = {
            r["id"]: Rep(
                r["id"],
                r["name"],
                r.get("team"),
                r.get("active", True),
                r.get("opted_out", False),
                r.get("aliases") or {},
                r.get("photo") or "",
            )
            for r in map(_load, reps_raw.values())
        }
        contests: dict[str, Contest] = {}
        rebuilding: dict[str, Contest] = {}
        for raw in contests_raw.values():
            document = _load(raw)
            contest = self.contest_from(document)
            contests[contest.id] = contest
            if document.get("rebuilding"):
                rebuilding[contest.id] = self.contest_from({**document, **document["rebuilding"]})
        stored_badges = [_load(raw) for raw in badges_raw.values()]
        badges = [parse_badge(b) for b in (stored_badges or DEFAULT_BADGES) if not b.get("disabled")]
        self._snapshot = Snapshot(version, Directory(reps=reps, teams=teams), contests, rebuilding, badges)
        self._loaded = True

    async def _write(
        self,
        hash_key: str,
        member: str,
        document: dict[str, Any],
        actor: str,
        action: str,
        audit: dict[str, Any] | None = None,
    ) -> None:
        """Store a document, move the config version on and append to the audit log, in one MULTI; then ring
        the config doorbell (a channel has no slot: in a cluster it cannot join the transaction)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(hash_key, member, json.dumps(document, ensure_ascii=False))
        pipe.incr(keys.CONFIG_VERSION)
        queue_entry(pipe, actor, action, member, json.dumps(document if audit is None else audit, ensure_ascii=False))
        await pipe.execute()
        await self.redis.publish(keys.CONFIG_CHANNEL, member)
        self.invalidate()

    async def put_team(self, document: dict[str, Any], actor: str) -> None:
        await self._write(keys.TEAMS, document["id"], document, actor, "team.put")

    async def put_badge(self, document: dict[str, Any], actor: str) -> None:
        """Store a badge definition; the first one stored replaces the built-in defaults, so those are
        copied in first (a workspace then edits its own list)."""
        if not await self.redis.exists(keys.BADGE_DEFINITIONS):
            await self.redis.hset(
                keys.BADGE_DEFINITIONS, mapping={b["id"]: json.dumps(b, ensure_ascii=False) for b in DEFAULT_BADGES}
            )
        await self._write(keys.BADGE_DEFINITIONS, document["id"], document, actor, "badge.put")

    async def badge_documents(self) -> list[dict[str, Any]]:
        """Every badge definition as stored, retired ones included (the built-in defaults until one is stored)."""
        stored = await self.redis.hgetall(keys.BADGE_DEFINITIONS)
        return [_load(raw) for raw in stored.values()] or [dict(b) for b in DEFAULT_BADGES]

    async def put_rep(self, document: dict[str, Any], actor: str) -> None:
        await self._write(keys.REPS, document["id"], document, actor, "rep.put")

    def contest_from(self, document: dict[str, Any]) -> Contest:
        """A stored contest document → Contest: the definition plus state, version and epoch."""
        contest = parse_contest(document["definition"], default_timezone=self.timezone, default_currency=self.currency)
        return replace(
            contest,
            state=document.get("state", "active"),
            version=int(document.get("version", 1)),
            epoch=int(document.get("epoch", 1)),
        )

    async def put_contest(self, document: dict[str, Any], actor: str, action: str) -> None:
        """Store a contest document ``{"definition", "state", "version", "epoch", "history", ...}``."""
        audit = {
            "version": document.get("version"),
            "state": document.get("state"),
            "epoch": document.get("epoch"),
            "definition": document["definition"],
            "rebuilding": document.get("rebuilding"),
        }
        await self._write(keys.CONTESTS, document["definition"]["id"], document, actor, action, audit)

    async def create_contest(self, document: dict[str, Any], actor: str, action: str) -> bool:
        """Store a new contest document unless one with its id exists (several processes may try the same
        one); whether this one was created."""
        contest_id = document["definition"]["id"]
        if not await self.redis.hsetnx(keys.CONTESTS, contest_id, json.dumps(document, ensure_ascii=False)):
            return False
        await self.put_contest(document, actor, action)
        return True

    async def contest_document(self, contest_id: str) -> dict[str, Any] | None:
        """A contest as stored (definition, state, version, epoch, history), read now, not from the cache."""
        raw = await self.redis.hget(keys.CONTESTS, contest_id)
        return _load(raw) if raw else None

    async def rep_document(self, rep_id: str) -> dict[str, Any] | None:
        """A rep as stored, read now, not from the cache."""
        raw = await self.redis.hget(keys.REPS, rep_id)
        return _load(raw) if raw else None

    @staticmethod
    def accepting(snapshot: Snapshot, now: datetime) -> list[Contest]:
        """Contests whose boards events received now may change (live, or ended within grace)."""
        return [c for c in snapshot.contests.values() if c.accepts_at(now)]


def _load(raw: bytes | str) -> dict[str, Any]:
    return json.loads(raw)
