"""Reading the live protocol as a screen does: frames are JSON or msgpack, and a test waits for one ``op``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection


async def next_op(ws: ClientConnection, op: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next message whose ``op`` is ``op``, skipping others; fails after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            raw = await ws.recv()
            message = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
            if message["op"] == op:
                return message


class BoardCopy:
    """A client's copy of one board, kept the way a screen keeps it: snapshots replace, diffs patch."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.epoch = self.seq = -1
        self.log: list[dict[str, Any]] = []

    def apply(self, message: dict[str, Any]) -> None:
        self.log.append(message)
        if message["op"] == "snapshot":
            self.rows = {row["id"]: row for row in message["rows"]}
        elif message["op"] == "diff":
            assert message["epoch"] == self.epoch, "a diff must build on the epoch the client holds"
            self.rows.update({row["id"]: row for row in message["rows"]})
            for row_id in message["removed"]:
                self.rows.pop(row_id, None)
        else:
            return
        self.epoch, self.seq = message["epoch"], message["seq"]

    def ordered(self) -> list[dict[str, Any]]:
        return sorted(self.rows.values(), key=lambda r: (r["rank"], r["id"]))


async def follow(ws: ClientConnection, copy: BoardCopy, until: Any, timeout: float = 5.0) -> None:
    """Apply board messages to ``copy`` until ``until(copy)`` holds."""
    async with asyncio.timeout(timeout):
        while not until(copy):
            raw = await ws.recv()
            copy.apply(msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw))
