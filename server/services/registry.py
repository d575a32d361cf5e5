"""The directory (teams, reps) and contest definitions: stored in Redis, cached in each process.

Ingest needs them for every event, so each process keeps a copy. Every change moves one version counter on
and notes, under the new version, which reps or teams it changed (or that definitions did) in a short change
log; a process that holds an older version reads only those records, in one script call, and applies them to
a new snapshot (``config_changes.lua``). It reloads everything at start-up and when the log cannot say what
changed (a version missing from it, or too far behind).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis

from game import keys
from game.badges.definitions import DEFAULT_BADGES, BadgeDefinition, parse_badge
from game.contests import Contest, parse_contest
from game.directory import Directory, Rep, Team
from game.errors import ValidationError
from game.exchange_rates import Rates
from game.store import load_lua
from server.services.audit_store import queue_entry

log = logging.getLogger("arena.registry")

RECHECK_SECONDS = 1.0
# Versions the change log keeps: a process further behind reloads everything.
CHANGES_KEPT = 256


@dataclass
class Snapshot:
    """One version of the configuration. A snapshot given out never changes: a change makes a new one."""

    version: bytes | None = None
    directory: Directory = field(default_factory=Directory)
    contests: dict[str, Contest] = field(default_factory=dict)
    # Contests being rescored: the next version, written into its own epoch alongside the live one.
    rebuilding: dict[str, Contest] = field(default_factory=dict)
    badges: list[BadgeDefinition] = field(default_factory=list)
    # Monthly exchange rates (``game.exchange_rates``): stored beside the definitions, changed as one of them.
    rates: Rates = field(default_factory=Rates)


class Registry:
    def __init__(self, redis: Redis, *, timezone: str, currency: str) -> None:
        self.redis = redis
        self.timezone = timezone
        self.currency = currency
        self._snapshot = Snapshot()
        self._loaded = False
        self._checked_at = float("-inf")
        # Bumped by every invalidation, so a check that was already under way when something changed cannot
        # mark the cache fresh with what it read before the change.
        self._invalidations = 0
        self._catching_up = asyncio.Lock()  # one catch-up at a time: each builds on the snapshot before it
        # Sent whole (EVAL) inside the write's MULTI: a transaction cannot load a missing script first (a
        # restarted Redis, a new master, a cluster's transaction pipeline), and half a MULTI is never run.
        self._bump_source = load_lua("config_bump")
        self._changes = redis.register_script(load_lua("config_changes"))

    def cached(self) -> Snapshot:
        """The last snapshot read, without a round trip (for hot paths that tolerate a tick of lag)."""
        return self._snapshot

    def invalidate(self) -> None:
        """Something changed (a config doorbell, or this process wrote): check again on the next read."""
        self._checked_at = float("-inf")
        self._invalidations += 1

    def _fresh(self) -> bool:
        return self._loaded and time.monotonic() - self._checked_at < RECHECK_SECONDS

    async def current(self, force: bool = False) -> Snapshot:
        """The cached snapshot, brought up to date first if anything changed since it was read.

        Redis is asked at most every ``RECHECK_SECONDS`` unless a config doorbell or a local write invalidated
        the cache (or ``force``), so the hot path costs no round trip. Ingestion double-checks the version
        inside its write pipeline and re-plans if a change slipped through (see services/ingest.py).
        """
        if not force and self._fresh():
            return self._snapshot
        async with self._catching_up:
            if not force and self._fresh():  # another caller caught up while this one waited
                return self._snapshot
            invalidations = self._invalidations
            started = time.monotonic()
            await self._catch_up()
            if invalidations == self._invalidations:
                self._checked_at = started
        return self._snapshot

    async def _catch_up(self) -> None:
        """Apply what changed since the snapshot's version, or reload everything when the log cannot say."""
        if not self._loaded:
            await self._reload()
            return
        held = int(self._snapshot.version or 0)
        reply = await self._changes(
            keys=[
                keys.CONFIG_VERSION,
                keys.CONFIG_CHANGES,
                keys.REPS,
                keys.TEAMS,
                keys.CONTESTS,
                keys.BADGE_DEFINITIONS,
            ],
            args=[held, CHANGES_KEPT],
        )
        if len(reply) == 1:
            return
        if reply[1] != b"apply":
            await self._reload()
            return
        version, _, rep_ids, rep_documents, team_ids, team_documents, contests_raw, badges_raw = reply
        old = self._snapshot
        directory = old.directory.changed(
            reps={_text(i): _rep(_load(d)) if d else None for i, d in zip(rep_ids, rep_documents, strict=True)},
            teams={_text(i): _team(_load(d)) if d else None for i, d in zip(team_ids, team_documents, strict=True)},
        )
        contests, rebuilding, badges, rates = old.contests, old.rebuilding, old.badges, old.rates
        if contests_raw is not None:
            contests, rebuilding = self._contests(contests_raw[1::2])
            badges = _badges(badges_raw[1::2])
            rates = self._rates(await self.redis.hgetall(keys.EXCHANGE_RATES))  # changed as definitions are
        self._snapshot = Snapshot(str(version).encode(), directory, contests, rebuilding, badges, rates)

    async def _reload(self) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(keys.CONFIG_VERSION)
        pipe.hgetall(keys.TEAMS)
        pipe.hgetall(keys.REPS)
        pipe.hgetall(keys.CONTESTS)
        pipe.hgetall(keys.BADGE_DEFINITIONS)
        pipe.hgetall(keys.EXCHANGE_RATES)
        version, teams_raw, reps_raw, contests_raw, badges_raw, rates_raw = await pipe.execute()
        teams = {team.id: team for team in (_team(_load(raw)) for raw in teams_raw.values())}
        reps = {rep.id: rep for rep in (_rep(_load(raw)) for raw in reps_raw.values())}
        contests, rebuilding = self._contests(contests_raw.values())
        self._snapshot = Snapshot(
            version,
            Directory(reps=reps, teams=teams),
            contests,
            rebuilding,
            _badges(badges_raw.values()),
            self._rates(rates_raw),
        )
        self._loaded = True

    def _rates(self, stored: Mapping[Any, Any]) -> Rates:
        table = {}
        for name, rate in stored.items():
            currency, month = _text(name).split("|", 1)
            table[(currency, month)] = Decimal(_text(rate))
        return Rates(self.currency, self.timezone, table)

    async def put_rates(
        self, month: str, rates: Mapping[str, Decimal], actor: str
    ) -> tuple[dict[str, Decimal], dict[str, int]]:
        """Set one month's rates (a definition change: every process reads them with the next version) and
        forget the deals that waited for them; the rates they replaced and the deals that waited, by currency."""
        fields = {f"{currency}|{month}": str(rate) for currency, rate in rates.items()}
        pipe = self.redis.pipeline(transaction=True)
        pipe.hmget(keys.RATES_WAITING, list(fields))
        pipe.hmget(keys.EXCHANGE_RATES, list(fields))
        pipe.hset(keys.EXCHANGE_RATES, mapping={name: rate for name, rate in fields.items()})
        pipe.hdel(keys.RATES_WAITING, *fields)
        change = {"contests": True}
        bump_keys = [keys.CONFIG_VERSION, keys.CONFIG_CHANGES]
        pipe.eval(self._bump_source, len(bump_keys), *bump_keys, json.dumps(change), CHANGES_KEPT)
        audit = json.dumps({"month": month, "rates": {c: str(r) for c, r in rates.items()}})
        queue_entry(pipe, actor, "rates.put", f"rates:{month}", audit)
        waited, replaced, _, _, version, *_ = await pipe.execute()
        self.invalidate()
        await self.redis.publish(keys.CONFIG_CHANNEL, json.dumps({"version": version, **change}))
        return (
            {c: Decimal(_text(r)) for c, r in zip(rates, replaced, strict=True) if r is not None},
            {c: int(n) for c, n in zip(rates, waited, strict=True) if n is not None},
        )

    async def count_rates_waiting(self, waiting: Mapping[str, int]) -> None:
        """Count deals logged in a currency whose month has no rate yet (fields ``"USD|2026-12"``)."""
        pipe = self.redis.pipeline(transaction=False)
        for name, count in waiting.items():
            pipe.hincrby(keys.RATES_WAITING, name, count)
        await pipe.execute()

    async def rates_waiting(self) -> list[tuple[str, str, int]]:
        """(currency, month, deals) still waiting for their month's rate."""
        stored = await self.redis.hgetall(keys.RATES_WAITING)
        found = []
        for name, count in stored.items():
            currency, month = _text(name).split("|", 1)
            found.append((currency, month, int(count)))
        return sorted(found)

    def _contests(self, stored: Iterable[bytes]) -> tuple[dict[str, Contest], dict[str, Contest]]:
        """Stored contest documents → the contests and the next versions of those being rescored."""
        contests: dict[str, Contest] = {}
        rebuilding: dict[str, Contest] = {}
        for raw in stored:
            document = _load(raw)
            try:
                contest = self.contest_from(document)
                if document.get("rebuilding"):
                    rebuilding[contest.id] = self.contest_from({**document, **document["rebuilding"]})
            except ValidationError as error:  # one unreadable contest must not take every other one down
                log.error("a stored contest cannot be read, left out: %s", error)
                continue
            contests[contest.id] = contest
        return contests, rebuilding

    async def _write(
        self,
        hash_key: str,
        member: str,
        document: dict[str, Any],
        actor: str,
        action: str,
        audit: dict[str, Any] | None = None,
    ) -> None:
        """Store a document, move the config version on and append to the audit log, in one MULTI."""
        audit_data = json.dumps(document if audit is None else audit, ensure_ascii=False)
        await self._store(hash_key, {member: document}, [(actor, action, member, audit_data)])

    async def _store(
        self, hash_key: str, documents: Mapping[str, dict[str, Any]], audits: list[tuple[str, str, str, str]]
    ) -> dict[str, dict[str, Any]]:
        """Store documents of one kind with their audit entries and one version bump noting their ids, in one
        MULTI; then ring the config doorbell with the new version and what changed (every process catches up; a channel
        has no slot: in a cluster it cannot join the transaction).
        Returns the documents they replaced, as they were at that moment (a rep's former team, say)."""
        if hash_key == keys.REPS:
            change: dict[str, Any] = {"reps": list(documents)}
        elif hash_key == keys.TEAMS:
            change = {"teams": list(documents)}
        else:
            change = {"contests": True}
        pipe = self.redis.pipeline(transaction=True)
        pipe.hmget(hash_key, list(documents))
        pipe.hset(hash_key, mapping={k: json.dumps(d, ensure_ascii=False) for k, d in documents.items()})
        bump_keys = [keys.CONFIG_VERSION, keys.CONFIG_CHANGES]
        pipe.eval(self._bump_source, len(bump_keys), *bump_keys, json.dumps(change), CHANGES_KEPT)
        for entry in audits:
            queue_entry(pipe, *entry)
        replaced, _, version, *_ = await pipe.execute()
        self.invalidate()
        await self.redis.publish(keys.CONFIG_CHANNEL, json.dumps({"version": version, **change}))
        return {member: _load(raw) for member, raw in zip(documents, replaced, strict=True) if raw}

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

    async def put_rep(self, document: dict[str, Any], actor: str) -> dict[str, Any] | None:
        """Store a rep; the document it replaced, if any."""
        audit = json.dumps(document, ensure_ascii=False)
        replaced = await self._store(keys.REPS, {document["id"]: document}, [(actor, "rep.put", document["id"], audit)])
        return replaced.get(document["id"])

    async def replace_rep(
        self, rep_id: str, document: dict[str, Any], contests: Mapping[str, dict[str, Any]], audit: tuple[str, ...]
    ) -> None:
        """Put a rep under another id (an erasure: ``document`` under its pseudonym), rewrite the contest
        definitions naming them and append ``audit`` (actor, action, target, data), in one MULTI."""
        change: dict[str, Any] = {"reps": [rep_id, document["id"]]} | ({"contests": True} if contests else {})
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(keys.REPS, rep_id)
        pipe.hset(keys.REPS, document["id"], json.dumps(document, ensure_ascii=False))
        for contest_id, contest in contests.items():
            pipe.hset(keys.CONTESTS, contest_id, json.dumps(contest, ensure_ascii=False))
        bump_keys = [keys.CONFIG_VERSION, keys.CONFIG_CHANGES]
        pipe.eval(self._bump_source, len(bump_keys), *bump_keys, json.dumps(change), CHANGES_KEPT)
        queue_entry(pipe, *audit)
        version = (await pipe.execute())[2 + len(contests)]
        # The change log would keep naming the rep id: its entry goes, and every process then reloads everything
        # (a version missing from the log means reload, ``config_changes.lua``).
        await self.redis.hdel(keys.CONFIG_CHANGES, version)
        self.invalidate()
        await self.redis.publish(keys.CONFIG_CHANNEL, json.dumps({"version": version, **change}))

    async def put_reps(
        self, documents: list[dict[str, Any]], actor: str, action: str = "rep.put"
    ) -> dict[str, dict[str, Any]]:
        """Store many reps at once (an import's chunk): one MULTI, one version bump, one audit entry per rep.
        Returns the documents they replaced, by rep id."""
        audits = [(actor, action, d["id"], json.dumps(d, ensure_ascii=False)) for d in documents]
        return await self._store(keys.REPS, {d["id"]: d for d in documents}, audits)

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

    async def rep_documents(self, rep_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The stored reps among ``rep_ids``, read now in one call."""
        if not rep_ids:
            return {}
        found = await self.redis.hmget(keys.REPS, rep_ids)
        return {rep_id: _load(raw) for rep_id, raw in zip(rep_ids, found, strict=True) if raw}

    @staticmethod
    def accepting(snapshot: Snapshot, now: datetime) -> list[Contest]:
        """Contests whose boards events received now may change (live, or ended within grace)."""
        return [c for c in snapshot.contests.values() if c.accepts_at(now)]


def _load(raw: bytes | str) -> dict[str, Any]:
    return json.loads(raw)


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _team(document: Mapping[str, Any]) -> Team:
    return Team(document["id"], document["name"], document.get("color", ""))


def _rep(document: Mapping[str, Any]) -> Rep:
    return Rep(
        document["id"],
        document["name"],
        document.get("team"),
        document.get("active", True),
        document.get("opted_out", False),
        document.get("aliases") or {},
        document.get("photo") or "",
    )


def _badges(stored: Iterable[bytes]) -> list[BadgeDefinition]:
    """Stored badge definitions (the built-in defaults until one is stored), retired ones left out."""
    documents = [_load(raw) for raw in stored]
    return [parse_badge(b) for b in (documents or DEFAULT_BADGES) if not b.get("disabled")]
