"""Protocol messages as complete websocket frames: encoded once, the same bytes written to every viewer.

Server frames are never masked and ``/ws`` negotiates no compression, so a frame's bytes do not depend on
the connection: the hub frames a board update once per variant (JSON/msgpack × internal/public names)
and hands that one ``bytes`` object to thousands of sockets.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
from websockets.frames import Frame, Opcode

WireFrame = bytes  # a whole websocket frame: header and payload


def encode(message: dict[str, Any], binary: bool) -> WireFrame:
    """One message as a websocket frame: a binary frame of msgpack, or a text frame of compact JSON."""
    if binary:
        return Frame(Opcode.BINARY, msgpack.packb(message)).serialize(mask=False)
    payload = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    return Frame(Opcode.TEXT, payload).serialize(mask=False)
