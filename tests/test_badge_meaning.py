"""Each badge kind reads as one line in both languages, written from the definition's own numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from game.badges.definitions import DEFAULT_BADGES, KINDS, parse_badge
from game.badges.meaning import meaning


def money(amount: Decimal) -> str:
    return f"¥{amount:,.0f}"


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_kind_has_a_meaning_in_both_languages(locale: str) -> None:
    defaults = [parse_badge(raw) for raw in DEFAULT_BADGES]
    assert {d.kind for d in defaults} == set(KINDS)
    lines = {d.id: meaning(d, locale, money) for d in defaults}
    assert all(lines.values()) and len(set(lines.values())) == len(lines), lines
    assert all("None" not in line and "\n" not in line and len(line) < 60 for line in lines.values()), lines


def test_the_line_follows_the_definitions_numbers() -> None:
    custom = parse_badge(
        {
            "id": "x",
            "kind": "threshold",
            "period": "week",
            "deals": 20,
            "amount": 2_000_000,
            "name": {"zh-CN": "周冠", "en": "Week"},
        }
    )
    assert meaning(custom, "zh-CN", money) == "一周内成交 20 单且成交额达 ¥2,000,000"
    assert meaning(custom, "en", money) == "20 deals won and ¥2,000,000 won in a week"
    streak = parse_badge({"id": "s", "kind": "streak", "days": 8, "name": {"zh-CN": "八连胜", "en": "Eight"}})
    assert meaning(streak, "zh-CN", money) == "连续 8 个工作日都有成交"
    assert meaning(streak, "en", money) == "A won deal on 8 working days in a row"
    first = parse_badge({"id": "f", "kind": "first_deal", "period": "quarter", "name": {"zh-CN": "开门红", "en": "Q"}})
    assert meaning(first, "zh-CN", money) == "本季度第一笔成交"
    assert meaning(first, "en", money) == "First won deal of the quarter"
