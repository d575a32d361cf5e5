"""The erasure of a person, for everything besides scores: the records that name them (recognition, disputes,
challenges, flags, goals, late events, reward points, contest definitions), their user accounts and photo, the
CRM connector state kept for their CRM user ids, pending chat notifications and the audit log. JSON documents are
rewritten with ``game.pseudonym.scrubbed`` (the rep id becomes the pseudonym; free text and customers are emptied
where the person is named); what only makes sense with the person (accounts, photo, held CRM deals, pending
notifications) is dropped. ``docs/privacy.md`` lists each piece."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from redis.asyncio import Redis

from game import keys
from game.pseudonym import Erasure, mentions, scrubbed
from game.store import text
from server.services.erasure_score_store import SCAN_COUNT, ScoreRenamer, glob_escaped, scrubbed_entry, scrubbed_text
from server.services.media_store import rep_owner
from server.services.stream_rewrite_store import Fields


def json_hashes() -> tuple[str, ...]:
    """Hashes of JSON documents that may name a rep: rewritten in place."""
    return (
        keys.AWARDS,
        keys.DISPUTES,
        keys.CHALLENGES,
        keys.FLAGS,
        keys.FLAG_DECISIONS,
        keys.GOALS,
        keys.REWARD_REDEMPTIONS,
        keys.CONFIG_CHANGES,
    )


class ErasureStore:
    """Where an erasure's parts are made: the renames of scores and the rewriting of every other record."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def claim(self, token: str, seconds: int) -> bool:
        """Hold the one erasure that may run at a time (each rewrites the log and the shared streams)."""
        return bool(await self.redis.set(keys.ERASURE_RUNNING, token, nx=True, ex=seconds))

    async def release(self, token: str) -> None:
        if text(await self.redis.get(keys.ERASURE_RUNNING) or b"") == token:
            await self.redis.delete(keys.ERASURE_RUNNING)

    def scores(self, erasure: Erasure) -> ScoreRenamer:
        return ScoreRenamer(self.redis, erasure)

    def records(self, erasure: Erasure) -> RecordEraser:
        return RecordEraser(self.redis, erasure)


