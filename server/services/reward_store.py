"""Reward points, the catalogue, redemptions and budgets in Redis (keys in ``game/keys.py``, all in the ``{cfg}``
slot beside the audit log). Every change of points or stock is one Lua script (``game/lua/reward_*.lua``), so
parallel redemptions can never spend a point or a unit twice, and each lands with its audit entry."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from game import keys
from game.store import StreamEntries, load_lua, text
from server.services.audit_store import MAX_ENTRIES as AUDIT_MAX
from server.services.audit_store import queue_entry

LEDGER_MAX = 5_000  # lines kept per rep (approximate)
MAX_OPEN_PER_REP = 20  # redemptions a rep may have awaiting a decision

Document = dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """A script's answer: ``code`` 1 done, 0 done before, negative refused (see the script); the rest as it says."""

    code: int
    values: tuple[Any, ...]


def _outcome(reply: Sequence[Any]) -> Outcome:
    return Outcome(int(reply[0]), tuple(text(v) if isinstance(v, bytes | str) else int(v) for v in reply[1:]))


class RewardStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._credit = redis.register_script(load_lua("reward_credit"))
        self._redeem = redis.register_script(load_lua("reward_redeem"))
        self._decide = redis.register_script(load_lua("reward_decide"))

    # --- the catalogue ---------------------------------------------------------------------------------

    async def catalogue(self) -> list[Document]:
        """Every reward with the units left (``stock`` None: no limit)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(keys.REWARD_CATALOGUE)
        pipe.hgetall(keys.REWARD_STOCK)
        items, stock = await pipe.execute()
        left = {text(k): int(v) for k, v in stock.items()}
        rewards = [json.loads(v) for v in items.values()]
        return [{**r, "stock": left.get(r["id"])} for r in sorted(rewards, key=lambda r: (r["cost"], r["id"]))]

    async def reward(self, reward_id: str) -> Document | None:
        raw = await self.redis.hget(keys.REWARD_CATALOGUE, reward_id)
        return json.loads(raw) if raw is not None else None

    async def put_reward(self, reward: Document, stock: int | None, actor: str, created: bool) -> None:
        """Store a reward (its stock: units left now, or no limit) and audit it."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.REWARD_CATALOGUE, reward["id"], json.dumps(reward, ensure_ascii=False))
        if stock is None:
            pipe.hdel(keys.REWARD_STOCK, reward["id"])
        else:
            pipe.hset(keys.REWARD_STOCK, reward["id"], stock)
        data = json.dumps({**reward, "stock": stock}, ensure_ascii=False)
        queue_entry(pipe, actor, "reward.create" if created else "reward.update", reward["id"], data)
        await pipe.execute()

    async def delete_reward(self, reward_id: str, actor: str) -> bool:
        """Take a reward off the catalogue (redemptions keep their copy of it); False when there is no such reward."""
        if not await self.redis.hexists(keys.REWARD_CATALOGUE, reward_id):
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(keys.REWARD_CATALOGUE, reward_id)
        pipe.hdel(keys.REWARD_STOCK, reward_id)
        queue_entry(pipe, actor, "reward.delete", reward_id, "{}")
        removed, *_ = await pipe.execute()
        return bool(removed)

    # --- points ----------------------------------------------------------------------------------------

    async def credit(
        self, rep: str, points: int, source: str, ref: str, note: str, at: str, actor: str, audit: str, data: str
    ) -> Outcome:
        """``reward_credit.lua``: once per ``ref``."""
        reply = await self._credit(
            keys=[keys.REWARD_BALANCES, keys.REWARD_REFS, keys.reward_ledger(rep), keys.AUDIT_LOG],
            args=[rep, points, source, ref, note, at, actor, audit, data, LEDGER_MAX, AUDIT_MAX],
        )
        return _outcome(reply)

    async def balance(self, rep: str) -> tuple[int, int]:
        """Points to spend and points held by requests awaiting a decision."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(keys.REWARD_BALANCES, rep)
        pipe.hget(keys.REWARD_HELD, rep)
        available, held = await pipe.execute()
        return int(available or 0), int(held or 0)

    async def ledger(self, rep: str, count: int) -> list[Document]:
        """The rep's newest ledger lines, newest first."""
        entries = cast(StreamEntries, await self.redis.xrevrange(keys.reward_ledger(rep), count=count))
        lines = []
        for entry_id, fields in entries:
            line: Document = {text(k): text(v) for k, v in fields.items()}
            line.update(id=text(entry_id), points=int(line["points"]), balance=int(line["balance"]))
            lines.append(line)
        return lines

    # --- redemptions -----------------------------------------------------------------------------------

    async def redeem(self, redemption: Document, at: str, actor: str) -> Outcome:
        """``reward_redeem.lua``: hold the cost, set a unit aside, store the request."""
        rep = redemption["rep"]
        reply = await self._redeem(
            keys=[
                keys.REWARD_CATALOGUE,
                keys.REWARD_STOCK,
                keys.REWARD_BALANCES,
                keys.REWARD_HELD,
                keys.REWARD_REDEMPTIONS,
                keys.reward_ledger(rep),
                keys.AUDIT_LOG,
                keys.REWARD_OPEN,
            ],
            args=[
                rep,
                redemption["reward"],
                redemption["cost"],
                redemption["id"],
                json.dumps(redemption, ensure_ascii=False),
                at,
                actor,
                LEDGER_MAX,
                AUDIT_MAX,
                MAX_OPEN_PER_REP,
            ],
        )
        return _outcome(reply)

    async def decide(
        self, redemption: Document, to: str, actor: str, at: str, note: str, periods: tuple[str, str]
    ) -> Outcome:
        """``reward_decide.lua``: approve within the budgets, reject (points and unit back) or mark delivered."""
        rep = redemption["rep"]
        reply = await self._decide(
            keys=[
                keys.REWARD_REDEMPTIONS,
                keys.REWARD_BALANCES,
                keys.REWARD_HELD,
                keys.REWARD_STOCK,
                keys.REWARD_BUDGETS,
                keys.REWARD_SPENT,
                keys.reward_ledger(rep),
                keys.AUDIT_LOG,
                keys.REWARD_OPEN,
            ],
            args=[redemption["id"], to, actor, at, note, *periods, LEDGER_MAX, AUDIT_MAX, rep],
        )
        return _outcome(reply)

    async def redemptions(self) -> list[Document]:
        return [json.loads(v) for v in (await self.redis.hgetall(keys.REWARD_REDEMPTIONS)).values()]

    async def redemption(self, redemption_id: str) -> Document | None:
        raw = await self.redis.hget(keys.REWARD_REDEMPTIONS, redemption_id)
        return json.loads(raw) if raw is not None else None

    # --- budgets ---------------------------------------------------------------------------------------

    async def budgets(self) -> list[Document]:
        """Every budget with what approvals have used of it."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(keys.REWARD_BUDGETS)
        pipe.hgetall(keys.REWARD_SPENT)
        budgets, spent = await pipe.execute()
        used = {text(k): int(v) for k, v in spent.items()}
        shown = []
        for period, raw in sorted(budgets.items()):
            name = text(period)
            shown.append(
                {
                    **json.loads(raw),
                    "period": name,
                    "spent_points": used.get(f"{name}|points", 0),
                    "spent_money_cents": used.get(f"{name}|money", 0),
                }
            )
        return shown

    async def put_budget(self, period: str, budget: Document, actor: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(keys.REWARD_BUDGETS, period, json.dumps(budget))
        queue_entry(pipe, actor, "reward.budget", period, json.dumps(budget))
        await pipe.execute()

    # --- where automatic credits have got to ---------------------------------------------------------------

    async def cursor(self, name: str) -> str | None:
        raw = await self.redis.hget(keys.REWARD_CURSORS, name)
        return text(raw) if raw is not None else None

    async def move_cursor(self, name: str, value: str) -> None:
        await self.redis.hset(keys.REWARD_CURSORS, name, value)
