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
