"""Prometheus metrics of this process, for the operator's monitoring (``GET /metrics``, README "Metrics").

Each process keeps its own registry and answers for itself: Prometheus scrapes every process at its own
address (not through the load-balancing proxy, which refuses ``/metrics``) and adds the ``instance`` label,
so nothing is shared between processes through files and a restarted process simply starts from zero,
which ``rate()`` and ``increase()`` expect. Labels are low-cardinality only: a connector type, an outcome,
a script name, a close code; never a rep, a contest or a connector id.

The parts call the small functions below at clear points; the engine (``game``) knows nothing of this module
and reports its Redis round trips through the hook ``Store.on_round_trip``.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

# Seconds: from a fraction of a millisecond (a script on a local Redis) to seconds (an outage's timeout).
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The classic text format every Prometheus 2 and 3 reads (the client's default moved on to 1.0.0).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)

EVENTS = Counter(
    "arena_events",
    "Events received by ingestion, by source (the connector type, or api) and outcome.",
    ["source", "outcome"],
)
SCRIPT_SECONDS = Histogram(
    "arena_redis_script_seconds",
    "Round trips of Lua script calls to Redis, by the script the pipeline starts with.",
    ["script"],
    buckets=LATENCY_BUCKETS,
)
INGEST_BATCH = Histogram(
    "arena_ingest_batch_events",
    "Events written by one group commit (one pipeline shared by concurrent requests).",
    buckets=BATCH_BUCKETS,
)
WS_CONNECTIONS = Gauge("arena_ws_connections", "Open websocket connections (past the handshake).")
WS_SUBSCRIPTIONS = Gauge("arena_ws_subscriptions", "Board subscriptions of this process's websocket viewers.")


class Tally(Collector):
    """A counter for the hottest paths (every write to every screen): a plain add on the event loop's thread,
    read at scrape time, where ``Counter.inc`` takes a lock each time (0.5 µs, 5 ms a flush to 10,000 screens)."""

    def __init__(self, name: str, documentation: str) -> None:
        self.name, self.documentation, self.value = name, documentation, 0

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield CounterMetricFamily(self.name, self.documentation, value=self.value)


class PathTally(Collector):
    """Counters of the hub's flushes by path, ``phone`` (a phone's own ``me`` view, composed per rep) or
    ``shared`` (board updates and moments, encoded once for many screens): plain adds, as ``Tally``."""

    def __init__(self, name: str, documentation: str, scale: float = 1.0) -> None:
        self.name, self.documentation, self.scale = name, documentation, scale
        self.by_path = {"phone": 0, "shared": 0}

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self.name, self.documentation, labels=["path"])
        for path, value in self.by_path.items():
            family.add_metric([path], value * self.scale)
        yield family


WS_SENT_BYTES = Tally("arena_ws_sent_bytes", "Bytes of frames written to websocket viewers.")
REGISTRY.register(WS_SENT_BYTES)
HUB_CPU = PathTally(
    "arena_hub_cpu_seconds",
    "CPU of the hub's flushes (the flusher's own steps, Redis round trips and socket writes included), by path.",
    scale=1e-9,  # held in nanoseconds
)
REGISTRY.register(HUB_CPU)
HUB_FRAMES = PathTally("arena_hub_frames", "Frames the hub's flushes offered to viewers, by path.")
REGISTRY.register(HUB_FRAMES)
WS_CLOSES = Counter("arena_ws_closes", "Websocket close frames the server sent, by close code.", ["code"])
WS_SLOW_CUTS = Counter(
    "arena_ws_slow_client_cuts", "Viewers cut for being too slow (4008), by why: budget or timeout.", ["why"]
)
HUB_FLUSH_SECONDS = Histogram(
    "arena_hub_flush_seconds", "One hub flush: read the dirty boards, offer every viewer its frames.",
    buckets=LATENCY_BUCKETS,
)  # fmt: skip
NOTIFICATIONS = Counter(
    "arena_notifications",
    "Chat notifications by outcome: delivered, failed (a retry follows) or dead_lettered.",
    ["outcome"],
)
SCHEDULER_TICK_SECONDS = Histogram(
    "arena_scheduler_tick_seconds", "One scheduler tick, from its start to its heartbeat.", buckets=LATENCY_BUCKETS
)
SCHEDULER_LAST_TICK = Gauge(
    "arena_scheduler_last_tick_timestamp_seconds",
    "When the last tick this process ran finished (Unix time): time() minus it is the scheduler's lag.",
)
REDIS_ERRORS = Counter("arena_redis_errors", "Redis outages met, by where they were caught.", ["where"])


def source_label(source: str) -> str:
    """A connector's source is ``<type>:<id>``: its type only, so the label stays low-cardinality."""
    return source.split(":", 1)[0][:32] or "unknown"


def count_ingest(source: str, accepted: int, duplicates: int, rejected: int, late: int) -> None:
    label = source_label(source)
    for outcome, count in (("accepted", accepted), ("duplicate", duplicates), ("rejected", rejected), ("late", late)):
        if count:
            EVENTS.labels(source=label, outcome=outcome).inc(count)


def observe_round_trip(script: str, seconds: float) -> None:
    """``Store.on_round_trip``: one pipeline of script calls took ``seconds``."""
    SCRIPT_SECONDS.labels(script=script).observe(seconds)


def scheduler_ticked(started: datetime) -> None:
    """A scheduler tick that started at ``started`` has finished now."""
    finished = time.time()
    SCHEDULER_TICK_SECONDS.observe(max(0.0, finished - started.astimezone(UTC).timestamp()))
    SCHEDULER_LAST_TICK.set(finished)


def watch_subscriptions(count: Callable[[], int]) -> None:
    """The subscriptions gauge reads ``count`` at each scrape: the hub keeps no counter of its own."""
    WS_SUBSCRIPTIONS.set_function(count)


def token_matches(sent: str | None, expected: str) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    scheme, _, token = (sent or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())


def exposition() -> tuple[bytes, str]:
    """The text exposition of this process's metrics and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE
