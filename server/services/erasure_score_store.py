"""The erasure of a person, for scores: every key and member named by the rep id in the contests and the XP
boards is renamed to the pseudonym, never recomputed, so totals, boards, team scores and every other rep's rank
stay exactly what they were. Members are renamed atomically (``game/lua/rename_member.lua``); per-rep keys are
moved through ``move_key`` (a RENAME within a slot, a copy and a delete across slots), their names built by
``game/keys.py``; ledgers are rewritten with their notes and customers emptied. ``docs/privacy.md``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, cast

import msgpack
from redis.asyncio import Redis

from game import keys, log_record
from game.contest_archive import LEDGER_FIELD, decode_ledger, encode_ledger
from game.contests import Contest
from game.pseudonym import Erasure, erased_event, erased_ledger_values, mentions, scrubbed
from game.rosters import TeamRoster
from game.store import load_lua, text
from server.services.stream_rewrite_store import Fields, StreamRewriter, move_key

SCAN_COUNT = 1000


def glob_escaped(value: str) -> str:
    """A literal for a SCAN/HSCAN pattern (rep ids may hold ``*``, ``?``, ``[`` or ``\\``)."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", value)


def erased_ledger_line(fields: Fields) -> dict[bytes, bytes]:
    """A ledger entry with its note and customer emptied (a compact line or an earlier map)."""
    if b"l" in fields:
        values = msgpack.unpackb(fields[b"l"], raw=False)
        return {**fields, b"l": msgpack.packb(erased_ledger_values(values), use_bin_type=False)}
    line = msgpack.unpackb(fields[b"e"], raw=False)
    return {**fields, b"e": msgpack.packb({**line, "note": "", "customer": ""}, use_bin_type=False)}


def renamed_record(raw: bytes, erasure: Erasure) -> bytes | None:
    """A deal record (``{1, rep, ...}``, contests' and XP's) naming the rep, with the pseudonym; None if it does
    not name them."""
    record = msgpack.unpackb(raw, raw=False)
    if isinstance(record, list) and len(record) > 1 and record[0] == 1 and record[1] == erasure.rep:
        return bytes(msgpack.packb([record[0], erasure.alias, *record[2:]], use_bin_type=False))
    return None


