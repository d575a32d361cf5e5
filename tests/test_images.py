"""Only pictures we keep get in: PNG, JPEG and WebP told by their own bytes, small, and of a sane size."""

from __future__ import annotations

import asyncio

import pytest

from server.services.images import MAX_IMAGE_BYTES, ImageProblem, check_image, sniff
from server.services.picture_fetch import fetch_picture
from tests.support.pictures import jpeg_header, png, png_header, webp_lossless_header


def test_each_kept_kind_is_told_by_its_bytes_with_its_size() -> None:
    assert (check_image(png(30, 20)).media_type, check_image(png(30, 20)).width) == ("image/png", 30)
    jpeg = check_image(jpeg_header(640, 480))
    assert (jpeg.media_type, jpeg.width, jpeg.height) == ("image/jpeg", 640, 480)
    webp = check_image(webp_lossless_header(300, 200))
    assert (webp.media_type, webp.width, webp.height) == ("image/webp", 300, 200)


def test_the_digest_names_the_bytes() -> None:
    assert check_image(png(rgb=(1, 2, 3))).digest != check_image(png(rgb=(3, 2, 1))).digest
    assert len(check_image(png()).digest) == 32


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a PNG, JPEG or WebP"),
        (b"GIF89a" + b"\x00" * 20, "not a PNG, JPEG or WebP"),
        (png_header(20_000, 20), "20000×20"),
        (png_header(4000, 4000), "4000×4000"),
        (png_header(0, 10), "0×10"),
        (b"\xff\xd8\xff\xd9", "without a frame header"),
        (b"\x89PNG\r\n\x1a\n", "header chunk"),
        (png() + b"\x00" * MAX_IMAGE_BYTES, "at most 512 KB"),
    ],
)
def test_anything_else_is_refused_saying_why(data: bytes, says: str) -> None:
    with pytest.raises(ImageProblem, match=says):
        check_image(data)


def test_a_declared_type_or_a_name_does_not_count_only_the_signature() -> None:
    assert sniff(b"%PDF-1.7 image/png") is None
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None


@pytest.mark.parametrize("url", ["https://127.0.0.1/a.png", "http://example.com/a.png", "https://localhost/a.png"])
def test_a_photo_url_to_our_own_network_or_plain_http_is_never_fetched(url: str) -> None:
    with pytest.raises(ImageProblem, match="must be"):
        asyncio.run(fetch_picture(url, allow_private=False))


@pytest.mark.parametrize("url", ["http://¨ãÆ\x7fÿN\x87+뉯\x83", "https://[::1/a.png", "http://exa mple.com/a.png"])
def test_a_photo_url_that_is_not_one_is_refused_in_words(url: str) -> None:
    with pytest.raises(ImageProblem):
        asyncio.run(fetch_picture(url, allow_private=True))
