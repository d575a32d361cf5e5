"""Protocol messages as complete websocket frames: encoded once, the same bytes written to every viewer.

Server frames are never masked and ``/ws`` negotiates no compression, so a frame's bytes do not depend on
the connection: the hub frames a board update once per variant (JSON/msgpack × internal/public names)
and hands that one ``bytes`` object to thousands of sockets. A phone's own view is framed once per rep,
so framing is on the phones' path too: JSON by msgspec's encoder (compact, UTF-8 unescaped: the bytes
``json.dumps(separators=(",", ":"), ensure_ascii=False)`` gives, in a tenth of the time) and the frame
header written here (RFC 6455 5.2: FIN, opcode, no mask, the length in 7, 16 or 64 bits).
"""

from __future__ import annotations

from typing import Any

import msgpack
import msgspec

WireFrame = bytes  # a whole websocket frame: header and payload

OPCODE_TEXT, OPCODE_BINARY = 0x1, 0x2
_FIN = 0x80
_json = msgspec.json.Encoder()


def encode(message: dict[str, Any] | msgspec.Struct, binary: bool) -> WireFrame:
    """One message (a dict, or a ``msgspec.Struct`` whose fields are its keys in order) as a websocket frame:
    a binary frame of msgpack, or a text frame of compact JSON."""
    if binary:
        return frame(
            OPCODE_BINARY,
            msgpack.packb(msgspec.to_builtins(message) if isinstance(message, msgspec.Struct) else message),
        )
    return frame(OPCODE_TEXT, _json.encode(message))


def frame(opcode: int, payload: bytes) -> WireFrame:
    """A final, unmasked server frame carrying ``payload``."""
    size = len(payload)
    if size < 126:
        return bytes((_FIN | opcode, size)) + payload
    if size < 1 << 16:
        return b"".join((bytes((_FIN | opcode, 126, size >> 8, size & 0xFF)), payload))
    return b"".join((bytes((_FIN | opcode, 127)), size.to_bytes(8, "big"), payload))
