"""Pausing a chat channel from the console: ``POST …/channels/{id}/pause`` and ``…/resume``.

A paused channel keeps collecting what it would announce (its outbox is bounded: past it the oldest wait is
dropped and counted) and sends nothing until resumed; a test message can still be sent.
"""

from __future__ import annotations

import logging
from typing import Any

from msgspec import Struct
from starlette.requests import Request

from server.api.contract import ApiRoute, Operation
from server.api.notifications import NO_CHANNEL, channel_of
from server.auth.access import ADMIN
from server.http import ArenaJSONResponse, arena_of, require

log = logging.getLogger("arena.notify")


def _admin(principal: Any) -> bool:
    return principal.role == "admin"


async def _set_paused(request: Request, paused: bool) -> ArenaJSONResponse:
    await require(request, _admin, "pause notification channels")
    channel = await channel_of(request)
    await arena_of(request).notifications.set_paused(channel.id, paused)
    log.info("notification channel %s %s", channel.id, "paused" if paused else "resumed")
    return ArenaJSONResponse({"id": channel.id, "paused": paused})


async def pause_channel(request: Request) -> ArenaJSONResponse:
    return await _set_paused(request, True)


async def resume_channel(request: Request) -> ArenaJSONResponse:
    return await _set_paused(request, False)


class Paused(Struct):
    id: str
    paused: bool


routes = [
    ApiRoute(
        "/notifications/channels/{id}/pause",
        pause_channel,
        "POST",
        Operation(
            "Pause a chat channel: what it would announce waits until it is resumed",
            "notifications",
            response=Paused,
            answers=(NO_CHANNEL,),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/notifications/channels/{id}/resume",
        resume_channel,
        "POST",
        Operation(
            "Resume a paused chat channel",
            "notifications",
            response=Paused,
            answers=(NO_CHANNEL,),
            access=ADMIN,
        ),
    ),
]
