"""Badges on the phone: what each one means in words, and the next one within reach with what it takes.

Pure: definitions, the rep's standing deal facts of this month and the badges held in; words out. The
"within reach" judgement looks at the current period of each countable badge (deals, amount, new
customers, deals today) and picks the one closest to done.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from game.badges.definitions import BadgeDefinition
from game.badges.facts import Fact, period_of
from server.i18n.catalogs import format_money, format_number

PERIOD_WORDS = {
    "en": {"day": "a day", "week": "a week", "month": "a month", "quarter": "a quarter", "ever": "all time"},
    "zh-CN": {"day": "一天", "week": "一周", "month": "一个月", "quarter": "一个季度", "ever": "累计"},
}
MEANINGS = {
    "en": {
        "first_deal": "Your first won deal",
        "deals": "{n} deals in {period}",
        "amount": "{money} won in {period}",
        "big_deal": "One deal of at least {money}",
        "hat_trick": "{n} deals on one day",
        "streak": "Deals on {n} working days in a row",
        "new_logo": "{n} deals with new customers in {period}",
        "record_breaker": "The month's biggest deal",
        "champion": "Won a contest",
        "best_team": "On the team that won a contest",
        "comeback": "From the bottom half of a board into the top three",
    },
    "zh-CN": {
        "first_deal": "赢得第一单",
        "deals": "{period}内成交 {n} 单",
        "amount": "{period}内成交 {money}",
        "big_deal": "单笔成交至少 {money}",
        "hat_trick": "一天内成交 {n} 单",
        "streak": "连续 {n} 个工作日都有成交",
        "new_logo": "{period}内与 {n} 位新客户成交",
        "record_breaker": "本月单笔最大订单",
        "champion": "赢得一场竞赛",
        "best_team": "所在团队赢得竞赛",
        "comeback": "从排行榜后半段冲进前三",
    },
}
NEEDS = {
    "en": {
        "deals": "{n} more deals",
        "amount": "{money} more won",
        "new_logo": "{n} more new customers",
        "hat_trick": "{n} more deals today",
        "big_deal": "one deal of {money}",
        "first_deal": "your first deal",
    },
    "zh-CN": {
        "deals": "再成交 {n} 单",
        "amount": "再成交 {money}",
        "new_logo": "再签 {n} 位新客户",
        "hat_trick": "今天再成交 {n} 单",
        "big_deal": "一笔 {money} 的订单",
        "first_deal": "你的第一单",
    },
}


def _lang(locale: str) -> str:
    return "zh-CN" if locale.startswith("zh") else "en"


def meaning(badge: BadgeDefinition, locale: str, currency: str) -> str:
    """One line: what earns this badge."""
    words = MEANINGS[_lang(locale)]
    period = PERIOD_WORDS[_lang(locale)].get(badge.period, badge.period)
    if badge.kind == "threshold":
        if badge.deals is not None:
            return words["deals"].format(n=format_number(badge.deals), period=period)
        return words["amount"].format(money=format_money(badge.amount, currency, locale), period=period)
    if badge.kind == "big_deal":
        return words["big_deal"].format(money=format_money(badge.amount, currency, locale))
    if badge.kind == "hat_trick":
        return words["hat_trick"].format(n=badge.deals or 3)
    if badge.kind == "streak":
        return words["streak"].format(n=badge.days or 0)
    if badge.kind == "new_logo":
        return words["new_logo"].format(n=badge.customers or 0, period=period)
    return words.get(badge.kind, badge.kind)


def _progress(badge: BadgeDefinition, facts: Sequence[Fact]) -> tuple[float, str, dict[str, Any]] | None:
    """How far along the period's facts are (0..1), the kind of what is missing, and how much."""
    if badge.kind == "first_deal":
        return (0.0, "first_deal", {}) if not facts else None
    if badge.kind == "threshold" and badge.deals is not None:
        return len(facts) / badge.deals, "deals", {"n": badge.deals - len(facts)}
    if badge.kind == "threshold" and badge.amount is not None:
        won = sum((f.amount for f in facts), Decimal(0))
        return float(won / badge.amount), "amount", {"money": badge.amount - won}
    if badge.kind == "hat_trick":
        needed = badge.deals or 3
        return len(facts) / needed, "hat_trick", {"n": needed - len(facts)}
    if badge.kind == "new_logo" and badge.customers:
        new = sum(1 for f in facts if f.new_customer)
        return new / badge.customers, "new_logo", {"n": badge.customers - new}
    if badge.kind == "big_deal" and badge.amount:
        best = max((f.amount for f in facts), default=Decimal(0))
        return float(best / badge.amount), "big_deal", {"money": badge.amount}
    return None


def next_badge(
    badges: Sequence[BadgeDefinition],
    facts: Sequence[Fact],
    held: Collection[str],
    now: datetime,
    zone: ZoneInfo,
    locale: str,
    currency: str,
) -> dict[str, Any] | None:
    """The badge not yet held whose current period is closest to done, with what it still takes."""
    best: tuple[float, dict[str, Any]] | None = None
    for badge in badges:
        if badge.period == "ever" and badge.kind != "first_deal":
            continue  # lifetime counts are not in this month's facts
        kind_period = "day" if badge.kind == "hat_trick" else badge.period
        period = period_of(kind_period, now, zone)
        if f"{badge.id}:{period_of(badge.period, now, zone).key}" in held:
            continue
        in_period = [f for f in facts if period.contains(f.at, zone)]
        found = _progress(badge, in_period)
        if found is None or found[0] >= 1:
            continue
        share, need, values = found
        if "money" in values:
            values["money"] = format_money(values["money"], currency, locale)
        elif "n" in values:
            values["n"] = format_number(values["n"])
        item = {
            "badge": badge.id,
            "kind": badge.kind,
            "name": badge.name(locale),
            "meaning": meaning(badge, locale, currency),
            "progress": round(share, 3),
            "needs": NEEDS[_lang(locale)][need].format(**values),
        }
        if best is None or share > best[0]:
            best = (share, item)
    return best[1] if best else None
