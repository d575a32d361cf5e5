"""One message to one chat webhook: the server's one outbound client (``server/outbound.py``: timeouts, quick
retries of network errors, 429 and 5xx, no redirects) and each platform's verdict. A platform may also say
no inside a 200 (WeCom and DingTalk ``errcode``, Feishu ``code``): that is a failure too. Failures that
outlive the quick retries are retried later by the sender, with a longer backoff.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

from server.notifications.channels import Channel
from server.notifications.formats import outgoing
from server.notifications.messages import Message
from server.outbound import OutboundClient, OutboundError

# Platform codes that mean "too many messages": wait a while instead of counting a failed attempt.
RATE_LIMITED_CODES = {"wecom": {45009}, "dingtalk": {130101, 130102}, "feishu": {11232}}
RATE_LIMIT_PAUSE = 60.0  # seconds; DingTalk throttles a robot for 10 minutes after a burst, others for less

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
_SENDING = ContextVar("sending_to_a_chat_webhook", default=False)


class _HideWebhookUrls(logging.Filter):
    """A webhook URL is a credential (WeCom ``key``, DingTalk ``access_token``, Slack's path): httpx logs every
    request with its URL, so while we send, the logged URL keeps only its scheme and host."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _SENDING.get() and isinstance(record.args, tuple) and len(record.args) >= 2:
            url = httpx.URL(str(record.args[1]))
            record.args = (record.args[0], f"{url.scheme}://{url.host}/…", *record.args[2:])
        return True


logging.getLogger("httpx").addFilter(_HideWebhookUrls())


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str = ""
    status: int | None = None
    retry_after: float | None = None  # set when the platform said "too many": pause the channel this long


def verdict(channel_type: str, response: httpx.Response) -> SendResult:
    """Read the platform's answer: HTTP status first, then the code some platforms put in a 200. The error is a
    status line (with a platform's own code and message), never the body: it is stored and shown to admins, and
    a webhook URL pointing somewhere else must not make the server a way to read what answers there."""
    status = response.status_code
    if status >= 300:
        return SendResult(False, f"HTTP {status} {response.reason_phrase}".strip(), status)
    document: Any = None
    if channel_type in ("wecom", "dingtalk", "feishu"):
        try:
            document = json.loads(response.content)
        except ValueError:
            return SendResult(False, f"HTTP {status}, but the answer is not {channel_type}'s JSON", status)
    if isinstance(document, dict):
        code = document.get("errcode", document.get("code", document.get("StatusCode", 0)))
        if code not in (0, None):
            message = document.get("errmsg") or document.get("msg") or document.get("StatusMessage") or ""
            message = str(message)[:120] if isinstance(message, str) else ""
            pause = RATE_LIMIT_PAUSE if code in RATE_LIMITED_CODES.get(channel_type, ()) else None
            return SendResult(False, f"{channel_type} refused: {code} {message}".strip(), status, pause)
    if channel_type == "teams" and "error" in response.text[:200].lower():  # legacy connectors: errors in a 200
        return SendResult(False, f"HTTP {status}, but teams answered with an error", status)
    return SendResult(True, status=status)


async def send(
    channel: Channel,
    message: Message,
    *,
    secret_key: str,
    now_ms: int,
    attempts: int = 2,
    timeout: float = 5.0,
    allow_private: bool = False,
) -> SendResult:
    """Deliver ``message`` now (signed at ``now_ms``), with quick retries for transient errors; only to a public
    https address unless ``allow_private`` (ARENA_OUTBOUND_ALLOW_PRIVATE)."""
    request = outgoing(channel.type, message, channel.url(secret_key), channel.secret(secret_key), now_ms, channel.card)
    body = json.dumps(request.body, ensure_ascii=False).encode()
    hidden = _SENDING.set(True)
    try:
        async with OutboundClient(
            timeout=timeout, attempts=attempts, backoff=0.25, budget=timeout * 2, allow_private=allow_private
        ) as client:
            try:
                response = await client.request("POST", request.url, headers=JSON_HEADERS, content=body)
            except OutboundError as exc:
                retry_after = RATE_LIMIT_PAUSE if exc.status == 429 else None
                return SendResult(False, str(exc), exc.status, retry_after)
    finally:
        _SENDING.reset(hidden)
    return verdict(channel.type, response)
