"""Reps' photos: ``PUT``/``DELETE /api/v1/reps/{id}/photo`` (a manager for their teams' reps, an admin for any,
a rep for their own, from the phone) and ``GET /api/v1/reps/{id}/photo/{digest}``, served from our own server.

A photo is an upload (base64 in JSON) or a URL the server fetches through its outbound checks (a CRM or
directory profile photo), never hotlinked. Who may see it: everyone who may read the boards, and a TV only a
rep its slides show who has not opted out (those are initials on every public screen, so never a face).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from msgspec import Meta, Struct
from starlette.requests import Request
from starlette.responses import Response

from game.directory import Rep
from server.api.codec import decode_body
from server.api.contract import Answer, ApiRoute, Operation
from server.api.directory import BAD_ID, ID_PATTERN, _path_id
from server.auth.access import ADMINS, READERS, only
from server.auth.principals import Principal
from server.http import ApiError, ArenaJSONResponse, arena_of, require
from server.services.images import DIGEST_CHARS, MAX_IMAGE_BYTES, Image, ImageProblem, check_image
from server.services.media_store import rep_owner
from server.services.picture_fetch import fetch_picture
from server.services.registry import Snapshot

DIGEST = f"^[0-9a-f]{{{DIGEST_CHARS}}}$"
FOREVER = "private, max-age=31536000, immutable"  # the digest is in the URL: a new photo is a new URL


def photo_url(rep_id: str, digest: str) -> str | None:
    return f"/api/v1/reps/{rep_id}/photo/{digest}" if digest else None


def display_shows(principal: Principal, snapshot: Snapshot, rep: Rep) -> bool:
    """A TV sees the photo of a rep its slides show (a contest's participant; anyone on an XP board or the
    badge wall), unless the rep chose initials on public screens."""
    if rep.opted_out:
        return False
    for board in principal.playlist:
        kind, _, rest = board.partition(":")
        if kind != "contest":
            return True
        contest = snapshot.contests.get(rest.split(":", 1)[0])
        if contest is not None and contest.includes(rep.id, rep.team):
            return True
    return False


class PhotoInput(Struct, omit_defaults=True, forbid_unknown_fields=True):
    """Exactly one of ``image`` and ``url``."""

    image: Annotated[bytes, Meta(description="The picture, base64: PNG, JPEG or WebP, at most 512 KB.")] | None = None
    url: (
        Annotated[
            str,
            Meta(
                max_length=2000,
                pattern=r"^https?://",
                description="A profile photo the server fetches (public https unless the operator allows their "
                "own network).",
            ),
        ]
        | None
    ) = None


class RepPhoto(Struct):
    rep: str
    photo: Annotated[str, Meta(description="The picture's digest; empty: none (initials are shown).")]
    url: Annotated[str | None, Meta(description="Where the picture is served (it never changes).")]
    media_type: str = ""
    width: int = 0
    height: int = 0


async def _changeable(request: Request) -> tuple[Principal, str, dict[str, Any]]:
    """The caller and the rep whose photo they may change: a manager's or an admin's rep, or one's own."""
    principal = await require(request, lambda p: p.can_manage or p.role == "rep", "change photos")
    rep_id = _path_id(request)
    document = await arena_of(request).registry.rep_document(rep_id)
    if principal.role == "rep":
        if principal.rep_id != rep_id:
            raise ApiError(403, "a rep changes their own photo only")
    elif document is not None and not principal.manages_team(document.get("team")):
        raise ApiError(403, "managers change the photos of their own teams' reps only")
    if document is None:
        raise ApiError(404, f"no such rep: {rep_id}")
    return principal, rep_id, document


async def picture_of(body: PhotoInput, allow_private: bool) -> Image:
    """The checked picture a body carries or names; 422 naming the field when it is not one we keep."""
    if (body.image is None) == (body.url is None):
        message = "send either image (base64) or url"
        raise ApiError(422, f"invalid photo: {message}", [{"field": "image", "message": message}])
    field = "image" if body.image is not None else "url"
    try:
        if body.image is not None:
            return check_image(body.image)
        return await fetch_picture(body.url or "", allow_private=allow_private)
    except ImageProblem as exc:
        raise ApiError(422, f"invalid photo: {field}: {exc}", [{"field": field, "message": str(exc)}]) from None


