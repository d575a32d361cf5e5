"""A ledger line as a bank statement reads, in the rep's language: what happened ("赢单 ¥31,200 · 客户 X"),
which rule paid for it in words (the same clause the contest's rules summary uses), and any daily cap.

Event ids and rule numbers stay out of these words: the phone shows them only on a line's detail view.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from game.deal_points import Breakdown
from server.i18n.catalogs import format_money, format_number
from server.i18n.rules_text import rule_clause

WORDS = {
    "en": {
        "deal.won": "Won deal",
        "deal.updated": "Updated deal",
        "deal.reversed": "Deal reversed",
        "points.adjusted": "Adjustment after a dispute",
        "call.logged": "Call",
        "meeting.held": "Meeting",
        "customer.new": "New customer",
        "csat.recorded": "CSAT survey",
        "visit.logged": "Visit",
        "deal.created": "Opportunity created",
        "deal.lost": "Opportunity lost",
        "amount": "{what} of {money}",
        "customer": "{what} for {customer}",
        "undo": "Reversal of an earlier deal: its points come off",
        "reversed_before": "Reversed before it arrived: no points",
        "confirmed": "Deal confirmed: its points are no longer provisional",
        "expired": "Deal not confirmed in time: its provisional points drop out",
        "rule": "{rule}: {points}",
        "capped": "{rule}: {allowed} of {requested} pts (daily cap of {cap} reached)",
        "points": "+{n} pts",
        "sep": " · ",
        "line_margin": "{what} {revenue} margin {margin}",
        "line_no_margin": "{what} {revenue}, no margin given",
        "deal": "the deal",
        "line_points": "{line} ÷ {per}{factor} = {points}",
        "flat": "flat {points}",
        "converted": "{money} at {rate} ({month}) = {converted}",
        "waiting": "{currency} has no rate for {month} yet: the amount scores once it is set",
    },
    "zh-CN": {
        "deal.won": "赢单",
        "deal.updated": "订单更新",
        "deal.reversed": "订单冲销",
        "points.adjusted": "申诉后的积分调整",
        "call.logged": "电话",
        "meeting.held": "会议",
        "customer.new": "新客户",
        "csat.recorded": "满意度调查",
        "visit.logged": "拜访",
        "deal.created": "新建商机",
        "deal.lost": "丢单",
        "amount": "{what} {money}",
        "customer": "{what} · {customer}",
        "undo": "冲销此前一笔订单：扣回其积分",
        "reversed_before": "到达前已被冲销：不得分",
        "confirmed": "订单已确认：积分不再是待确认",
        "expired": "订单未按时确认：待确认积分已扣除",
        "rule": "{rule}：{points}",
        "capped": "{rule}：{requested} 分中得 {allowed} 分（已达每日上限 {cap} 分）",
        "points": "+{n} 分",
        "sep": " · ",
        "line_margin": "{what} {revenue} 毛利 {margin}",
        "line_no_margin": "{what} {revenue}，未提供毛利",
        "deal": "整单",
        "line_points": "{line} ÷ {per}{factor} = {points} 分",
        "flat": "固定 {points} 分",
        "converted": "{money} 按 {month} 汇率 {rate} 折合 {converted}",
        "waiting": "{currency} 尚无 {month} 汇率：设定后按金额计分",
    },
}


def _words(locale: str) -> dict[str, str]:
    return WORDS["zh-CN" if locale.startswith("zh") else "en"]


def what(entry: dict[str, Any], currency: str, locale: str) -> str:
    """The event in words: "Won deal of ¥31,200 for 客户 X", "Call"; a reversal or a settlement by its effect."""
    words = _words(locale)
    if entry.get("note") in ("undo", "reversed_before", "confirmed", "expired"):
        return words[entry["note"]]
    kind = str(entry.get("type", ""))
    text = words.get(kind, kind)
    if entry.get("amount"):
        money = format_money(entry["amount"], str(entry.get("cur") or currency), locale)
        text = words["amount"].format(what=text, money=money)
    if entry.get("customer"):
        text = words["customer"].format(what=text, customer=entry["customer"])
    return text


def rule_lines(entry: dict[str, Any], rules: list[Any], currency: str, locale: str) -> list[str]:
    """Each rule that scored the event, in words, with its points and any daily cap that held it back."""
    words = _words(locale)
    lines = []
    for rule_index, allowed, _cap_field, requested, cap in entry.get("hits", []):
        raw = rules[rule_index] if rule_index < len(rules) else None
        rule = rule_clause(raw, locale, currency) or str(rule_index + 1)
        if allowed < requested:
            lines.append(
                words["capped"].format(
                    rule=rule, allowed=format_number(allowed), requested=format_number(requested), cap=cap
                )
            )
        else:
            lines.append(words["rule"].format(rule=rule, points=words["points"].format(n=format_number(allowed))))
    return lines


def join(parts: list[str], locale: str) -> str:
    """The whole line in one sentence: what, then why."""
    return _words(locale)["sep"].join(part for part in parts if part)


def deal_lines(scored: Breakdown, per: Any, currency: str, locale: str, source: Any = None) -> list[str]:
    """A deal's share of one rule line by line ("A100 ¥12,000 margin ¥3,000 ÷ 100 × 1.5 = 45"), and the rate a
    deal in another currency was converted at (``source``: the deal's amount and currency)."""
    words = _words(locale)
    said: list[str] = []
    if scored.conversion is not None and source is not None:
        conversion = scored.conversion
        said.append(
            words["converted"].format(
                money=format_money(source, conversion.source, locale),
                rate=conversion.rate if conversion.divisor == 1 else f"{conversion.rate} ÷ {conversion.divisor}",
                month=conversion.month,
                converted=format_money(conversion.apply(source), currency, locale),
            )
        )
    if scored.waiting_for is not None:
        said.append(words["waiting"].format(currency=scored.waiting_for, month=scored.month))
    if scored.flat:
        said.append(words["flat"].format(points=_points(scored.flat)))
    for line in scored.lines:
        revenue = format_money(line.revenue, currency, locale)
        what = line.product or words["deal"]
        if line.margin is not None:
            text = words["line_margin"].format(
                what=what, revenue=revenue, margin=format_money(line.margin, currency, locale)
            )
        else:
            text = words["line_no_margin"].format(what=what, revenue=revenue)
        factor = f" × {_points(line.factor)}" if line.factor != 1 else ""
        said.append(
            words["line_points"].format(line=text, per=format_number(per), factor=factor, points=_points(line.points))
        )
    return said


def _points(value: Any) -> str:
    """A share of points as exact as it is, to two places at most (the rule rounds down only its total)."""
    number = value.quantize(Decimal("0.01"), rounding=ROUND_DOWN).normalize()
    return format_number(number, max(0, -int(number.as_tuple().exponent)))
