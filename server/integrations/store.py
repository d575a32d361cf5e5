"""Redis edge of the integrations: connectors, per-deal state, delivery dedupe, CRM access tokens and held
events.

Every key is built by ``game/keys.py`` under the ``{int}`` hash tag, so each transaction below stays in one
cluster slot. Deal transitions use WATCH/MULTI (optimistic, per deal key), so two processes handling two
deliveries for the same deal can never both count a win.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from game import keys
from server.integrations.connectors import Connector
from server.integrations.deals import DealState, Observation, Routed, observe

# A delivery id is remembered this long: HubSpot retries for up to 3 days, Salesforce for 24 hours.
DELIVERY_TTL_SECONDS = 7 * 24 * 3600
# Held events are bounded; past these limits a webhook is answered 503 so the CRM retries later
# (nothing is dropped) and the log says which connector needs its owners mapped.
MAX_UNMAPPED_OWNERS = 1000
MAX_HELD_PER_OWNER = 10_000
MAX_TRANSITION_ATTEMPTS = 20
MAX_DELIVERY_LOG = 50  # per connector: the console shows the latest deliveries, older ones fall off


class HoldFull(RuntimeError):
    """The needs-mapping list of a connector is full."""


class IntegrationStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    # Connectors -------------------------------------------------------------------------------------

    async def save_connector(self, connector: Connector) -> None:
        await self.redis.hset(keys.CONNECTORS, connector.id, json.dumps(connector.to_record(), ensure_ascii=False))

    async def connector(self, connector_id: str) -> Connector | None:
        raw = await self.redis.hget(keys.CONNECTORS, connector_id)
        return Connector.from_record(json.loads(raw)) if raw else None

    async def connectors(self) -> list[Connector]:
        raw = await self.redis.hgetall(keys.CONNECTORS)
        return sorted((Connector.from_record(json.loads(v)) for v in raw.values()), key=lambda c: c.created_at)

    async def delete_connector(self, connector_id: str) -> bool:
        """Remove a connector and everything it kept (deal states, deliveries, held events, tokens). The
        events it delivered stay in the log and on the boards."""
        existed = bool(await self.redis.hdel(keys.CONNECTORS, connector_id))
        exact, patterns = keys.connector_state_keys(connector_id)
        doomed = list(exact)
        for pattern in patterns:
            async for key in self.redis.scan_iter(match=pattern, count=1000):
                doomed.append(key)
                if len(doomed) >= 1000:
                    await self.redis.unlink(*doomed)
                    doomed = []
        if doomed:
            await self.redis.unlink(*doomed)
        return existed

    # Deliveries -------------------------------------------------------------------------------------

    async def delivered(self, connector_id: str, delivery_ids: Sequence[str]) -> set[str]:
        """The deliveries among ``delivery_ids`` already processed (redelivered by the CRM)."""
        if not delivery_ids:
            return set()
        found = await self.redis.mget([keys.connector_delivery(connector_id, d) for d in delivery_ids])
        return {d for d, hit in zip(delivery_ids, found, strict=True) if hit is not None}

    async def mark_delivered(self, connector_id: str, delivery_ids: Iterable[str]) -> None:
        """Remember deliveries once processed (not before: a failed one must be processed on retry)."""
        pipe = self.redis.pipeline(transaction=False)
        for delivery_id in delivery_ids:
            pipe.set(keys.connector_delivery(connector_id, delivery_id), 1, ex=DELIVERY_TTL_SECONDS)
        await pipe.execute()

    async def log_delivery(self, connector_id: str, summary: dict[str, Any]) -> None:
        """Keep a delivery's outcome for the console; only the latest ``MAX_DELIVERY_LOG`` stay."""
        key = keys.connector_deliveries(connector_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(key, json.dumps(summary, ensure_ascii=False))
        pipe.ltrim(key, 0, MAX_DELIVERY_LOG - 1)
        await pipe.execute()

    async def delivery_log(self, connector_id: str) -> list[dict[str, Any]]:
        """The latest deliveries, newest first."""
        return [json.loads(raw) for raw in await self.redis.lrange(keys.connector_deliveries(connector_id), 0, -1)]

    # Deals ------------------------------------------------------------------------------------------

    async def transition(self, connector_id: str, seen: Observation) -> list[Routed]:
        """Apply one observation to the deal's stored state atomically; the events it calls for."""
        key = keys.connector_deal(connector_id, seen.deal_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(MAX_TRANSITION_ATTEMPTS):
                try:
                    await pipe.watch(key)
                    state = DealState.from_json(await pipe.get(key))
                    new_state, routed = observe(state, seen)
                    if new_state == state:
                        await pipe.unwatch()
                        return routed
                    pipe.multi()
                    pipe.set(key, new_state.to_json())
                    await pipe.execute()
                    return routed
                except WatchError:
                    continue
        raise RuntimeError(f"deal {seen.deal_id} of {connector_id} kept changing; gave up")

    # CRM access tokens bought with a refresh token (sealed by the caller), and who is buying one ----------

    async def cached_access_token(self, connector_id: str) -> str | None:
        """The sealed access token kept for the connector, if one is still kept."""
        raw = await self.redis.get(keys.connector_access_token(connector_id))
        return None if raw is None else raw.decode() if isinstance(raw, bytes) else raw

    async def keep_access_token(self, connector_id: str, sealed: str, seconds: int) -> None:
        await self.redis.set(keys.connector_access_token(connector_id), sealed, ex=seconds)

    async def claim_token_refresh(self, connector_id: str, lock_ms: int) -> bool:
        """Whether this process may ask the CRM for a new token now: one at a time, the claim lapses after
        ``lock_ms`` if its holder never ends it."""
        return bool(await self.redis.set(keys.connector_token_refresh(connector_id), "1", nx=True, px=lock_ms))

    async def end_token_refresh(self, connector_id: str) -> None:
        await self.redis.delete(keys.connector_token_refresh(connector_id))

    # Held events (owners not mapped to a rep yet) ---------------------------------------------------

    async def hold(self, connector_id: str, owner: str, events: Sequence[dict[str, Any]]) -> None:
        """Keep events of an unmapped CRM user until a rep gets the alias; raise HoldFull past the limits."""
        held_key, unmapped_key = keys.connector_held(connector_id, owner), keys.connector_unmapped(connector_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hlen(unmapped_key)
        pipe.hget(unmapped_key, owner)
        pipe.hlen(held_key)
        owners, summary_raw, held = await pipe.execute()
        if (summary_raw is None and owners >= MAX_UNMAPPED_OWNERS) or held + len(events) > MAX_HELD_PER_OWNER:
            raise HoldFull(f"connector {connector_id}: needs-mapping list full; map CRM users to reps")
        now = time.time()
        summary = json.loads(summary_raw) if summary_raw else {"first_seen": now}
        summary.update(last_seen=now, deal=(events[-1].get("attrs") or {}).get("crm_deal"))
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            held_key,
            mapping={e["id"]: json.dumps({"at": time.time_ns(), "event": e}, ensure_ascii=False) for e in events},
        )
        pipe.hset(unmapped_key, owner, json.dumps(summary))
        await pipe.execute()

    async def held(self, connector_id: str, owner: str) -> list[dict[str, Any]]:
        """Held events of one CRM user, oldest first (so a win is released before its reversal)."""
        raw = await self.redis.hgetall(keys.connector_held(connector_id, owner))
        entries = sorted((json.loads(v) for v in raw.values()), key=lambda entry: entry["at"])
        return [entry["event"] for entry in entries]

    async def release(self, connector_id: str, owner: str, event_ids: Sequence[str]) -> None:
        """Forget released events; drop the owner from the needs-mapping list once nothing is left."""
        held_key, unmapped_key = keys.connector_held(connector_id, owner), keys.connector_unmapped(connector_id)
        if event_ids:
            await self.redis.hdel(held_key, *event_ids)
        async with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(MAX_TRANSITION_ATTEMPTS):
                try:
                    await pipe.watch(held_key)
                    if await pipe.hlen(held_key):
                        await pipe.unwatch()
                        return
                    pipe.multi()
                    pipe.hdel(unmapped_key, owner)
                    await pipe.execute()
                    return
                except WatchError:
                    continue

    async def unmapped(self, connector_id: str) -> list[dict[str, Any]]:
        """The needs-mapping list: CRM users with held events, most recently seen first."""
        summaries = await self.redis.hgetall(keys.connector_unmapped(connector_id))
        owners = [o.decode() if isinstance(o, bytes) else o for o in summaries]
        pipe = self.redis.pipeline(transaction=False)
        for owner in owners:
            pipe.hlen(keys.connector_held(connector_id, owner))
        counts = await pipe.execute()
        rows = []
        for owner, count, raw in zip(owners, counts, summaries.values(), strict=True):
            summary = json.loads(raw)
            rows.append(
                {
                    "crm_user": owner,
                    "held": int(count),
                    "first_seen": _iso(summary.get("first_seen")),
                    "last_seen": _iso(summary.get("last_seen")),
                    "example_deal": summary.get("deal"),
                }
            )
        return sorted(rows, key=lambda row: row["last_seen"] or "", reverse=True)


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
