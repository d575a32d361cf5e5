"""What a badge means, in one line a room can read: built from its kind and its own numbers, in both languages.

Definitions are data (a workspace may ask for 20 deals a month, or ¥2,000,000), so the line is written from
the definition rather than kept as fixed text; ``money`` formats an amount the way the screens do.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from game.badges.definitions import BadgeDefinition

Money = Callable[[Decimal], str]

PERIOD_ZH = {"day": "一天内", "week": "一周内", "month": "一个月内", "quarter": "一个季度内", "ever": "累计"}
PERIOD_EN = {"day": "in a day", "week": "in a week", "month": "in a month", "quarter": "in a quarter", "ever": "in all"}
CLOSE_ZH = {"day": "当天", "week": "本周", "month": "本月", "quarter": "本季度", "ever": "历来"}
CLOSE_EN = {"day": "the day", "week": "the week", "month": "the month", "quarter": "the quarter", "ever": "all time"}


def _threshold_zh(d: BadgeDefinition, money: Money) -> str:
    parts = ([f"成交 {d.deals} 单"] if d.deals else []) + ([f"成交额达 {money(d.amount)}"] if d.amount else [])
    return PERIOD_ZH[d.period] + "且".join(parts)


def _threshold_en(d: BadgeDefinition, money: Money) -> str:
    parts = ([f"{d.deals} deals won"] if d.deals else []) + ([f"{money(d.amount)} won"] if d.amount else [])
    line = " and ".join(parts) + f" {PERIOD_EN[d.period]}"
    return line[:1].upper() + line[1:]


def meaning_zh(d: BadgeDefinition, money: Money) -> str:
    close = CLOSE_ZH[d.period]
    lines: dict[str, Callable[[], str]] = {
        "first_deal": lambda: "赢下第一单" if d.period == "ever" else f"{close}第一笔成交",
        "threshold": lambda: _threshold_zh(d, money),
        "big_deal": lambda: f"单笔成交 {money(d.amount or Decimal(0))} 及以上",
        "hat_trick": lambda: f"同一天成交 {d.deals or 3} 单",
        "streak": lambda: f"连续 {d.days} 个工作日都有成交",
        "new_logo": lambda: f"{PERIOD_ZH[d.period]}签下 {d.customers} 个新客户",
        "record_breaker": lambda: f"{close}最大的一笔成交",
        "champion": lambda: f"{close}竞赛的冠军",
        "best_team": lambda: f"{close}竞赛得分最高的团队成员",
        "comeback": lambda: "从榜单后半段杀进前三",
    }
    return lines[d.kind]()


def meaning_en(d: BadgeDefinition, money: Money) -> str:
    close = CLOSE_EN[d.period]
    lines: dict[str, Callable[[], str]] = {
        "first_deal": lambda: "Their first won deal" if d.period == "ever" else f"First won deal of {close}",
        "threshold": lambda: _threshold_en(d, money),
        "big_deal": lambda: f"One deal of {money(d.amount or Decimal(0))} or more",
        "hat_trick": lambda: f"{d.deals or 3} deals won on one day",
        "streak": lambda: f"A won deal on {d.days} working days in a row",
        "new_logo": lambda: f"{d.customers} new customers {PERIOD_EN[d.period]}",
        "record_breaker": lambda: f"The biggest single deal of {close}",
        "champion": lambda: f"Champion of {close}'s contest",
        "best_team": lambda: f"On the top-scoring team of {close}",
        "comeback": lambda: "From the bottom half of the board into the top three",
    }
    return lines[d.kind]()


def meaning(definition: BadgeDefinition, locale: str, money: Money) -> str:
    """One line saying what earns ``definition``, in ``locale`` (zh-* or English)."""
    return (meaning_zh if locale.startswith("zh") else meaning_en)(definition, money)
