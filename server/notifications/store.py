"""Redis edge of the notifier: channels, per-channel outboxes and delivery state, cursors, dead letters.

Every key is built by ``game/keys.py`` under the ``{notify}`` tag (one cluster slot), so the commit
script — check the lease and the cursors read, move the cursors, append to the outboxes — is one atomic
step: a notification is queued exactly when its source cursor moves past it, and a process that lost the
lease while it collected commits nothing.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis

from game import keys
from game.store import text
from server.notifications.channels import Channel

MAX_OUTBOX = 500  # per channel; past it the oldest waiting notification is dropped and counted
MAX_DEAD_LETTERS = 1000  # workspace-wide; past it the oldest dead letter is dropped
SENT_WINDOW_MS = 60_000
SNAPSHOT_TTL = 15 * 24 * 3600  # longer than a week: the weekly digest compares with the previous one

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: 1 lease, 2 cursors, 3 channels, then the outbox/state/snapshot keys the plan refers to by index.
# ARGV: 1 lease token, 2 JSON plan {expect: {field: value|false}, set: {field: value},
#       push: [[channel id, outbox index, state index, item]], snapshots: [[key index, value, ttl]], max}
COMMIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local plan = cjson.decode(ARGV[2])
for name, value in pairs(plan.expect) do
  if redis.call('HGET', KEYS[2], name) ~= value then return -1 end
end
for name, value in pairs(plan.set) do redis.call('HSET', KEYS[2], name, value) end
local queued = 0
for _, push in ipairs(plan.push) do
  if redis.call('HEXISTS', KEYS[3], push[1]) == 1 then
    redis.call('RPUSH', KEYS[push[2]], push[4])
    queued = queued + 1
    if redis.call('LLEN', KEYS[push[2]]) > plan.max then
      redis.call('LPOP', KEYS[push[2]])
      redis.call('HINCRBY', KEYS[push[3]], 'dropped', 1)
    end
  end
end
for _, snap in ipairs(plan.snapshots) do redis.call('SET', KEYS[snap[1]], snap[2], 'EX', snap[3]) end
return 1 + queued
"""


@dataclass(frozen=True)
class BoardSnapshot:
    """A contest's board as a channel's digest of one kind saw it, kept to find the movers at the next one."""

    channel: str
    kind: str  # daily | weekly
    contest: str
    value: str  # JSON {rep: [score, rank]}


@dataclass
class Plan:
    """What one collection wants to commit: cursor moves (with the values they were read at) and items."""

    expect: dict[str, str | bool] = field(default_factory=dict)
    updates: dict[str, str] = field(default_factory=dict)
    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (channel id, notification)
    snapshots: list[BoardSnapshot] = field(default_factory=list)

    def move(self, name: str, before: str | None, after: str) -> None:
        if before == after:
            return
        self.expect.setdefault(name, before if before is not None else False)
        self.updates[name] = after

    @property
    def empty(self) -> bool:
        return not (self.updates or self.items or self.snapshots)


@dataclass(frozen=True)
class ChannelState:
    attempts: int = 0
    next_at_ms: int = 0
    last_error: str = ""
    last_error_at: str = ""
    last_success_at: str = ""
    dropped: int = 0
    paused: bool = False  # set from the console: notifications wait in the outbox (bounded) until resumed

    @classmethod
    def parse(cls, raw: Mapping[bytes | str, bytes | str]) -> ChannelState:
        value = {text(k): text(v) for k, v in raw.items()}
        return cls(
            attempts=int(value.get("attempts", 0)),
            next_at_ms=int(value.get("next_at", 0)),
            last_error=value.get("last_error", ""),
            last_error_at=value.get("last_error_at", ""),
            last_success_at=value.get("last_success_at", ""),
            dropped=int(value.get("dropped", 0)),
            paused=value.get("paused") == "1",
        )


class NotifyStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)
        self._commit = redis.register_script(COMMIT)

    # Lease ------------------------------------------------------------------------------------------

    async def hold_lease(self, token: str, lease_ms: int) -> bool:
        return bool(await self._renew(keys=[keys.NOTIFY_LEASE], args=[token, lease_ms]))

    async def release_lease(self, token: str) -> None:
        await self._release(keys=[keys.NOTIFY_LEASE], args=[token])

    # Channels ---------------------------------------------------------------------------------------

    async def save_channel(self, channel: Channel) -> None:
        await self.redis.hset(keys.NOTIFY_CHANNELS, channel.id, json.dumps(channel.to_record(), ensure_ascii=False))

    async def channel(self, channel_id: str) -> Channel | None:
        raw = await self.redis.hget(keys.NOTIFY_CHANNELS, channel_id)
        return Channel.from_record(json.loads(raw)) if raw else None

    async def channels(self) -> list[Channel]:
        raw = await self.redis.hgetall(keys.NOTIFY_CHANNELS)
        return sorted((Channel.from_record(json.loads(v)) for v in raw.values()), key=lambda c: c.created_at)

    async def delete_channel(self, channel_id: str) -> bool:
        """The channel and what waits for it; its dead letters stay (listed, no longer retryable)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(keys.NOTIFY_CHANNELS, channel_id)
        pipe.delete(keys.notify_outbox(channel_id), keys.notify_state(channel_id), keys.notify_sent(channel_id))
        deleted, _ = await pipe.execute()
        return bool(deleted)

    async def status(self, channel_ids: Sequence[str]) -> dict[str, tuple[int, ChannelState]]:
        """Per channel: notifications waiting, and the delivery state."""
        pipe = self.redis.pipeline(transaction=False)
        for channel_id in channel_ids:
            pipe.llen(keys.notify_outbox(channel_id))
            pipe.hgetall(keys.notify_state(channel_id))
        answers = await pipe.execute()
        return {
            channel_id: (int(answers[2 * i]), ChannelState.parse(answers[2 * i + 1]))
            for i, channel_id in enumerate(channel_ids)
        }

    # Collection -------------------------------------------------------------------------------------

    async def cursors(self) -> dict[str, str]:
        return {text(k): text(v) for k, v in (await self.redis.hgetall(keys.NOTIFY_CURSORS)).items()}

    async def commit(self, token: str, plan: Plan) -> int | None:
        """Apply ``plan`` atomically; None when this process no longer holds the lease or another one
        moved a cursor first (nothing is written), else the number of notifications queued."""
        extra: list[str] = []
        index: dict[str, int] = {}

        def key_index(key: str) -> int:
            if key not in index:
                extra.append(key)
                index[key] = len(extra) + 3  # Lua is 1-based and three fixed keys come first
            return index[key]

        pushes = [
            [
                channel_id,
                key_index(keys.notify_outbox(channel_id)),
                key_index(keys.notify_state(channel_id)),
                json.dumps(item, ensure_ascii=False),
            ]
            for channel_id, item in plan.items
        ]
        snapshots = [
            [key_index(keys.notify_snapshot(kept.channel, kept.kind, kept.contest)), kept.value, SNAPSHOT_TTL]
            for kept in plan.snapshots
        ]
        document = {
            "expect": plan.expect,
            "set": plan.updates,
            "push": pushes,
            "snapshots": snapshots,
            "max": MAX_OUTBOX,
        }
        result = await self._commit(
            keys=[keys.NOTIFY_LEASE, keys.NOTIFY_CURSORS, keys.NOTIFY_CHANNELS, *extra],
            args=[token, json.dumps(document, ensure_ascii=False)],
        )
        return int(result) - 1 if int(result) > 0 else None

    async def board_snapshot(self, channel_id: str, kind: str, contest_id: str) -> dict[str, list[int]] | None:
        """The board as the channel's previous digest of ``kind`` saw it (``{rep: [score, rank]}``), if kept."""
        raw = await self.redis.get(keys.notify_snapshot(channel_id, kind, contest_id))
        return cast("dict[str, list[int]]", json.loads(raw)) if raw else None

    # Delivery ---------------------------------------------------------------------------------------

    async def set_paused(self, channel_id: str, paused: bool) -> None:
        await self.redis.hset(keys.notify_state(channel_id), "paused", "1" if paused else "0")

    async def state(self, channel_id: str) -> ChannelState:
        return ChannelState.parse(await self.redis.hgetall(keys.notify_state(channel_id)))

    async def waiting(self, channel_id: str, count: int) -> tuple[list[str], int]:
        """The oldest ``count`` notifications waiting for a channel (raw JSON) and how many wait in all."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.lrange(keys.notify_outbox(channel_id), 0, count - 1)
        pipe.llen(keys.notify_outbox(channel_id))
        head, total = await pipe.execute()
        return [text(raw) for raw in head], int(total)

    async def sent_recently(self, channel_id: str, now_ms: int) -> int:
        """Messages sent to the channel within the last minute (the rate limit's window)."""
        key = keys.notify_sent(channel_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.zremrangebyscore(key, "-inf", now_ms - SENT_WINDOW_MS)
        pipe.zcard(key)
        _, count = await pipe.execute()
        return int(count)

    async def record_sent(self, channel_id: str, now_ms: int) -> None:
        key = keys.notify_sent(channel_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(key, {f"{now_ms}:{secrets.token_hex(4)}": now_ms})
        pipe.pexpire(key, SENT_WINDOW_MS * 2)
        await pipe.execute()

    async def delivered(self, channel_id: str, raws: Iterable[str], now_ms: int, at: str) -> None:
        """Sent: take the notifications off the outbox, count the message in the window, clear failures."""
        sent = keys.notify_sent(channel_id)
        pipe = self.redis.pipeline(transaction=True)
        for raw in raws:
            pipe.lrem(keys.notify_outbox(channel_id), 1, raw)
        pipe.zadd(sent, {f"{now_ms}:{secrets.token_hex(4)}": now_ms})
        pipe.pexpire(sent, SENT_WINDOW_MS * 2)
        pipe.hset(keys.notify_state(channel_id), mapping={"attempts": 0, "next_at": 0, "last_success_at": at})
        await pipe.execute()

    async def failed(self, channel_id: str, error: str, at: str, next_at_ms: int, count: bool = True) -> int:
        """A failed attempt (or, with ``count=False``, a pause the platform asked for); the attempts so far."""
        state = keys.notify_state(channel_id)
        pipe = self.redis.pipeline(transaction=True)
        if count:
            pipe.hincrby(state, "attempts", 1)
        pipe.hset(state, mapping={"next_at": next_at_ms, "last_error": error[:500], "last_error_at": at})
        pipe.hget(state, "attempts")
        answers = await pipe.execute()
        return int(answers[-1] or 0)

    # Dead letters -----------------------------------------------------------------------------------

    async def dead_letter(
        self, channel: Channel, raws: Sequence[str], error: str, attempts: int, at: str, now_ms: int
    ) -> list[str]:
        """Move notifications that kept failing off the outbox into the dead-letter list."""
        ids: list[str] = []
        pipe = self.redis.pipeline(transaction=True)
        for raw in raws:
            item = json.loads(raw)
            letter_id = secrets.token_hex(6)
            ids.append(letter_id)
            record = {
                "id": letter_id,
                "channel": channel.id,
                "channel_name": channel.name,
                "channel_type": channel.type,
                "kind": item.get("kind"),
                "notification": item,
                "error": error[:500],
                "attempts": attempts,
                "failed_at": at,
            }
            pipe.lrem(keys.notify_outbox(channel.id), 1, raw)
            pipe.hset(keys.NOTIFY_DEAD, letter_id, json.dumps(record, ensure_ascii=False))
            pipe.zadd(keys.NOTIFY_DEAD_ORDER, {letter_id: now_ms})
        pipe.hset(keys.notify_state(channel.id), mapping={"attempts": 0, "next_at": 0})
        pipe.zcard(keys.NOTIFY_DEAD_ORDER)
        *_, total = await pipe.execute()
        if int(total) > MAX_DEAD_LETTERS:
            # redis-py's reply type also covers ranges read without scores; ZPOPMIN always pairs them.
            oldest = cast(
                "list[tuple[bytes, float]]",
                await self.redis.zpopmin(keys.NOTIFY_DEAD_ORDER, int(total) - MAX_DEAD_LETTERS),
            )
            if oldest:
                await self.redis.hdel(keys.NOTIFY_DEAD, *[member for member, _ in oldest])
        return ids

    async def dead_letters(self, channel_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first."""
        # redis-py's reply type also covers ranges read with scores; this one is members only.
        ids = cast("list[bytes]", await self.redis.zrevrange(keys.NOTIFY_DEAD_ORDER, 0, -1))
        if not ids:
            return []
        records = await self.redis.hmget(keys.NOTIFY_DEAD, ids)
        letters = [json.loads(raw) for raw in records if raw]
        if channel_id:
            letters = [letter for letter in letters if letter["channel"] == channel_id]
        return letters[:limit]

    async def dead_letter_record(self, letter_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(keys.NOTIFY_DEAD, letter_id)
        return json.loads(raw) if raw else None

    async def requeue(self, record: dict[str, Any]) -> None:
        """Put a dead letter back at the front of its channel's outbox, with a clean slate of attempts."""
        channel_id = record["channel"]
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(keys.notify_outbox(channel_id), json.dumps(record["notification"], ensure_ascii=False))
        pipe.hset(keys.notify_state(channel_id), mapping={"attempts": 0, "next_at": 0})
        pipe.hdel(keys.NOTIFY_DEAD, record["id"])
        pipe.zrem(keys.NOTIFY_DEAD_ORDER, record["id"])
        await pipe.execute()

    async def discard(self, letter_id: str) -> bool:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(keys.NOTIFY_DEAD, letter_id)
        pipe.zrem(keys.NOTIFY_DEAD_ORDER, letter_id)
        deleted, _ = await pipe.execute()
        return bool(deleted)
