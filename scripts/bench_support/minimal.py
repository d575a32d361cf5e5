"""The minimal scoring script the benchmarks compare the engine with, and how Redis's own time is read.

The script dedupes by event id, adds the points on each board given, and appends the event to a log stream:
the least any scoring service writes per event. Its cost is measured like the engine's, in the same run.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

# KEYS: 1 seen (hash), 2 log (stream), 3.. boards; ARGV: 1 event id, 2 record, 3 points, 4.. member per board
MINIMAL_SCRIPT = """
if redis.call('HSETNX', KEYS[1], ARGV[1], 1) == 0 then return 0 end
for i = 3, #KEYS do redis.call('ZINCRBY', KEYS[i], ARGV[3], ARGV[i + 1]) end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[2])
return 1
"""


def minimal_keys(name: str, boards: int) -> list[str]:
    """The minimal script's keys (a hash tag of their own, so they live in one slot): seen, log, boards."""
    return [f"min:{{{name}}}:seen", f"min:{{{name}}}:log", *(f"min:{{{name}}}:board{i}" for i in range(boards))]


async def redis_cpu_us(redis: Redis) -> float:
    """CPU time the Redis server has used so far (user + system), in microseconds: what a command costs Redis
    itself, whatever the client's wall time."""
    info: dict[str, Any] = await redis.info("cpu")
    return (float(info["used_cpu_user"]) + float(info["used_cpu_sys"])) * 1e6


async def command_usec(redis: Redis) -> dict[str, tuple[int, int]]:
    """``INFO commandstats``: command -> (calls, microseconds), scripts' inner commands counted on their own too."""
    stats: dict[str, Any] = await redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): (int(v["calls"]), int(v["usec"])) for name, v in stats.items()}
