"""A ledger line as a bank statement reads, in the rep's language: what happened ("赢单 ¥31,200 · 客户 X"),
which rule paid for it in words (the same clause the contest's rules summary uses), and any daily cap.

Event ids and rule numbers stay out of these words: the phone shows them only on a line's detail view.
"""

from __future__ import annotations

from typing import Any

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
