"""The registry's per-process cache: a change made while another read of it is under way is never lost."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from server.services.registry import Registry
from tests.support.org import unique


class HeldVersionReads(Redis):
    """A real Redis client whose GET answers only when the test lets it, so a read can be caught mid-way."""

    holding = False
    waiting: asyncio.Event
    release: asyncio.Event

    async def get(self, name: Any) -> Any:
        value = await super().get(name)
        if self.holding:
            self.waiting.set()
            await self.release.wait()
        return value


def test_a_write_during_a_version_check_is_seen_at_once(redis_server: Any) -> None:
    async def run() -> tuple[str, set[str]]:
        redis = HeldVersionReads.from_url(redis_server.url)
        redis.waiting, redis.release = asyncio.Event(), asyncio.Event()
        registry = Registry(redis, timezone="Asia/Shanghai", currency="CNY")
        await registry.current(force=True)
        registry.invalidate()
        redis.holding = True
        check = asyncio.create_task(registry.current())  # reads the version from before the write
        await redis.waiting.wait()
        redis.holding = False
        badge = unique("badge")
        name = {"zh-CN": "首单", "en": "First deal"}
        await registry.put_badge({"id": badge, "kind": "first_deal", "period": "month", "name": name}, "test")
        redis.release.set()
        await check
        listed = {b.id for b in (await registry.current()).badges}
        await redis.aclose()
        return badge, listed

    badge, listed = asyncio.run(run())
    assert badge in listed, f"{badge} stored but not in the cached badges {sorted(listed)}"
