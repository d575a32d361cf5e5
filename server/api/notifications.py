"""Chat notifications (admin): ``/api/v1/notifications/channels`` and ``/api/v1/notifications/dead-letters``.

A channel's webhook URL and secret are sealed at rest and never shown again (the list shows the host and
whether a secret is set). ``…/channels/{id}/test`` sends a test message right away and says what the chat
answered. Dead letters are notifications a chat kept refusing; ``…/dead-letters/{id}/retry`` queues one
again at the front of its channel's outbox.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct
from starlette.requests import Request
from starlette.responses import Response

from game.errors import ValidationError
from server.api.codec import validated_document
from server.api.contract import Answer, ApiRoute, Operation, not_found
from server.auth.access import ADMIN
from server.http import ApiError, ArenaJSONResponse, arena_of, require, validation_error
from server.integrations.sealing import SealError
from server.notifications import messages
from server.notifications.channels import Channel, build_channel, webhook_host
from server.notifications.sender import Sender
from server.notifications.store import ChannelState, NotifyStore

log = logging.getLogger("arena.notify")
MAX_CHANNELS = 100


def _admin(principal: Any) -> bool:
    return principal.role == "admin"


def _store(request: Request) -> NotifyStore:
    return arena_of(request).notifications


def _view(channel: Channel, secret_key: str, waiting: int, state: ChannelState) -> dict[str, Any]:
    try:
        host = webhook_host(channel.url(secret_key))
    except SealError:
        host = ""  # sealed under another ARENA_SECRET_KEY: shown, but deliveries fail until re-created
    return {
        **channel.public(host),
        "paused": state.paused,
        "delivery": {
            "waiting": waiting,
            "attempts": state.attempts,
            "next_attempt_at": datetime.fromtimestamp(state.next_at_ms / 1000, UTC).isoformat()
            if state.next_at_ms
            else None,
            "last_success_at": state.last_success_at or None,
            "last_error": state.last_error or None,
            "last_error_at": state.last_error_at or None,
            "dropped": state.dropped,
        },
    }


async def channel_of(request: Request) -> Channel:
    channel = await _store(request).channel(request.path_params["id"])
    if channel is None:
        raise ApiError(404, f"no notification channel {request.path_params['id']!r}")
    return channel


async def create_channel(request: Request) -> ArenaJSONResponse:
    await require(request, _admin, "manage notification channels")
    arena = arena_of(request)
    body = await validated_document(request, ChannelInput, "notification channel")
    store = _store(request)
    if len(await store.channels()) >= MAX_CHANNELS:
        raise ApiError(409, f"at most {MAX_CHANNELS} notification channels")
    snapshot = await arena.registry.current()
    try:
        channel = build_channel(
            body,
            secret_key=arena.settings.secret_key,
            created_at=datetime.now(UTC).isoformat(),
            known_contests=snapshot.contests.keys(),
            allow_private=arena.settings.outbound_allow_private,
        )
    except ValidationError as exc:
        raise validation_error(exc, "invalid notification channel") from None
    await store.save_channel(channel)
    log.info("notification channel %s (%s) created", channel.id, channel.type)
    return ArenaJSONResponse(_view(channel, arena.settings.secret_key, 0, ChannelState()), status_code=201)


async def list_channels(request: Request) -> ArenaJSONResponse:
    await require(request, _admin, "list notification channels")
    store = _store(request)
    channels = await store.channels()
    status = await store.status([c.id for c in channels])
    secret_key = arena_of(request).settings.secret_key
    return ArenaJSONResponse({"channels": [_view(c, secret_key, *status[c.id]) for c in channels]})


async def get_channel(request: Request) -> ArenaJSONResponse:
    await require(request, _admin, "read notification channels")
    channel = await channel_of(request)
    status = await _store(request).status([channel.id])
    return ArenaJSONResponse(_view(channel, arena_of(request).settings.secret_key, *status[channel.id]))


async def replace_channel(request: Request) -> ArenaJSONResponse:
    """A new definition for a channel, validated as on creation. ``url`` and ``secret`` may be left out to
    keep the ones it has (``"secret": null`` removes it); the type cannot change. What waits in its
    outbox, its cursors and its delivery state stay."""
    await require(request, _admin, "change notification channels")
    arena = arena_of(request)
    existing = await channel_of(request)
    body = await validated_document(request, ChannelInput, "notification channel")
    if isinstance(body, dict):
        if body.get("type", existing.type) != existing.type:
            raise ApiError(
                422, "invalid notification channel", [{"field": "type", "message": "cannot change: add a new channel"}]
            )
        body = {"type": existing.type, **body}
        try:
            if "url" not in body:
                body["url"] = existing.url(arena.settings.secret_key)
            if "secret" not in body and existing.secret(arena.settings.secret_key):
                body["secret"] = existing.secret(arena.settings.secret_key)
        except SealError:
            raise ApiError(
                422, "this channel was sealed under another ARENA_SECRET_KEY: give url (and secret) again"
            ) from None
    snapshot = await arena.registry.current()
    try:
        channel = build_channel(
            body,
            secret_key=arena.settings.secret_key,
            created_at=existing.created_at,
            known_contests=snapshot.contests.keys(),
            allow_private=arena.settings.outbound_allow_private,
            channel_id=existing.id,
        )
    except ValidationError as exc:
        raise validation_error(exc, "invalid notification channel") from None
    store = _store(request)
    await store.save_channel(channel)
    log.info("notification channel %s (%s) changed", channel.id, channel.type)
    status = await store.status([channel.id])
    return ArenaJSONResponse(_view(channel, arena.settings.secret_key, *status[channel.id]))


async def delete_channel(request: Request) -> Response:
    await require(request, _admin, "delete notification channels")
    channel = await channel_of(request)
    await _store(request).delete_channel(channel.id)
    log.info("notification channel %s (%s) deleted", channel.id, channel.type)
    return Response(status_code=204)


async def test_channel(request: Request) -> ArenaJSONResponse:
    """Send a test message now (it counts against the channel's rate limit)."""
    await require(request, _admin, "test notification channels")
    arena = arena_of(request)
    channel = await channel_of(request)
    store = _store(request)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    if await store.sent_recently(channel.id, now_ms) >= channel.limits.per_minute:
        raise ApiError(429, f"this channel sent {channel.limits.per_minute} messages in the last minute: try later")
    sender = Sender(arena, store, base_delay=1.0)
    locale = sender.locale(channel)
    item = {"id": "test", "kind": "test", "data": {"channel_name": channel.name}}
    result = await sender.send_now(channel, messages.render(item, locale))
    await store.record_sent(channel.id, now_ms)
    if not result.ok:
        raise ApiError(502, f"the chat did not accept the test message: {result.error}")
    return ArenaJSONResponse({"ok": True, "status": result.status})


async def list_dead_letters(request: Request) -> ArenaJSONResponse:
    await require(request, _admin, "read dead letters")
    channel_id = request.query_params.get("channel") or None
    letters = await _store(request).dead_letters(channel_id)
    for letter in letters:
        letter["summary"] = messages.render(letter["notification"], arena_of(request).settings.locale).title
    return ArenaJSONResponse({"dead_letters": letters})


async def _dead_letter(request: Request) -> dict[str, Any]:
    record = await _store(request).dead_letter_record(request.path_params["id"])
    if record is None:
        raise ApiError(404, f"no dead letter {request.path_params['id']!r}")
    return record


async def retry_dead_letter(request: Request) -> ArenaJSONResponse:
    await require(request, _admin, "retry dead letters")
    record = await _dead_letter(request)
    store = _store(request)
    if await store.channel(record["channel"]) is None:
        raise ApiError(409, f"channel {record['channel']!r} was deleted: this dead letter can only be discarded")
    await store.requeue(record)
    return ArenaJSONResponse({"id": record["id"], "channel": record["channel"], "queued": True}, status_code=202)


async def discard_dead_letter(request: Request) -> Response:
    await require(request, _admin, "discard dead letters")
    record = await _dead_letter(request)
    await _store(request).discard(record["id"])
    return Response(status_code=204)


class Digest(Struct):
    daily: Annotated[str, Meta(examples=["18:00"])] | None = None
    weekly: Annotated[str, Meta(examples=["fri 18:00"])] | None = None


class ChannelInput(Struct, forbid_unknown_fields=True):
    """A chat channel; the URL and secret are sealed at rest and never shown again."""

    type: Annotated[str, Meta(description="wecom, dingtalk, feishu, slack or teams.")] | None = None
    name: str | None = None
    url: Annotated[str, Meta(description="The webhook URL (https).")] | None = None
    secret: Annotated[str, Meta(description="DingTalk or Feishu signing secret.")] | None = None
    contests: Annotated[list[str], Meta(description="null: every contest.")] | None = None
    events: list[str] | None = None
    min_amount: int | Decimal | None = None
    locale: Literal["zh-CN", "en"] | None = None
    digest: Digest | None = None
    rate_per_minute: Annotated[int, Meta(ge=1)] | None = None
    card: Annotated[Literal["adaptive", "messagecard"], Meta(description="Teams only.")] | None = None
    max_attempts: Annotated[int, Meta(ge=1, le=10)] | None = None


class Delivery(Struct):
    waiting: int = 0
    attempts: int = 0
    next_attempt_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    dropped: int = 0


class NotificationChannel(Struct, omit_defaults=True):
    id: str
    type: str
    name: str
    host: Annotated[str, Meta(description="The webhook's host; the URL itself is never shown.")]
    has_secret: bool
    events: list[str]
    contests: list[str] | None = None
    min_amount: str | None = None
    locale: str | None = None
    digest: dict[str, Any] | None = None
    rate_per_minute: int | None = None
    card: str | None = None
    max_attempts: int | None = None
    created_at: str | None = None
    paused: Annotated[bool, Meta(description="Paused from the console: notifications wait until resumed.")] = False
    delivery: Delivery | None = None


class ChannelList(Struct):
    channels: list[NotificationChannel]


class TestResult(Struct):
    ok: bool
    status: int


class DeadLetter(Struct, omit_defaults=True):
    id: str
    channel: str
    kind: Literal["deal", "badge", "lead_change", "contest_won", "contest_corrected", "digest", "kudos", "award"]
    error: str
    attempts: int
    failed_at: str
    channel_name: str | None = None
    channel_type: str | None = None
    summary: Annotated[str, Meta(description="The message's title in the workspace's language.")] | None = None
    notification: dict[str, Any] = {}


class DeadLetterList(Struct):
    dead_letters: list[DeadLetter]


class DeadLetterQuery(Struct):
    channel: Annotated[str, Meta(description="Only this channel.")] | None = None


class Requeued(Struct):
    id: str
    channel: str
    queued: bool


NO_CHANNEL = not_found("notification channel")
BAD_CHANNEL = Answer(
    422, "an unknown chat", "type", body={"type": "icq", "name": "x", "url": "https://x.example"}, cross_field=True
)
routes = [
    ApiRoute(
        "/notifications/channels",
        create_channel,
        "POST",
        Operation(
            "Add a chat channel (WeCom, DingTalk, Feishu, Slack, Teams)",
            "notifications",
            body=ChannelInput,
            response=NotificationChannel,
            status=201,
            answers=(BAD_CHANNEL, Answer(422, "a field it does not know", "colour", body={"colour": "red"})),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/notifications/channels",
        list_channels,
        "GET",
        Operation("Chat channels with their delivery state", "notifications", response=ChannelList, access=ADMIN),
    ),
    ApiRoute(
        "/notifications/channels/{id}",
        get_channel,
        "GET",
        Operation(
            "One chat channel", "notifications", response=NotificationChannel, answers=(NO_CHANNEL,), access=ADMIN
        ),
    ),
    ApiRoute(
        "/notifications/channels/{id}",
        replace_channel,
        "PUT",
        Operation(
            "Change a chat channel (url and secret may be left out to keep them; its queue stays)",
            "notifications",
            body=ChannelInput,
            response=NotificationChannel,
            answers=(Answer(404, NO_CHANNEL.summary, body={}),),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/notifications/channels/{id}",
        delete_channel,
        "DELETE",
        Operation(
            "Delete a chat channel and what waits for it",
            "notifications",
            status=204,
            answers=(NO_CHANNEL,),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/notifications/channels/{id}/test",
        test_channel,
        "POST",
        Operation(
            "Send a test message now (502 when the chat refuses it)",
            "notifications",
            response=TestResult,
            answers=(NO_CHANNEL,),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/notifications/dead-letters",
        list_dead_letters,
        "GET",
        Operation(
            "Notifications a chat kept refusing, newest first",
            "notifications",
            response=DeadLetterList,
            query=DeadLetterQuery,
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/notifications/dead-letters/{id}/retry",
        retry_dead_letter,
        "POST",
        Operation(
            "Queue a dead letter again",
            "notifications",
            response=Requeued,
            status=202,
            answers=(not_found("dead letter"),),
            access=ADMIN,
        ),
    ),
    ApiRoute(
        "/notifications/dead-letters/{id}",
        discard_dead_letter,
        "DELETE",
        Operation(
            "Discard a dead letter", "notifications", status=204, answers=(not_found("dead letter"),), access=ADMIN
        ),
    ),
]
