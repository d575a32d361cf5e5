"""websockets' Sans-I/O frame layer with the two RFC 6455 rules it leaves to its own asyncio layer.

- Text is UTF-8 (5.6, 8.1): checked as each fragment arrives with an incremental decoder, so a bad sequence
  fails the connection (1007) at once, not after the rest of the message, and a character cut between two
  fragments is checked whole.
- A close frame may come between the fragments of a message (5.4: control frames can be interleaved): it
  is a normal close, and the unfinished message is dropped. websockets calls it a protocol error.

Everything else (fragment order, control frame sizes, close codes and reasons, message size) websockets
checks already. A failure is raised inside ``recv_frame`` so websockets' parser fails the connection with
the matching code and stops reading.
"""

from __future__ import annotations

import codecs
from typing import Any

from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol

_utf8_decoder = codecs.getincrementaldecoder("utf-8")


class StrictProtocol(Protocol):
    __slots__ = ("_text",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._text: codecs.IncrementalDecoder | None = None  # while a fragmented text message is open

    def recv_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT and self.current_size is None:
            if frame.fin:
                str(frame.data, "utf-8")  # UnicodeDecodeError: websockets fails the connection with 1007
            else:
                self._text = _utf8_decoder()
                self._text.decode(frame.data)
        elif opcode is Opcode.CONT and self._text is not None:
            self._text.decode(frame.data, final=frame.fin)
            if frame.fin:
                self._text = None
        elif opcode is Opcode.CLOSE and self.current_size is not None:
            self.current_size = None  # the close ends the unfinished message, which is dropped
            self._text = None
        super().recv_frame(frame)