class RecordEraser:
    def __init__(self, redis: Redis, erasure: Erasure) -> None:
        self.redis = redis
        self.erasure = erasure
        self.renamer = ScoreRenamer(redis, erasure)

    async def json_hash(self, key: str, *, drop: bool = False) -> int:
        """Rewrite (or, with ``drop``, delete) the documents of a hash naming the person; a field named by the rep
        id as a token is renamed. The number of documents changed."""
        changed: dict[str, str] = {}
        gone: list[str] = []
        touched = 0
        async for raw_field, raw in self.redis.hscan_iter(key, count=SCAN_COUNT):
            field, value = text(raw_field), text(raw)
            renamed = self.erasure.token_renamed(field)
            if not (mentions(value, self.erasure) or renamed != field):
                continue
            touched += 1
            if renamed != field or drop:
                gone.append(field)
            if not drop:
                changed[renamed] = scrubbed_text(value, self.erasure)
        pipe = self.redis.pipeline(transaction=True)
        if gone:
            pipe.hdel(key, *gone)
        if changed:
            pipe.hset(key, mapping=changed)  # type: ignore[arg-type]
        await pipe.execute()
        return touched

    async def records(self) -> dict[str, int]:
        """Recognition, awards, disputes, challenges, flags, goals, redemptions, config changes, late events."""
        counts = {key.rsplit(":", 1)[-1]: await self.json_hash(key) for key in json_hashes()}
        counts["disputed_lines"] = await self.json_hash(keys.DISPUTED_LINES)
        counts["late_events"] = sum(
            [await self.json_hash(key) for key in await self.renamer.scan(glob_escaped(keys.LATE_PREFIX) + "*")]
        )
        counts["recognition"] = await self.renamer.streams.rewrite(keys.RECOGNITION, self._entry)
        return counts

    async def contest_definitions(self) -> dict[str, dict[str, object]]:
        """The contest definitions naming the rep (by id in a roster or division), rewritten: the caller stores
        them with the directory change."""
        stored = await self.redis.hgetall(keys.CONTESTS)
        return {
            text(cid): scrubbed(json.loads(raw), self.erasure, free_text=False)
            for cid, raw in stored.items()
            if mentions(text(raw), self.erasure)
        }

    async def rewards(self) -> int:
        """Balances, held points and open redemptions renamed; the ledger moved with its notes emptied; the
        credited refs naming the rep renamed (so nothing is credited twice)."""
        count = await self.renamer.members([keys.REWARD_BALANCES, keys.REWARD_HELD, keys.REWARD_OPEN])
        count += await self.json_hash(keys.REWARD_REFS)
        ledger = keys.reward_ledger(self.erasure.rep)
        return count + await self.renamer.streams.rewrite(
            ledger, self._reward_line, keys.reward_ledger(self.erasure.alias)
        )

    def _reward_line(self, fields: Fields) -> dict[bytes, bytes]:
        out = dict(fields)
        out[b"note"] = b""
        if b"ref" in out:
            out[b"ref"] = self.erasure.token_renamed(text(out[b"ref"])).encode()
        return out

    def _entry(self, fields: Fields) -> dict[bytes, bytes] | None:
        return scrubbed_entry(fields, self.erasure)

    async def accounts(self, usernames: Iterable[str]) -> int:
        """Delete the user accounts linked to the rep (their sessions end: a session names a user that is gone),
        their pending sign-in links and login-failure counters."""
        names = set(usernames)
        if not names:
            return 0
        links = [
            key
            async for key in self.redis.scan_iter(match=glob_escaped(keys.SIGNIN_LINKS_PREFIX) + "*", count=SCAN_COUNT)
            if text(await self.redis.get(key) or b"") in names
        ]
        pipe = self.redis.pipeline(transaction=False)
        pipe.hdel(keys.USERS, *names)
        for name in names:
            pipe.delete(keys.login_failures("user", name))
        if links:
            pipe.delete(*links)
        await pipe.execute()
        return len(names)

    async def photo(self) -> int:
        return int(await self.redis.delete(keys.media(rep_owner(self.erasure.rep))))

    async def connectors(self, aliases: Mapping[str, str]) -> int:
        """Drop what the connectors hold for the rep's CRM user ids (unmapped owners, held deals) and rewrite the
        CRM deal states and delivery summaries naming the rep."""
        count = 0
        for connector_id, crm_user in aliases.items():
            count += int(await self.redis.hdel(keys.connector_unmapped(connector_id), crm_user))
            count += int(await self.redis.delete(keys.connector_held(connector_id, crm_user)))
        for deal in await self.renamer.scan(keys.connector_deal("*", "*")):
            raw = await self.redis.get(deal)
            if raw is not None and mentions(text(raw), self.erasure):
                await self.redis.set(deal, scrubbed_text(text(raw), self.erasure), keepttl=True)
                count += 1
        for deliveries in await self.renamer.scan(keys.connector_deliveries("*")):
            count += await self._drop_from_list(deliveries)
        return count

    async def notifications(self) -> int:
        """Drop pending notifications and dead letters naming the person; rename them in digest snapshots."""
        count = 0
        for outbox in await self.renamer.scan(keys.notify_outbox("*")):
            count += await self._drop_from_list(outbox)
        dead = [
            text(f)
            async for f, raw in self.redis.hscan_iter(keys.NOTIFY_DEAD, count=SCAN_COUNT)
            if mentions(text(raw), self.erasure)
        ]
        if dead:
            pipe = self.redis.pipeline(transaction=True)
            pipe.hdel(keys.NOTIFY_DEAD, *dead)
            pipe.zrem(keys.NOTIFY_DEAD_ORDER, *dead)
            await pipe.execute()
        count += len(dead)
        for snapshot in await self.renamer.scan(keys.notify_snapshot("*", "*", "*")):
            raw = await self.redis.get(snapshot)
            if raw is not None and mentions(text(raw), self.erasure):
                await self.redis.set(snapshot, scrubbed_text(text(raw), self.erasure), keepttl=True)
                count += 1
        return count

    async def _drop_from_list(self, key: str) -> int:
        naming = {raw for raw in await self.redis.lrange(key, 0, -1) if mentions(text(raw), self.erasure)}
        if naming:
            pipe = self.redis.pipeline(transaction=True)
            for raw in naming:
                pipe.lrem(key, 0, text(raw))
            await pipe.execute()
        return len(naming)

    async def audit(self, usernames: Iterable[str]) -> int:
        """Entries targeting the rep get the pseudonym; bodies naming the person are emptied; the deleted accounts,
        as actors, become the pseudonym too."""
        names = set(usernames)

        def rewrite(fields: Fields) -> dict[bytes, bytes] | None:
            entry = {text(k): text(v) for k, v in fields.items()}
            target, actor, data = entry.get("target", ""), entry.get("actor", ""), entry.get("data", "")
            named_target = self.erasure.names_person(target)
            if not (named_target or actor in names or mentions(data, self.erasure)):
                return None
            entry["target"] = self.erasure.token_renamed(target)
            entry["actor"] = self.erasure.alias if actor in names else actor
            entry["data"] = "" if named_target or mentions(data, self.erasure) else data
            return {k.encode(): v.encode() for k, v in entry.items()}

        return await self.renamer.streams.rewrite(keys.AUDIT_LOG, rewrite)
