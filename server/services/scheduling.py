"""The scheduler's own state in Redis: the short lease that lets one process at a time run the time-driven
jobs, and the heartbeat of its last finished tick."""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from game import keys
from server import metrics

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""


class SchedulerState:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._renew = redis.register_script(RENEW)

    async def hold_lease(self, token: str, lease_ms: int) -> bool:
        """Take the lease, or renew it if ``token`` holds it already, for ``lease_ms``; whether we hold it."""
        return bool(await self._renew(keys=[keys.SCHEDULER_LEASE], args=[token, lease_ms]))

    async def beat(self, tick_started: datetime, keep_ms: int) -> None:
        """Record that a tick started at ``tick_started`` has finished (epoch ms, kept ``keep_ms``)."""
        await self.redis.set(keys.SCHEDULER_HEARTBEAT, str(int(tick_started.timestamp() * 1000)), px=keep_ms)
        metrics.scheduler_ticked(tick_started)
