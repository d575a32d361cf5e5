"""What an uploaded or fetched picture must be before we keep it: PNG, JPEG or WebP by its own bytes (never by a
name or a declared type), small in bytes and sane in pixels. Pure: bytes in, a checked ``Image`` or a refusal.

The server never decodes the pixels itself; it keeps the bytes it checked and serves them with the exact type
their signature names (and ``nosniff``), under a URL carrying their digest, so a browser caches them forever
and a changed picture gets a new URL.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

MAX_IMAGE_BYTES = 512 * 1024
MAX_SIDE = 4096  # pixels per side: a phone photo scaled for the web; more is not a face on a TV row
MAX_PIXELS = 12_000_000  # what a browser decodes into memory for one avatar stays bounded
MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp")
DIGEST_CHARS = 32  # hex characters of the SHA-256 kept in URLs


class ImageProblem(ValueError):
    """The bytes are not a picture we keep; the message says why in plain words."""


@dataclass(frozen=True)
class Image:
    media_type: str
    width: int
    height: int
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:DIGEST_CHARS]


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ImageProblem("a PNG without its header chunk")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk the JPEG's segments to its frame header (SOFn), which holds the size."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            raise ImageProblem("a JPEG whose segments do not follow each other")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in SOF_MARKERS:
            if at + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return int(width), int(height)
        if marker in (0xD9, 0xDA) or length < 2:  # end of image or scan data before any frame header
            break
        at += 2 + length
    raise ImageProblem("a JPEG without a frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    raise ImageProblem("a WebP file without a readable frame")


def sniff(data: bytes) -> str | None:
    """The media type the bytes' signature names, if it is one we keep."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_image(data: bytes, max_bytes: int = MAX_IMAGE_BYTES) -> Image:
    """The picture in ``data``, or ``ImageProblem``: not PNG/JPEG/WebP, too large, or an absurd size."""
    if not data:
        raise ImageProblem("the picture is empty")
    if len(data) > max_bytes:
        raise ImageProblem(f"the picture is {len(data) // 1024} KB: at most {max_bytes // 1024} KB")
    media_type = sniff(data)
    if media_type is None:
        raise ImageProblem("not a PNG, JPEG or WebP picture")
    size = {"image/png": _png_size, "image/jpeg": _jpeg_size, "image/webp": _webp_size}[media_type]
    width, height = size(data)
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE) or width * height > MAX_PIXELS:
        raise ImageProblem(f"the picture is {width}×{height} pixels: at most {MAX_SIDE} per side")
    return Image(media_type, width, height, data)
