"""Chat channels: one webhook of a team chat (WeCom, DingTalk, Feishu, Slack, Teams) and what it wants to hear.

A channel is checked at the door, its webhook URL and signing secret are sealed before storage
(``server/integrations/sealing.py``, bound to the channel id and field) and neither is ever shown again:
the API shows the host and whether a secret is set.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from game.contests import Contest
from game.directory import Directory
from game.errors import Collector, required_name
from server.integrations.sealing import seal, unseal
from server.outbound_targets import target_problem

TYPES = ("wecom", "dingtalk", "feishu", "slack", "teams")
EVENTS = ("deal", "badge", "lead_change", "contest_won", "digest")
DEFAULT_EVENTS = ("deal", "badge", "lead_change", "contest_won")
LOCALES = ("zh-CN", "en")
TEAMS_CARDS = ("adaptive", "messagecard")
SIGNED = ("dingtalk", "feishu")  # platforms with an optional signing secret
MAX_CONTESTS = 100
DEFAULT_ATTEMPTS = 5
MAX_ATTEMPTS = 10
DAILY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Limits:
    """A platform's documented ceiling: messages per minute per webhook, and the gap between two sends."""

    per_minute: int
    spacing: float = 0.0


# DingTalk: 20 a minute per robot (more is throttled for 10 minutes); WeCom: 20 a minute per robot;
# Feishu: 100 a minute and 5 a second; Slack: about 1 a second per webhook; Teams: at most 4 a second.
# A chat is for people: the defaults stay well below the ceilings (``rate_per_minute`` lowers them further).
PLATFORM_LIMITS = {
    "wecom": Limits(20),
    "dingtalk": Limits(20),
    "feishu": Limits(100, 0.2),
    "slack": Limits(60, 1.0),
    "teams": Limits(60, 0.25),
}
DEFAULT_PER_MINUTE = {"wecom": 20, "dingtalk": 20, "feishu": 30, "slack": 30, "teams": 30}


