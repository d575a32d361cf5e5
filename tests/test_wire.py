"""Frames as the hub writes them are the frames the websockets library would write: the same header at
every length boundary, and JSON byte for byte what ``json.dumps`` gives (compact, UTF-8 unescaped)."""

from __future__ import annotations

import json

import msgpack
import pytest
from websockets.frames import Frame, Opcode

from server.live.wire import encode


def reference(message: dict[str, object], binary: bool) -> bytes:
    if binary:
        return Frame(Opcode.BINARY, msgpack.packb(message)).serialize(mask=False)
    payload = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    return Frame(Opcode.TEXT, payload).serialize(mask=False)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
@pytest.mark.parametrize("size", [0, 100, 125, 126, 127, 65_535, 65_536, 70_000])
def test_a_frame_is_the_one_the_websockets_library_writes(size: int, binary: bool) -> None:
    message: dict[str, object] = {"op": "me", "rep": "王芳", "padding": ""}
    base = len(reference(message, binary)) - 2  # the payload without padding
    message["padding"] = "x" * max(0, size - base)
    assert encode(message, binary) == reference(message, binary)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
def test_every_kind_of_value_in_a_message_encodes_as_before(binary: bool) -> None:
    message = {
        "op": "me",
        "rank": None,
        "score": -12,
        "big": 2**40,
        "percent": 12.5,
        "pace": {"percent": 33.333333333333336, "status": "behind", "days_left": 0.1},
        "recent": [{"id": "deal-1", "amount": "5000", "team": None}],
        "title": {"zh-CN": '首单 "快" \\ 🎉', "en": "First\ndeal\t"},
        "ok": True,
    }
    assert encode(message, binary) == reference(message, binary)
