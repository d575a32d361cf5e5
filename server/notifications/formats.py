"""Each platform's payload and signature for a ``Message`` — pure: the time is passed in.

* WeCom (企业微信) group robot: ``{"msgtype": "markdown", "markdown": {"content"}}``, content ≤ 4096 bytes.
* DingTalk (钉钉) custom robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; when signed, the
  URL gets ``timestamp`` (ms) and ``sign`` = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))).
* Feishu (飞书) custom bot: an interactive card ``{"msg_type": "interactive", "card": {...}}``; when signed,
  the body gets ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg="")).
* Slack incoming webhook: ``{"text", "blocks": [header, section (mrkdwn), context]}``.
* Microsoft Teams: an Adaptive Card in a ``message`` (Workflows webhooks), or the legacy ``MessageCard``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from server.notifications.messages import Message

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18_000
BOLD = re.compile(r"\*\*(.+?)\*\*")
FEISHU_TEMPLATES = {"red": "red", "gold": "orange", "blue": "blue", "grey": "grey"}
TEAMS_COLORS = {"red": "Attention", "gold": "Warning", "blue": "Accent", "grey": "Default"}
HEX_COLORS = {"red": "E53935", "gold": "F9A825", "blue": "1E88E5", "grey": "9E9E9E"}


@dataclass(frozen=True)
class Outgoing:
    url: str
    body: dict[str, Any]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query parameter, already URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp: int) -> str:
    """The ``sign`` body field: the key is ``timestamp + "\\n" + secret``, the message is empty."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _no_markup(value: str) -> str:
    """Names come from people: keep them from opening tags or mentions in chats that read markup."""
    return value.replace("<", "＜").replace(">", "＞")


def _fit(lines: list[str], limit: int, joiner: str = "\n") -> str:
    """Join lines, dropping whole lines from the end until the UTF-8 size fits the platform's limit."""
    while lines:
        content = joiner.join(lines)
        if len(content.encode()) <= limit:
            return content
        lines = [*lines[:-2], "…"] if len(lines) > 1 else [lines[0][: limit // 4]]
    return ""


def wecom(message: Message, url: str) -> Outgoing:
    lines = [_no_markup(line) for line in (f"**{message.title}**", *message.lines)]
    if message.footer:
        lines.append(f'<font color="comment">{message.footer}</font>')
    content = _fit(lines, WECOM_MAX_BYTES)
    return Outgoing(url, {"msgtype": "markdown", "markdown": {"content": content}})


def dingtalk(message: Message, url: str, secret: str | None, now_ms: int) -> Outgoing:
    lines = [f"#### {_no_markup(message.title)}", *(_no_markup(line) for line in message.lines)]
    if message.footer:
        lines.append(f"###### {message.footer}")
    text = _fit(lines, DINGTALK_MAX_BYTES, "\n\n")  # DingTalk's markdown needs a blank line per break
    if secret:
        url += ("&" if "?" in url else "?") + f"timestamp={now_ms}&sign={dingtalk_sign(secret, now_ms)}"
    return Outgoing(url, {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}})


def feishu(message: Message, url: str, secret: str | None, now_s: int) -> Outgoing:
    elements: list[dict[str, Any]] = [
        {"tag": "div", "text": {"tag": "lark_md", "content": "\n".join(_no_markup(line) for line in message.lines)}}
    ]
    if message.footer:
        elements.append({"tag": "note", "elements": [{"tag": "plain_text", "content": message.footer}]})
    body: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {
                "template": FEISHU_TEMPLATES.get(message.color, "blue"),
                "title": {"tag": "plain_text", "content": message.title},
            },
            "elements": elements,
        },
    }
    if secret:
        body = {"timestamp": str(now_s), "sign": feishu_sign(secret, now_s), **body}
    return Outgoing(url, body)


def _slack_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(message: Message, url: str) -> Outgoing:
    text = "\n".join(BOLD.sub(r"*\1*", _slack_escape(line)) for line in message.lines)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
    ]
    if message.footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(message.footer)}]})
    return Outgoing(url, {"text": _slack_escape(message.title), "blocks": blocks})


def teams(message: Message, url: str, card: str = "adaptive") -> Outgoing:
    if card == "messagecard":
        return Outgoing(
            url,
            {
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": message.title,
                "themeColor": HEX_COLORS.get(message.color, "1E88E5"),
                "title": message.title,
                "text": "\n\n".join([*message.lines, f"_{message.footer}_"] if message.footer else message.lines),
            },
        )
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "color": TEAMS_COLORS.get(message.color, "Default"),
            "wrap": True,
        },
        *({"type": "TextBlock", "text": line, "wrap": True} for line in message.lines),
    ]
    if message.footer:
        body.append({"type": "TextBlock", "text": message.footer, "isSubtle": True, "size": "Small", "wrap": True})
    return Outgoing(
        url,
        {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": body,
                    },
                }
            ],
        },
    )


def outgoing(
    channel_type: str, message: Message, url: str, secret: str | None, now_ms: int, card: str = "adaptive"
) -> Outgoing:
    """The request for one message to one channel at ``now_ms`` (signatures are only valid for a while:
    build it right before sending, never queue it)."""
    if channel_type == "wecom":
        return wecom(message, url)
    if channel_type == "dingtalk":
        return dingtalk(message, url, secret, now_ms)
    if channel_type == "feishu":
        return feishu(message, url, secret, now_ms // 1000)
    if channel_type == "slack":
        return slack(message, url)
    if channel_type == "teams":
        return teams(message, url, card)
    raise ValueError(f"unknown channel type {channel_type!r}")