async def _save(request: Request, principal: Principal, document: dict[str, Any], image: Image | None) -> RepPhoto:
    arena = arena_of(request)
    rep_id = document["id"]
    if image is None:
        await arena.media.remove(rep_owner(rep_id))
    digest = await arena.media.put(rep_owner(rep_id), image) if image is not None else ""
    changed = {**document, "photo": digest, "updated_at": datetime.now(UTC).isoformat()}
    await arena.registry.put_rep(changed, principal.name)
    if image is None:
        return RepPhoto(rep_id, "", None)
    return RepPhoto(rep_id, digest, photo_url(rep_id, digest), image.media_type, image.width, image.height)


async def put_photo(request: Request) -> ArenaJSONResponse:
    principal, _, document = await _changeable(request)
    body = await decode_body(request, PhotoInput, "photo", limit=MAX_IMAGE_BYTES * 4 // 3 + 4096)
    image = await picture_of(body, arena_of(request).settings.outbound_allow_private)
    return ArenaJSONResponse(await _save(request, principal, document, image))


async def delete_photo(request: Request) -> ArenaJSONResponse:
    principal, _, document = await _changeable(request)
    return ArenaJSONResponse(await _save(request, principal, document, None))


async def get_photo(request: Request) -> Response:
    principal = await require(request, lambda p: p.role != "ingest", "see photos")
    rep_id = _path_id(request)
    digest = request.path_params["digest"]
    arena = arena_of(request)
    snapshot = await arena.registry.current()
    rep = snapshot.directory.reps.get(rep_id)
    hidden = rep is None or (principal.role == "display" and not display_shows(principal, snapshot, rep))
    stored = None if hidden else await arena.media.get(rep_owner(rep_id), digest)
    if stored is None:
        raise ApiError(404, "no such photo")
    return Response(stored.data, media_type=stored.media_type, headers={"Cache-Control": FOREVER})


OF_A_REP = {"id": "{rep}"}
NOT_A_PICTURE = Answer(
    422, "bytes not a PNG, JPEG or WebP picture", "image", {"image": "aGVsbG8="}, path=OF_A_REP, cross_field=True
)
NEITHER = Answer(422, "neither an image nor a URL", "image", body={}, path=OF_A_REP, cross_field=True)
LOCAL_URL = Answer(
    422, "a URL the server may not fetch", "url", {"url": "https://127.0.0.1/a.png"}, path=OF_A_REP, cross_field=True
)
NO_REP = Answer(404, "no such rep", body={"image": "aGVsbG8="}, path={"id": "nope-404"})
# a rep for their own photo, the managers of the rep's team and admins
PHOTO_CHANGERS = only("rep", "manager", *ADMINS)
routes = [
    ApiRoute(
        "/reps/{id}/photo",
        put_photo,
        "PUT",
        Operation(
            "Set a rep's photo: an upload (base64) or a URL the server fetches",
            "directory",
            "people",
            body=PhotoInput,
            response=RepPhoto,
            path={"id": ID_PATTERN.pattern},
            answers=(BAD_ID, NOT_A_PICTURE, NEITHER, LOCAL_URL, NO_REP),
            access=PHOTO_CHANGERS,
        ),
    ),
    ApiRoute(
        "/reps/{id}/photo",
        delete_photo,
        "DELETE",
        Operation(
            "Remove a rep's photo (initials are shown again)",
            "directory",
            "people",
            response=RepPhoto,
            path={"id": ID_PATTERN.pattern},
            answers=(Answer(404, "no such rep", path={"id": "nope-404"}),),
            access=PHOTO_CHANGERS,
        ),
    ),
    ApiRoute(
        "/reps/{id}/photo/{digest}",
        get_photo,
        "GET",
        Operation(
            "A rep's photo (PNG, JPEG or WebP), cached forever: its URL names its digest",
            "directory",
            "read",
            response=bytes,
            response_media="image/*",
            path={"id": ID_PATTERN.pattern, "digest": DIGEST},
            answers=(Answer(404, "no such photo", path={"id": "nope-404", "digest": "0" * DIGEST_CHARS}),),
            access=READERS,
        ),
    ),
]
