"""The daily 战报 and the notifier's commit, driven in-process with a chosen clock: a real Redis, the real
collector, sender and HTTP, and a real chat receiver on loopback — only the time is simulated."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from game import keys
from server.arena import Arena
from server.config import Settings
from server.embedded_redis import EmbeddedRedis
from server.notifications.channels import build_channel
from server.notifications.notifier import Notifier
from server.redis_connection import RedisDeployment
from server.services.ingest import ingest
from tests.support.fake_chat import FakeChat, running_fake_chat

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET = "digest-test-secret"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def won(event_id: str, rep: str, amount: str, when: datetime) -> dict[str, Any]:
    return {"id": event_id, "type": "deal.won", "rep": rep, "amount": amount, "occurred_at": when.isoformat()}


async def organisation(arena: Arena) -> None:
    await arena.registry.put_team({"id": "east", "name": "华东战队", "color": ""}, "test")
    for rep_id, name in (("wang", "王芳"), ("li", "李雷"), ("zhao", "赵敏")):
        rep = {"id": rep_id, "name": name, "team": "east", "active": True, "opted_out": False, "aliases": {}}
        await arena.registry.put_rep(rep, "test")
    definition = {
        "id": "nov",
        "name": "十一月销冠赛",
        "kind": "individual",
        "starts_at": "2026-11-01T00:00:00+08:00",
        "ends_at": "2026-12-01T00:00:00+08:00",
        "rules": [{"on": "deal.won", "points_per": 1000}],
    }
    document = {"definition": definition, "state": "active", "version": 1, "epoch": 1, "history": []}
    await arena.registry.put_contest(document, "test", "contest.create")
    await arena.sync_rosters(contest="nov")


async def add_channel(arena: Arena, notifier: Notifier, chat: FakeChat, name: str, **body: Any) -> str:
    document = {"type": "wecom", "name": name, "url": chat.hook("wecom", name), **body}
    snapshot = await arena.registry.current()
    channel = build_channel(
        document,
        secret_key=SECRET,
        created_at=datetime.now(UTC).isoformat(),
        known_contests=snapshot.contests.keys(),
        allow_private=arena.settings.outbound_allow_private,
    )
    await notifier.store.save_channel(channel)
    return channel.id


def contents(chat: FakeChat, name: str) -> list[str]:
    return [m.body["markdown"]["content"] for m in chat.at(f"/wecom/{name}")]


async def scenario(redis_url: str, chat: FakeChat) -> None:
    # The chat fake listens on loopback: the operator's switch for chat servers on its own network.
    settings = Settings(secret_key=SECRET, timezone="Asia/Shanghai", locale="zh-CN", outbound_allow_private=True)
    arena = Arena(settings, RedisDeployment(url=redis_url))
    try:
        await organisation(arena)
        notifier = Notifier(arena, interval=1)
        assert await notifier.store.hold_lease(notifier.token, 60_000)
        await notifier.tick(at(20, 17, 0))  # the first look only takes a baseline
        await add_channel(arena, notifier, chat, "daily-zh", events=["digest"], digest={"daily": "18:00"})
        await add_channel(arena, notifier, chat, "daily-en", events=["digest"], digest={"daily": "18:00"}, locale="en")
        await ingest(
            arena, [won("d1", "wang", "100000", at(20, 16)), won("d2", "li", "50000", at(20, 16))], now=at(20, 17)
        )
        await notifier.tick(at(20, 17, 30))  # a new channel: remembers the boards, its first digest is at 18:00
        assert contents(chat, "daily-zh") == []

        await ingest(arena, [won("d3", "li", "200000", at(20, 17, 40)), won("d4", "zhao", "30000", at(20, 17, 45))],
                     now=at(20, 17, 50))  # fmt: skip
        badge = {"rep": "zhao", "action": "awarded", "badge": "first-deal", "period": "ever", "awarded_at": ""}
        feed_id = f"{int(at(20, 17, 45).timestamp() * 1000)}-0"
        await arena.redis.xadd(keys.BADGE_FEED, {"c": json.dumps(badge)}, id=feed_id)
        await notifier.tick(at(20, 18, 1))
        (zh,) = contents(chat, "daily-zh")
        assert zh.startswith("**📊 今日战报 · 2026-11-20**")
        assert "**「十一月销冠赛」排行榜**\n1. 李雷 — 250 分\n2. 王芳 — 100 分\n3. 赵敏 — 30 分" in zh
        assert "**进步最快**\n李雷 +200 分（第 2 → 第 1 名）\n赵敏 +30 分\n" in zh  # no gain, no mover: 王芳
        assert "**新徽章**\n赵敏：首单" in zh
        (en,) = contents(chat, "daily-en")
        assert "Daily report · 2026-11-20" in en and "1. 李雷 — 250 points" in en and "赵敏: First Deal" in en

        await notifier.tick(at(20, 18, 5))
        await notifier.tick(at(21, 2, 0))
        assert len(contents(chat, "daily-zh")) == 1  # once per slot

        # The next day: movers against the previous digest, not against the start.
        await ingest(arena, [won("d5", "wang", "400000", at(21, 10))], now=at(21, 11))
        await notifier.tick(at(21, 18, 0))
        latest = contents(chat, "daily-zh")[-1]
        assert (
            "今日战报 · 2026-11-21" in latest and "王芳 +400 分（第 2 → 第 1 名）" in latest and "李雷 +" not in latest
        )

        # A digest missed by hours (the server was down) is skipped, not sent late.
        await notifier.tick(at(23, 9, 0))
        assert len(contents(chat, "daily-zh")) == 2

        # A process that lost the lease commits nothing: cursors and outboxes stay as they were.
        await add_channel(arena, notifier, chat, "deals", events=["deal"])
        before = await notifier.store.cursors()
        await arena.redis.set(keys.NOTIFY_LEASE, "someone-else")
        await ingest(arena, [won("d6", "zhao", "70000", at(23, 9, 5))], now=at(23, 9, 6))
        await notifier.tick(at(23, 9, 7))
        assert await notifier.store.cursors() == before and contents(chat, "deals") == []
        await arena.redis.delete(keys.NOTIFY_LEASE)
        assert await notifier.store.hold_lease(notifier.token, 60_000)
        await notifier.tick(at(23, 9, 8))
        assert ["¥70,000" in c for c in contents(chat, "deals")] == [True]
    finally:
        await arena.redis.aclose()


def test_the_daily_digest_tells_standings_movers_and_badges_once_per_slot() -> None:
    with EmbeddedRedis() as redis, running_fake_chat() as chat:
        asyncio.run(asyncio.wait_for(scenario(redis.url, chat), timeout=60))