class ScoreRenamer:
    def __init__(self, redis: Redis, erasure: Erasure) -> None:
        self.redis = redis
        self.erasure = erasure
        self.streams = StreamRewriter(redis)
        self._rename = redis.register_script(load_lua("rename_member"))

    async def events(self, shards: int) -> int:
        """Rewrite the rep's entries of every log shard in place: ``rep`` the pseudonym, customer and free attributes
        removed; stream ids (which the dedupe hashes point at) and order kept."""

        def rewrite(fields: Fields) -> dict[bytes, bytes] | None:
            record = log_record.unpack(fields)
            if record.get("rep") != self.erasure.rep:
                return None
            field, packed = log_record.pack(erased_event(record, self.erasure))
            return {field: packed}

        return sum([await self.streams.rewrite(keys.event_log(shard), rewrite) for shard in range(shards)])

    async def scan(self, pattern: str) -> list[str]:
        return [text(key) async for key in self.redis.scan_iter(match=pattern, count=SCAN_COUNT)]

    async def member(self, key: str, old: str | None = None, new: str | None = None) -> int:
        old, new = old or self.erasure.rep, new or self.erasure.alias
        return int(await self._rename(keys=[key], args=[old, new]))

    async def members(self, keys_: Iterable[str]) -> int:
        return sum([await self.member(key) for key in keys_])

    async def suffixed_fields(self, key: str) -> int:
        """Rename the hash fields ending ``|<rep>`` (daily caps: ``day|rule|rep``, ``type|rep``)."""
        rep, alias = self.erasure.rep, self.erasure.alias
        pattern = "*|" + glob_escaped(rep)
        fields = [text(f) async for f, _ in self.redis.hscan_iter(key, match=pattern, count=SCAN_COUNT)]
        return sum([await self.member(key, f, f[: -len(rep)] + alias) for f in fields])

    async def deal_records(self, pattern: str, new_home: keys.XpKeys | None = None) -> int:
        """Rename the rep in the deal records of every bucket matching ``pattern``; XP's records move to the bucket
        of the same name in the pseudonym's shard (``new_home``) when that is another."""
        renamed = 0
        for key in await self.scan(pattern):
            changes: dict[bytes, bytes] = {}
            async for field, raw in self.redis.hscan_iter(key, count=SCAN_COUNT):
                new = renamed_record(raw, self.erasure)
                if new is not None:
                    changes[field] = new
            if not changes:
                continue
            home = keys.xp_keys_of(self.erasure.rep)
            target = key if new_home is None else new_home.shard_key(key, home)
            if target == key:
                await self.redis.hset(key, mapping=changes)  # type: ignore[arg-type]
            else:
                # into the same bucket of the other shard; records of the unbucketed hash into their buckets (the
                # write script reads an unbucketed hash only where it was there when a process started)
                for field, record in changes.items():
                    bucketed = target if key != home.deals else f"{target}:{keys.bucket(text(field))}"
                    await self.redis.hset(bucketed, field, record)
                await self.redis.hdel(key, *changes)
            renamed += len(changes)
        return renamed

    async def json_list(self, key: str) -> int:
        """Rewrite the JSON items of a list naming the rep (a contest's recent wins), order kept."""
        items = [text(raw) for raw in await self.redis.lrange(key, 0, -1)]
        if not any(mentions(item, self.erasure) for item in items):
            return 0
        rewritten = [json.dumps(scrubbed(json.loads(item), self.erasure), ensure_ascii=False) for item in items]
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key)
        pipe.rpush(key, *rewritten)
        await pipe.execute()
        return sum(1 for item in items if mentions(item, self.erasure))

    async def contest(self, contest: Contest) -> int:
        """Rename the rep in one contest's current epoch, its archive and its results."""
        rep, alias = self.erasure.rep, self.erasure.alias
        k = keys.ContestKeys(contest.id, contest.epoch)
        count = await self.members([k.rep_totals, k.rep_board, k.low_water, k.rep_pending, k.rep_provisional])
        count += await self.members(await self.scan(glob_escaped(k.team_members_prefix) + "*"))
        count += await self.members(await self.scan(glob_escaped(k.division_board_prefix) + "*"))
        count += await self.suffixed_fields(k.caps)
        count += int(await move_key(self.redis, k.rep_times_prefix + rep, k.rep_times_prefix + alias))
        moved = [k.rep_totals_bucket(rep), k.rep_totals_bucket(alias)]  # bucketed totals follow the name
        count += int(await self._rename(keys=moved, args=[rep, alias]))
        for group in await self.scan(glob_escaped(k.cap_group_prefix) + "*|" + glob_escaped(rep)):
            count += int(await move_key(self.redis, group, group[: -len(rep)] + alias))
        count += await self.streams.rewrite(k.ledger(rep), erased_ledger_line, k.ledger(alias))
        count += await self._rosters(k.team_rosters)
        count += await self.deal_records(glob_escaped(k.deals) + "*")
        count += await self.json_list(k.recent_wins)
        for history in await self.scan(glob_escaped(k.history_prefix) + "*"):
            count += await self._history(history)
        count += await self._archive(k.archive)
        return count + await self._results(contest.id)

    async def _rosters(self, key: str) -> int:
        changed = {}
        for team, raw in (await self.redis.hgetall(key)).items():
            roster = TeamRoster.decode(raw)
            if self.erasure.rep in roster.members:
                members = sorted(self.erasure.alias if m == self.erasure.rep else m for m in roster.members)
                changed[text(team)] = TeamRoster(tuple(members), roster.target).encode()
        if changed:
            await self.redis.hset(key, mapping=changed)  # type: ignore[arg-type]
        return len(changed)

    async def _history(self, key: str) -> int:
        """Recent board diffs for reconnecting screens: those naming the rep are dropped (a screen that misses
        one reloads the board)."""
        members = cast("list[bytes]", await self.redis.zrange(key, 0, -1))
        naming = [m for m in members if mentions(text(m), self.erasure)]
        if naming:
            await self.redis.zrem(key, *naming)
        return len(naming)

    async def _archive(self, key: str) -> int:
        rep, alias = self.erasure.rep, self.erasure.alias
        blob = await self.redis.hget(key, LEDGER_FIELD + rep)
        if blob is None:
            return 0
        lines = [(entry_id, erased_ledger_line(fields)) for entry_id, fields in decode_ledger(cast(bytes, blob))]
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, LEDGER_FIELD + alias, encode_ledger(lines))
        pipe.hdel(key, LEDGER_FIELD + rep)
        await pipe.execute()
        return 1

    async def _results(self, contest_id: str) -> int:
        key = keys.ContestKeys(contest_id).results
        raw = await self.redis.get(key)
        if raw is None or not mentions(text(raw), self.erasure):
            return 0
        await self.redis.set(key, json.dumps(scrubbed(json.loads(raw), self.erasure), ensure_ascii=False))
        return 1

    async def progress(self) -> int:
        """XP boards, facts, lifetime counts, badges held, month dealers and records, daily caps, deal records and
        the badge feed. With XP in several shards the pseudonym's shard is usually not the rep's
        (``keys.xp_keys_of``): the rep's rows, fields and records then move to it, as its facts and badges do."""
        rep, alias = self.erasure.rep, self.erasure.alias
        home, new_home = keys.xp_keys_of(rep), keys.xp_keys_of(alias)
        count = 0
        for prefix in (home.board_prefix, home.dealers_prefix, home.caps_prefix):
            for key in await self.scan(glob_escaped(prefix) + "*"):
                target = self.xp_target(key, home, new_home) if prefix == home.caps_prefix else None
                target = target or new_home.shard_key(key, home)
                if target != key:
                    count += await self.moved_member(key, target)
                else:
                    in_place = self.suffixed_fields if prefix == home.caps_prefix else self.member
                    count += await in_place(key)
        earlier = [(key, new_home.shard_key(key, home)) for key in (home.deal_counts, home.facts_version)]
        for key, target in [(home.tally(rep), new_home.tally(alias)), *earlier]:
            count += await (self.member(key) if target == key else self.moved_member(key, target))
        facts_prefix = keys.xp_facts(rep, "")
        for facts in await self.scan(glob_escaped(facts_prefix) + "*"):
            count += int(await move_key(self.redis, facts, keys.xp_facts(alias, facts[len(facts_prefix) :])))
        count += await self._badges()
        for shard in keys.all_xp_keys():
            count += await self.deal_records(glob_escaped(shard.deals) + "*", new_home)
        for closed in await self.scan(glob_escaped(keys.XP_CLOSED_PREFIX) + "*"):
            decided = await self.redis.get(closed)
            if decided is not None and text(decided).startswith(rep + "|"):
                await self.redis.set(closed, alias + text(decided)[len(rep) :], keepttl=True)
                count += 1
        late = keys.XP_LATE_DEALERS  # "month|rep": closed months whose record the scheduler is yet to check
        noted = [text(m) async for m in self.redis.sscan_iter(late, match="*|" + glob_escaped(rep), count=SCAN_COUNT)]
        count += sum([await self.member(late, member, member[: -len(rep)] + alias) for member in noted])
        for shard in keys.all_xp_keys():
            count += await self.streams.rewrite(shard.badge_feed, self._feed_entry)
        return count

    def xp_target(self, caps: str, home: keys.XpKeys, new_home: keys.XpKeys) -> str | None:
        """Where the rep's daily caps in ``caps`` go: a day's bucket (``caps:<day>:<bucket>``) moves them to the
        pseudonym's bucket of that day; None for a day's single hash of earlier versions (it keeps its name)."""
        day, bucketed, _ = caps[len(home.caps_prefix) :].partition(":")
        return new_home.caps(day, self.erasure.alias) if bucketed else None

    async def moved_member(self, source: str, target: str) -> int:
        """The rep's member of ``source`` (a hash field, sorted-set row or set member; daily caps: fields ending
        ``|<rep>``) under the pseudonym in ``target``, another slot: written there first, then removed here, so an
        erasure stopped in between and run again finishes the same."""
        rep, alias = self.erasure.rep, self.erasure.alias
        kind = text(await self.redis.type(source))
        if kind == "zset":
            score = await self.redis.zscore(source, rep)
            if score is None:
                return 0
            await self.redis.zadd(target, {alias: score})
            await self.redis.zrem(source, rep)
        elif kind == "set":
            if not await self.redis.sismember(source, rep):
                return 0
            await self.redis.sadd(target, alias)
            await self.redis.srem(source, rep)
        elif kind == "hash":
            fields = {
                text(f): v
                async for f, v in self.redis.hscan_iter(source, count=SCAN_COUNT)
                if text(f) == rep or text(f).endswith("|" + rep)
            }
            if not fields:
                return 0
            renamed = {f[: -len(rep)] + alias: v for f, v in fields.items()}
            await self.redis.hset(target, mapping=renamed)  # type: ignore[arg-type]
            await self.redis.hdel(source, *fields)
            return len(fields)
        else:
            return 0
        ttl = await self.redis.pttl(source)
        if ttl > 0 and await self.redis.pttl(target) < 0:
            await self.redis.pexpire(target, ttl)
        return 1

    async def _badges(self) -> int:
        held = await self.redis.hgetall(keys.badges(self.erasure.rep))
        if not held:
            return 0
        awards = {f: json.dumps(scrubbed(json.loads(v), self.erasure), ensure_ascii=False) for f, v in held.items()}
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.badges(self.erasure.rep), mapping=awards)  # type: ignore[arg-type]
        await pipe.execute()
        await move_key(self.redis, keys.badges(self.erasure.rep), keys.badges(self.erasure.alias))
        return len(held)

    def _feed_entry(self, fields: Fields) -> dict[bytes, bytes] | None:
        return scrubbed_entry(fields, self.erasure)


def scrubbed_entry(fields: Fields, erasure: Erasure) -> dict[bytes, bytes] | None:
    """A stream entry of JSON or text fields (badge feed, recognition, audit) with the person scrubbed; None when
    it does not name them."""
    values = {text(k): text(v) for k, v in fields.items()}
    if not mentions(values, erasure):
        return None
    out: dict[bytes, bytes] = {}
    for name, value in values.items():
        out[name.encode()] = scrubbed_text(value, erasure).encode()
    return out


def scrubbed_text(value: str, erasure: Erasure) -> str:
    """Text that may be a JSON document, scrubbed (see ``game.pseudonym.scrubbed``)."""
    try:
        document: Any = json.loads(value)
    except ValueError:
        return "" if erasure.names_words(value) else erasure.token_renamed(value)
    if not isinstance(document, dict | list):
        return "" if erasure.names_words(value) else erasure.token_renamed(value)
    return json.dumps(scrubbed(document, erasure), ensure_ascii=False)
