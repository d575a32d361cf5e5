"""Delivery: each channel's outbox, oldest first, within the chat's rate limit; failures retried, then parked.

Per channel and per tick: while the last minute's sends leave room, take the oldest notification and send
it. When only one message is left in the minute and more celebrations wait, they are folded into one
summary (DingTalk and WeCom allow 20 messages a minute; a burst of 25 deals becomes 19 messages and a
summary). A failure leaves the notification at the head of the outbox and pauses the channel with
exponential backoff and jitter; after ``max_attempts`` failures it moves to the dead-letter list, from
where the console can queue it again. A notification leaves the outbox only after the chat accepted it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from server import metrics
from server.integrations.sealing import SealError
from server.notifications import messages
from server.notifications.channels import Channel
from server.notifications.store import NotifyStore
from server.notifications.transport import SendResult, send

if TYPE_CHECKING:
    from server.arena import Arena

log = logging.getLogger("arena.notify")
CELEBRATIONS = ("deal", "badge", "lead_change")  # may be folded into a summary; digests and crowns never are
MAX_FOLD = 200
BACKOFF_CAP_SECONDS = 300.0


def backoff_seconds(attempts: int, base: float, jitter: float) -> float:
    """base × 3^(attempts-1), at most five minutes, times a jitter in [0.5, 1] (``jitter`` in [0, 1])."""
    return min(base * 3 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS) * (0.5 + jitter / 2)


def next_batch(items: Sequence[dict[str, Any]], room: int) -> list[int]:
    """Indexes of the waiting notifications that make the next message: the oldest alone, or — when the
    minute has room for one more message only — every waiting celebration folded into a summary."""
    if room == 1 and items and items[0]["kind"] in CELEBRATIONS:
        folded = [i for i, item in enumerate(items) if item["kind"] in CELEBRATIONS]
        if len(folded) > 1:
            return folded
    return [0]


def message_for(items: Sequence[dict[str, Any]], locale: str) -> messages.Message:
    if len(items) == 1:
        return messages.render(items[0], locale)
    return messages.summary(items, locale)


class Sender:
    def __init__(self, arena: Arena, store: NotifyStore, base_delay: float) -> None:
        self.arena = arena
        self.store = store
        self.base_delay = base_delay

    def locale(self, channel: Channel) -> str:
        return channel.locale or self.arena.settings.locale

    async def send_now(self, channel: Channel, message: messages.Message) -> SendResult:
        now_ms = int(time.time() * 1000)
        try:
            settings = self.arena.settings
            return await send(
                channel,
                message,
                secret_key=settings.secret_key,
                now_ms=now_ms,
                allow_private=settings.outbound_allow_private,
            )
        except SealError as exc:
            return SendResult(False, f"cannot read the webhook URL or secret ({exc}): create the channel again")

    async def deliver(self, channels: Sequence[Channel], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(self._deliver_channel(channel, deadline) for channel in channels))

    async def _deliver_channel(self, channel: Channel, deadline: float) -> None:
        try:
            while time.monotonic() < deadline and await self._deliver_one(channel):
                if channel.limits.spacing:
                    await asyncio.sleep(channel.limits.spacing)
        except Exception:
            log.exception("delivery to channel %s failed", channel.id)

    async def _deliver_one(self, channel: Channel) -> bool:
        """Send the next message of ``channel`` if it is due and allowed; True to go on with the next."""
        raws, _waiting = await self.store.waiting(channel.id, MAX_FOLD)
        if not raws:
            return False
        now_ms = int(time.time() * 1000)
        state = await self.store.state(channel.id)
        if state.paused or state.next_at_ms > now_ms:
            return False
        room = channel.limits.per_minute - await self.store.sent_recently(channel.id, now_ms)
        if room <= 0:
            return False
        items = [json.loads(raw) for raw in raws]
        chosen = next_batch(items, room)
        batch = [raws[i] for i in chosen]
        result = await self.send_now(channel, message_for([items[i] for i in chosen], self.locale(channel)))
        at = datetime.now(UTC).isoformat()
        now_ms = int(time.time() * 1000)
        if result.ok:
            await self.store.delivered(channel.id, batch, now_ms, at)
            metrics.NOTIFICATIONS.labels(outcome="delivered").inc(len(batch))
            return True
        if result.retry_after is not None:
            log.warning("channel %s asks us to slow down: %s", channel.id, result.error)
            await self.store.failed(channel.id, result.error, at, now_ms + int(result.retry_after * 1000), count=False)
            return False
        delay = backoff_seconds(state.attempts + 1, self.base_delay, random.random())
        attempts = await self.store.failed(channel.id, result.error, at, now_ms + int(delay * 1000))
        metrics.NOTIFICATIONS.labels(outcome="failed").inc(len(batch))
        log.warning(
            "channel %s: delivery failed (%s), attempt %d of %d",
            channel.id,
            result.error,
            attempts,
            channel.max_attempts,
        )
        if attempts >= channel.max_attempts:
            ids = await self.store.dead_letter(channel, batch, result.error, attempts, at, now_ms)
            metrics.NOTIFICATIONS.labels(outcome="dead_lettered").inc(len(ids))
            log.error(
                "channel %s: %d notification(s) moved to the dead letters (%s)", channel.id, len(ids), ", ".join(ids)
            )
        return False
