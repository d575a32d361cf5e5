"""The registry's per-process cache: a change made while another read of it is under way is never lost, a
directory change is applied by reading only the records it names, and a process that cannot know what changed
reads everything again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from game import keys
from server.services.registry import Registry
from tests.support.org import unique


class HeldChecks(Redis):
    """A real Redis client whose script calls (the registry's version check) answer only when the test lets
    them, so a check can be caught mid-way."""

    holding = False
    waiting: asyncio.Event
    release: asyncio.Event

    async def evalsha(self, *args: Any) -> Any:  # type: ignore[override]
        value = await super().evalsha(*args)  # type: ignore[misc]
        if self.holding:
            self.waiting.set()
            await self.release.wait()
        return value


def test_a_write_during_a_version_check_is_seen_at_once(redis_server: Any) -> None:
    async def run() -> tuple[str, set[str]]:
        redis = HeldChecks.from_url(redis_server.url)
        redis.waiting, redis.release = asyncio.Event(), asyncio.Event()
        registry = Registry(redis, timezone="Asia/Shanghai", currency="CNY")
        await registry.current(force=True)
        await registry.put_team({"id": unique("team"), "name": "warm-up"}, "test")
        await registry.current()  # the check is a script call from now on
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


def two_processes(redis_server: Any, body: Callable[[Registry, Registry, Redis], Awaitable[None]]) -> None:
    """Two registries on one Redis, as two server processes have: one writes, the other catches up."""

    async def run() -> None:
        redis = Redis.from_url(redis_server.url)
        writer = Registry(redis, timezone="Asia/Shanghai", currency="CNY")
        reader = Registry(redis, timezone="Asia/Shanghai", currency="CNY")
        await writer.current(force=True)
        await reader.current(force=True)
        try:
            await body(writer, reader, redis)
        finally:
            await redis.aclose()

    asyncio.run(run())


def rep(rep_id: str, team: str, **extra: Any) -> dict[str, Any]:
    return {"id": rep_id, "name": rep_id, "team": team, **extra}


def test_a_moved_rep_is_applied_alone_and_the_snapshot_given_out_stays_as_it_was(redis_server: Any) -> None:
    async def body(writer: Registry, reader: Registry, redis: Redis) -> None:
        east, west, mover, stayer = unique("east"), unique("west"), unique("mover"), unique("stayer")
        await writer.put_team({"id": east, "name": "East"}, "test")
        await writer.put_team({"id": west, "name": "West"}, "test")
        await writer.put_reps([rep(mover, east), rep(stayer, east)], "test")
        before = await reader.current(force=True)
        assert before.directory.team_size(east) == 2

        bell = redis.pubsub()
        await bell.subscribe(keys.CONFIG_CHANNEL)
        await writer.put_rep(rep(mover, west), "test")
        after = await reader.current(force=True)
        heard = None
        while heard is None or heard["type"] != "message":
            heard = await bell.get_message(timeout=5)
            assert heard is not None, "no config doorbell"
        await bell.aclose()
        # The doorbell says what changed and under which version.
        assert json.loads(heard["data"]) == {"version": int(after.version or 0), "reps": [mover]}

        assert after.version == await redis.get(keys.CONFIG_VERSION)
        assert after.directory.reps[mover].team == west
        assert after.directory.team_size(east) == 1 and after.directory.team_size(west) == 1
        # Only the moved rep was read: every other record is the very object the last snapshot held.
        assert after.directory.reps[stayer] is before.directory.reps[stayer]
        assert after.directory.teams[east] is before.directory.teams[east]
        assert after.contests is before.contests
        # Whoever holds the earlier snapshot still sees it whole.
        assert before.directory.reps[mover].team == east and before.directory.team_size(east) == 2
        assert before.version != after.version

    two_processes(redis_server, body)


def test_changes_from_several_writes_are_applied_in_order(redis_server: Any) -> None:
    async def body(writer: Registry, reader: Registry, redis: Redis) -> None:
        teams = [unique("team") for _ in range(3)]
        for team in teams:
            await writer.put_team({"id": team, "name": team}, "test")
        someone = unique("rep")
        before = await reader.current(force=True)
        for team in teams:  # three versions behind: the last one wins
            await writer.put_rep(rep(someone, team), "test")
        await writer.put_team({"id": teams[0], "name": "Renamed"}, "test")
        after = await reader.current(force=True)
        assert after.directory.reps[someone].team == teams[2]
        assert after.directory.teams[teams[0]].name == "Renamed"
        assert after.directory.teams[teams[1]] is before.directory.teams[teams[1]]
        assert after.directory.team_size(teams[2]) == 1 and after.directory.team_size(teams[0]) == 0

    two_processes(redis_server, body)


def test_a_version_the_log_does_not_explain_reloads_everything(redis_server: Any) -> None:
    async def body(writer: Registry, reader: Registry, redis: Redis) -> None:
        team, someone = unique("team"), unique("rep")
        await writer.put_team({"id": team, "name": team}, "test")
        await writer.put_rep(rep(someone, team), "test")
        before = await reader.current(force=True)
        # A change written past the log (as if its note were lost): the version moves, the log cannot say why.
        await redis.hset(keys.REPS, someone, json.dumps({"id": someone, "name": "Quietly renamed", "team": team}))
        await redis.incr(keys.CONFIG_VERSION)
        after = await reader.current(force=True)
        assert after.directory.reps[someone].name == "Quietly renamed"
        assert after.directory.teams[team] is not before.directory.teams[team]  # everything was read again

    two_processes(redis_server, body)


def test_a_contest_or_badge_change_rereads_definitions_and_keeps_the_directory(redis_server: Any) -> None:
    async def body(writer: Registry, reader: Registry, redis: Redis) -> None:
        team = unique("team")
        await writer.put_team({"id": team, "name": team}, "test")
        before = await reader.current(force=True)
        badge = unique("badge")
        name = {"zh-CN": "首单", "en": "First deal"}
        await writer.put_badge({"id": badge, "kind": "first_deal", "period": "month", "name": name}, "test")
        after = await reader.current(force=True)
        assert badge in {b.id for b in after.badges}
        assert after.directory.teams[team] is before.directory.teams[team]

    two_processes(redis_server, body)
