"""A picture named by URL (a CRM or directory profile photo) is fetched by the server, once, through the
outbound client and its checks (public https only unless the operator allows their own network; addresses
checked on connect), then checked like an upload and kept: pages never load anything from the CRM's host."""

from __future__ import annotations

import httpx

from server.outbound import OutboundClient, OutboundError
from server.outbound_targets import target_problem
from server.services.images import MAX_IMAGE_BYTES, Image, ImageProblem, check_image

FETCH_BUDGET_SECONDS = 6.0


async def fetch_picture(url: str, *, allow_private: bool) -> Image:
    """The checked picture at ``url``; ``ImageProblem`` naming what went wrong (refused target, no answer,
    not a picture, too large)."""
    try:
        problem = target_problem(url, allow_private=allow_private)
    except ValueError:  # not even a URL (a broken IPv6 address, say)
        problem = "is not a URL"
    if problem:
        raise ImageProblem(problem)
    async with OutboundClient(allow_private=allow_private, attempts=2, budget=FETCH_BUDGET_SECONDS) as client:
        try:
            response = await client.request("GET", url, headers={"Accept": "image/png, image/jpeg, image/webp"})
        except OutboundError as exc:
            raise ImageProblem(f"could not fetch the picture: {exc}") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:  # what httpx cannot send at all
            raise ImageProblem(f"is not a URL the server can fetch: {exc}") from None
    if response.status_code != 200:
        raise ImageProblem(f"could not fetch the picture: HTTP {response.status_code}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
        raise ImageProblem(f"the picture is {int(declared) // 1024} KB: at most {MAX_IMAGE_BYTES // 1024} KB")
    return check_image(response.content)
