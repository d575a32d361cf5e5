"""A prize gives something: its text and its optional money ``value`` never say a negative amount.

"-¥1000" reads as a fine to pay, and a negative value would lower the predicted prize cost; both are refused
when a contest is defined, with the field at fault (``prizes[3].prize``, ``prizes[3].value``). A prize may also
give reward points (``reward_points``, ``game/rewards.py``) to each winner, a rep or every member of a team."""

from __future__ import annotations

import re
from typing import Any

from game.errors import Collector
from game.events import parse_amount
from game.rewards import checked_points

MINUS = "-\u2212\uff0d\u2013"  # hyphen-minus, minus sign, fullwidth hyphen-minus, en dash
CURRENCY = "¥￥$€£"
# a minus before an amount (at the start or after a space or punctuation, so "Top-3" and "2-3" are ranges), or
# a currency sign followed by a minus: "-¥1000", "¥-1,000", "奖金 −500 元", "bonus: -$50"
NEGATIVE_MONEY = re.compile(rf"(?:^|[\s:：(（,，])[{MINUS}]\s*[{CURRENCY}]?\s*\d|[{CURRENCY}]\s*[{MINUS}]\s*\d")
NEGATIVE_TEXT = "is a negative amount of money: a prize gives something"


def says_negative_money(text: str) -> bool:
    return bool(NEGATIVE_MONEY.search(text))


def check_prize_money(item: dict[str, Any], errors: Collector, name: str) -> None:
    """Record what is wrong with the money a prize states (its text, its ``value``)."""
    text = item.get("prize")
    if isinstance(text, str) and says_negative_money(text):
        errors.add(f"{name}.prize", NEGATIVE_TEXT)
    if item.get("value") is not None:
        amount = parse_amount(item["value"], errors, f"{name}.value")
        if amount is not None and amount < 0:
            errors.add(f"{name}.value", "must not be negative")


def prize_giving(item: dict[str, Any], errors: Collector, name: str) -> dict[str, Any]:
    """Who a prize goes to (``board``: reps or teams) and the reward points it gives besides, checked: the fields
    every ``Prize`` takes from its definition."""
    check_prize_money(item, errors, name)
    board = item.get("board", "reps")
    if board not in ("reps", "teams"):
        errors.add(f"{name}.board", 'must be "reps" or "teams"')
    return {"board": board, "reward_points": checked_points(item.get("reward_points"), errors, f"{name}.reward_points")}
