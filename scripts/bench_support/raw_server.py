"""Baseline 1: the least a Python server can do to fan a board out: ``websockets`` + ``broadcast()``.

It speaks just enough of our protocol for the same viewers: subprotocol ``arena.v1.json``, the first message a
client sends subscribes it and is answered with the snapshot. While broadcasting (``start`` on stdin, until
``stop``) it sends, ``--rate`` times a second, the board update and then the celebration captured from
Sales Arena, byte for byte, with the celebration's 20-digit stamp replaced by the send time.

    python -m scripts.bench_support.raw_server --port 9001 --payload payload.json --rate 4

Prints ``ready`` on stdout once listening; ``exit`` or EOF on stdin stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import sys
import time
from pathlib import Path

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from scripts.bench_support.measure import STAMP_DIGITS, STAMP_MARK, stamp_now

BACKLOG = 2048  # as uvicorn's default, so the three servers accept connections alike


class Broadcaster:
    def __init__(self, snapshot: str, update: str, celebrate: str, rate: float) -> None:
        self.snapshot = snapshot
        self.update = update
        self.celebrate = celebrate
        self.stamp_at = celebrate.index(STAMP_MARK.decode()) + len(STAMP_MARK)
        self.interval = 1 / rate
        self.subscribers: set[ServerConnection] = set()
        self.sent = 0

    async def handle(self, connection: ServerConnection) -> None:
        try:
            async for _request in connection:
                if connection not in self.subscribers:
                    self.subscribers.add(connection)
                    await connection.send(self.snapshot)
        except ConnectionClosed:
            pass
        finally:
            self.subscribers.discard(connection)

    def stamped_celebration(self) -> str:
        return self.celebrate[: self.stamp_at] + stamp_now() + self.celebrate[self.stamp_at + STAMP_DIGITS :]

    async def run(self) -> None:
        """Broadcast on a fixed schedule (no drift) until cancelled."""
        started = time.monotonic()
        while True:
            self.sent += 1
            await asyncio.sleep(max(0.0, started + self.sent * self.interval - time.monotonic()))
            broadcast(self.subscribers, self.update)
            broadcast(self.subscribers, self.stamped_celebration())


async def control(broadcaster: Broadcaster) -> None:
    """``start`` / ``stop`` / ``exit`` lines on stdin."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    running: asyncio.Task[None] | None = None
    while line := (await reader.readline()).strip():
        if line == b"start" and running is None:
            running = asyncio.create_task(broadcaster.run())
        elif line == b"stop" and running is not None:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            running = None
        elif line == b"exit":
            break
    if running is not None:
        running.cancel()


async def main(port: int, payload: Path, rate: float) -> None:
    frames = json.loads(payload.read_text())
    broadcaster = Broadcaster(frames["snapshot"], frames["update"], frames["celebrate"], rate)
    async with serve(
        broadcaster.handle,
        "127.0.0.1",
        port,
        subprotocols=["arena.v1.json"],  # type: ignore[list-item]
        compression=None,
        max_size=64 * 1024,
        backlog=BACKLOG,
    ):
        print("ready", flush=True)
        await control(broadcaster)


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--payload", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=4.0)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.payload, args.rate))