@dataclass(frozen=True)
class Channel:
    id: str
    type: str
    name: str
    created_at: str
    events: tuple[str, ...] = DEFAULT_EVENTS
    contests: tuple[str, ...] | None = None  # None: every contest, also those created later
    min_amount: Decimal | None = None  # deals below it are not announced
    locale: str | None = None  # None: the workspace's language
    digest: Mapping[str, str] = field(default_factory=dict)  # {"daily": "18:00", "weekly": "fri 18:00"}
    rate_per_minute: int = 20
    card: str = "adaptive"  # Teams only: Adaptive Card (Workflows webhooks) or the legacy MessageCard
    max_attempts: int = DEFAULT_ATTEMPTS  # failed deliveries of one notification before it is dead-lettered
    sealed: Mapping[str, str] = field(default_factory=dict)  # url, secret: sealed, never returned

    @property
    def limits(self) -> Limits:
        platform = PLATFORM_LIMITS[self.type]
        return Limits(min(self.rate_per_minute, platform.per_minute), platform.spacing)

    def url(self, secret_key: str) -> str:
        return unseal(self.sealed["url"], secret_key=secret_key, context=f"notify/{self.id}/url")

    def secret(self, secret_key: str) -> str | None:
        if "secret" not in self.sealed:
            return None
        return unseal(self.sealed["secret"], secret_key=secret_key, context=f"notify/{self.id}/secret")

    def follows(self, contest_id: str | None) -> bool:
        return self.contests is None or (contest_id is not None and contest_id in self.contests)

    def wants(self, kind: str, contest_id: str | None = None, amount: str | None = None) -> bool:
        """Whether a notification of ``kind`` (about ``contest_id``, a deal of ``amount``) goes here."""
        if kind not in self.events:
            return False
        if kind in ("deal", "lead_change", "contest_won") and not self.follows(contest_id):
            return False
        if kind == "deal" and self.min_amount is not None:
            try:
                return Decimal(amount or "0") >= self.min_amount
            except InvalidOperation:
                return False
        return True

    def wants_badge(
        self, change: Mapping[str, Any], contests: Mapping[str, Contest], directory: Directory, digest: bool = False
    ) -> bool:
        """A badge goes to channels that follow its contest (champion, comeback) or, for badges of no
        contest, that follow every contest or one the rep takes part in. Champion and best-team badges
        are left to the contest-won message where the channel gets that one."""
        if not digest and "badge" not in self.events:
            return False
        contest_id = change.get("contest")
        if contest_id:
            if not self.follows(contest_id):
                return False
            crowned = change.get("kind") in ("champion", "best_team") or change.get("badge") in (
                "champion",
                "best-team",
            )
            return digest or not (crowned and self.wants("contest_won", contest_id))
        if self.contests is None:
            return True
        rep = directory.reps.get(change.get("rep", ""))
        team = rep.team if rep is not None else None
        return any(c in contests and contests[c].includes(change.get("rep", ""), team) for c in self.contests)

    def public(self, host: str) -> dict[str, Any]:
        """What the API shows: settings, the webhook's host and whether a secret is set, never their values."""
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "host": host,
            "has_secret": "secret" in self.sealed,
            "contests": list(self.contests) if self.contests is not None else None,
            "events": list(self.events),
            "min_amount": str(self.min_amount) if self.min_amount is not None else None,
            "locale": self.locale,
            "digest": dict(self.digest) or None,
            "rate_per_minute": self.limits.per_minute,
            "card": self.card if self.type == "teams" else None,
            "max_attempts": self.max_attempts,
            "created_at": self.created_at,
        }

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "created_at": self.created_at,
            "events": list(self.events),
            "contests": list(self.contests) if self.contests is not None else None,
            "min_amount": str(self.min_amount) if self.min_amount is not None else None,
            "locale": self.locale,
            "digest": dict(self.digest),
            "rate_per_minute": self.rate_per_minute,
            "card": self.card,
            "max_attempts": self.max_attempts,
            "sealed": dict(self.sealed),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Channel:
        contests = record.get("contests")
        return cls(
            id=record["id"],
            type=record["type"],
            name=record["name"],
            created_at=record["created_at"],
            events=tuple(record.get("events") or DEFAULT_EVENTS),
            contests=tuple(contests) if contests is not None else None,
            min_amount=Decimal(record["min_amount"]) if record.get("min_amount") is not None else None,
            locale=record.get("locale"),
            digest=record.get("digest") or {},
            rate_per_minute=int(record.get("rate_per_minute") or DEFAULT_PER_MINUTE[record["type"]]),
            card=record.get("card") or "adaptive",
            max_attempts=int(record.get("max_attempts") or DEFAULT_ATTEMPTS),
            sealed=record.get("sealed") or {},
        )


def webhook_host(url: str) -> str:
    return urlsplit(url).hostname or ""


def new_channel_id(channel_type: str) -> str:
    return f"{channel_type}-{secrets.token_hex(5)}"


def _check_url(value: Any, errors: Collector, allow_private: bool) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 2048:
        errors.add("url", "is required: the webhook URL the chat gave you (at most 2048 characters)")
        return None
    value = value.strip()
    problem = target_problem(value, allow_private=allow_private)
    if problem:
        errors.add("url", problem)
        return None
    return value


def _check_digest(raw: Any, errors: Collector) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw or set(raw) - {"daily", "weekly"}:
        errors.add("digest", 'must be {"daily": "18:00"} and/or {"weekly": "fri 18:00"}')
        return {}
    out: dict[str, str] = {}
    daily = raw.get("daily")
    if daily is not None:
        if isinstance(daily, str) and DAILY.match(daily.strip()):
            out["daily"] = daily.strip()
        else:
            errors.add("digest.daily", "a local time HH:MM, e.g. 18:00")
    weekly = raw.get("weekly")
    if weekly is not None:
        day, _, time = weekly.strip().lower().partition(" ") if isinstance(weekly, str) else ("", "", "")
        if day[:3] in WEEKDAYS and DAILY.match(time.strip()):
            out["weekly"] = f"{day[:3]} {time.strip()}"
        else:
            errors.add("digest.weekly", "a weekday and a local time, e.g. fri 18:00")
    return out


def build_channel(
    body: Any,
    *,
    secret_key: str,
    created_at: str,
    known_contests: Collection[str],
    channel_id: str | None = None,
    allow_private: bool = False,
) -> Channel:
    """Validate a ``POST /api/v1/notifications/channels`` body; the URL and secret come back sealed.

    Raises ValidationError naming every bad field. ``allow_private``: ARENA_OUTBOUND_ALLOW_PRIVATE.
    """
    errors = Collector()
    if not isinstance(body, dict):
        errors.add("", "a channel must be a JSON object")
        errors.raise_if_any()
    channel_type = body.get("type")
    if channel_type not in TYPES:
        errors.add("type", f"must be one of {', '.join(TYPES)}")
    name = required_name(body, errors)
    url = _check_url(body.get("url"), errors, allow_private)
    secret = body.get("secret")
    if secret is not None and (not isinstance(secret, str) or not secret.strip() or len(secret) > 256):
        errors.add("secret", "must be the signing secret as a string (at most 256 characters)")
        secret = None
    elif secret is not None and channel_type in TYPES and channel_type not in SIGNED:
        errors.add("secret", f"{channel_type} webhooks are not signed: leave secret out")
    contests = body.get("contests")
    if contests is not None:
        if not isinstance(contests, list) or not contests or len(contests) > MAX_CONTESTS:
            errors.add("contests", f"null (every contest) or a list of 1 to {MAX_CONTESTS} contest ids")
            contests = None
        else:
            for index, contest in enumerate(contests):
                if not isinstance(contest, str) or contest not in known_contests:
                    errors.add(f"contests[{index}]", f"unknown contest {contest!r}")
    digest = _check_digest(body.get("digest"), errors)
    events = body.get("events")
    if events is None:
        events = [*DEFAULT_EVENTS, "digest"] if digest else list(DEFAULT_EVENTS)
    if not isinstance(events, list) or not events or not all(e in EVENTS for e in events):
        errors.add("events", f"a non-empty list of {', '.join(EVENTS)}")
        events = list(DEFAULT_EVENTS)
    if "digest" in events and not digest and body.get("digest") is None:
        digest = {"daily": "18:00"}
    if digest and "digest" not in events:
        errors.add("events", 'add "digest" to events to send the digest you configured')
    min_amount = body.get("min_amount")
    amount: Decimal | None = None
    if min_amount is not None:
        try:
            amount = Decimal(str(min_amount))
            if not amount.is_finite() or amount < 0 or isinstance(min_amount, bool):
                raise InvalidOperation
        except InvalidOperation:
            errors.add("min_amount", 'a non-negative amount such as "100000"')
    locale = body.get("locale")
    if locale not in (None, *LOCALES):
        errors.add("locale", 'must be "zh-CN", "en" or null (the workspace\'s language)')
    card = body.get("card", "adaptive")
    if card not in TEAMS_CARDS or (card != "adaptive" and channel_type != "teams"):
        errors.add("card", 'Teams only: "adaptive" (Workflows webhooks) or "messagecard" (legacy connectors)')
    rate = body.get("rate_per_minute")
    ceiling = PLATFORM_LIMITS[channel_type].per_minute if channel_type in TYPES else 20
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= ceiling):
        errors.add("rate_per_minute", f"a whole number from 1 to {ceiling} (the platform's limit)")
    attempts = body.get("max_attempts", DEFAULT_ATTEMPTS)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= MAX_ATTEMPTS:
        errors.add("max_attempts", f"a whole number from 1 to {MAX_ATTEMPTS}: failed deliveries before a dead letter")
    known_fields = {
        "type",
        "name",
        "url",
        "secret",
        "contests",
        "events",
        "min_amount",
        "locale",
        "digest",
        "card",
        "rate_per_minute",
        "max_attempts",
    }
    for unknown in sorted(set(body) - known_fields):
        errors.add(unknown, "unknown field")
    errors.raise_if_any()
    assert url is not None
    channel_id = channel_id or new_channel_id(channel_type)
    sealed = {"url": seal(url, secret_key=secret_key, context=f"notify/{channel_id}/url")}
    if secret:
        sealed["secret"] = seal(secret.strip(), secret_key=secret_key, context=f"notify/{channel_id}/secret")
    return Channel(
        id=channel_id,
        type=channel_type,
        name=name,
        created_at=created_at,
        events=tuple(dict.fromkeys(events)),
        contests=tuple(dict.fromkeys(contests)) if contests is not None else None,
        min_amount=amount,
        locale=locale,
        digest=digest,
        rate_per_minute=rate if rate is not None else DEFAULT_PER_MINUTE[channel_type],
        card=card,
        max_attempts=attempts,
        sealed=sealed,
    )
