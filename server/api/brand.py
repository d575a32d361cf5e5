"""The organisation's brand for its TVs: ``GET``/``PUT /api/v1/org/brand`` (its logo, set once by an admin with
the same rules as reps' photos, and its accent and background colours, refused when they would make names or
titles hard to read) and ``GET /api/v1/org/logo/{digest}``. A display shows them when its ``brand`` is on."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType
from starlette.requests import Request
from starlette.responses import Response

from server.api.codec import decode_body
from server.api.contract import Answer, ApiRoute, Operation
from server.auth.access import ADMIN, DIRECTORY, READERS
from server.http import ApiError, ArenaJSONResponse, arena_of, require
from server.services.brand import brand_problems
from server.services.images import DIGEST_CHARS, MAX_IMAGE_BYTES, ImageProblem, check_image

LOGO = "org:logo"
FOREVER = "private, max-age=31536000, immutable"
Color = Annotated[str, Meta(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#0b1f3a"], description="#rrggbb")]


def logo_url(digest: str, token: str | None = None) -> str | None:
    if not digest:
        return None
    return f"/api/v1/org/logo/{digest}" + (f"?token={token}" if token else "")


class BrandInput(Struct, omit_defaults=True, forbid_unknown_fields=True):
    """What changes; a field left out stays as it is, ``null`` clears a colour."""

    accent: (
        Annotated[Color, Meta(description="Titles and the countdown: at least 4.5:1 against the background.")]
        | UnsetType
        | None
    ) = UNSET
    background: (
        Annotated[Color, Meta(description="The TV's background: dark enough that names stay at 7:1 or more.")]
        | UnsetType
        | None
    ) = UNSET
    logo: Annotated[bytes, Meta(description="The logo, base64: PNG, JPEG or WebP, at most 512 KB.")] | None = None
    remove_logo: bool = False


class Brand(Struct):
    accent: str | None
    background: str | None
    logo: Annotated[str, Meta(description="The logo's digest; empty: none.")]
    logo_url: str | None


def _view(document: dict[str, Any]) -> Brand:
    digest = document.get("logo") or ""
    return Brand(document.get("accent"), document.get("background"), digest, logo_url(digest))


async def get_brand(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.can_manage or p.role == "read", "read the brand")
    return ArenaJSONResponse(_view(await arena_of(request).brand.get()))


async def put_brand(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.role == "admin", "change the brand")
    body = await decode_body(request, BrandInput, "brand", limit=MAX_IMAGE_BYTES * 4 // 3 + 4096)
    arena = arena_of(request)
    document = await arena.brand.get()
    for field in ("accent", "background"):
        value = getattr(body, field)
        if value is not UNSET:
            document[field] = value
    problems = brand_problems(document.get("accent"), document.get("background"))
    if problems:
        summary = "; ".join(f"{field}: {message}" for field, message in problems.items())
        errors = [{"field": field, "message": message} for field, message in problems.items()]
        raise ApiError(422, f"invalid brand: {summary}", errors)
    if body.logo is not None:
        try:
            image = check_image(body.logo)
        except ImageProblem as exc:
            raise ApiError(422, f"invalid brand: logo: {exc}", [{"field": "logo", "message": str(exc)}]) from None
        document["logo"] = await arena.media.put(LOGO, image)
    elif body.remove_logo:
        await arena.media.remove(LOGO)
        document["logo"] = ""
    await arena.brand.put(document)
    return ArenaJSONResponse(_view(document))


async def get_logo(request: Request) -> Response:
    await require(request, lambda p: p.role != "ingest", "see the logo")
    stored = await arena_of(request).media.get(LOGO, request.path_params["digest"])
    if stored is None:
        raise ApiError(404, "no such logo")
    return Response(stored.data, media_type=stored.media_type, headers={"Cache-Control": FOREVER})


LIGHT = {"background": "#8899aa"}
routes = [
    ApiRoute(
        "/org/brand",
        get_brand,
        "GET",
        Operation(
            "The organisation's logo and colours for its TVs", "displays", "manage", response=Brand, access=DIRECTORY
        ),
    ),
    ApiRoute(
        "/org/brand",
        put_brand,
        "PUT",
        Operation(
            "Set the organisation's logo and colours (names stay at 7:1 contrast or more)",
            "displays",
            "admin",
            body=BrandInput,
            response=Brand,
            answers=(
                Answer(422, "a background too light for names at 7:1", "background", LIGHT, cross_field=True),
                Answer(422, "an accent that does not stand out", "accent", {"accent": "#10141c"}, cross_field=True),
                Answer(422, "a logo that is not a picture", "logo", {"logo": "aGVsbG8="}, cross_field=True),
                Answer(422, "a colour that is not #rrggbb", "accent", {"accent": "teal"}),
            ),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/org/logo/{digest}",
        get_logo,
        "GET",
        Operation(
            "The organisation's logo, cached forever: its URL names its digest",
            "displays",
            "read",
            response=bytes,
            response_media="image/*",
            path={"digest": f"^[0-9a-f]{{{DIGEST_CHARS}}}$"},
            answers=(Answer(404, "no such logo", path={"digest": "0" * DIGEST_CHARS}),),
            access=READERS,
        ),
    ),
]
