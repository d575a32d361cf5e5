"""Pictures in Redis, one per owner (``rep:<id>``, ``org:logo``): the checked bytes, their media type and their
digest. Replacing a picture overwrites it, so nothing is left behind; a reader names the digest it expects, and
an older digest finds nothing (its URL was cached forever by whoever saw it, and stays with them)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from game import keys
from game.store import text
from server.services.images import Image


def rep_owner(rep_id: str) -> str:
    """Whose picture: a rep's photo is kept under ``rep:<id>``."""
    return f"rep:{rep_id}"


@dataclass(frozen=True)
class StoredMedia:
    digest: str
    media_type: str
    data: bytes


class MediaStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def put(self, owner: str, image: Image) -> str:
        await self.redis.hset(
            keys.media(owner), mapping={"digest": image.digest, "type": image.media_type, "data": image.data}
        )
        return image.digest

    async def get(self, owner: str, digest: str) -> StoredMedia | None:
        """The owner's picture if its digest is ``digest`` (None otherwise)."""
        stored_digest, media_type, data = await self.redis.hmget(keys.media(owner), ["digest", "type", "data"])
        if stored_digest is None or text(stored_digest) != digest or not isinstance(data, bytes) or not media_type:
            return None
        return StoredMedia(digest, text(media_type), data)

    async def remove(self, owner: str) -> None:
        await self.redis.delete(keys.media(owner))
