"""A contest's rules in plain words, in either language: "每成交 ¥1,000 得 1 分，高利润产品 ×1.5".

Managers see it in the wizard before they launch; reps see the same sentence on their phones. Built from
the definition as written (every phrase comes from the message catalogs), so it can never disagree with
what the engine scores.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from server.i18n.catalogs import format_money, format_number, gettext_for


def _n_(message: str) -> str:
    return message  # marks a string for the catalogs; translated where it is used


EVENT_LABELS = {
    "deal.won": _n_("Deal won"),
    "call.logged": _n_("Call"),
    "meeting.held": _n_("Meeting"),
    "customer.new": _n_("New customer"),
    "csat.recorded": _n_("CSAT survey"),
    "visit.logged": _n_("Visit"),
    "deal.created": _n_("Opportunity created"),
    "deal.lost": _n_("Opportunity lost"),
}
CATEGORY_LABELS = {
    "high_margin": _n_("high-margin products"),
    "low_margin": _n_("low-margin products"),
    "standard": _n_("standard products"),
}
TEAM_SCORES = {
    "sum": _n_("team score: the sum of its members"),
    "average": _n_("team score: the average per member"),
}


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _count(value: Any) -> int:
    """Points or a cap from a definition that may not have been checked yet: 0 when it is no sensible number."""
    number = None if isinstance(value, bool) else _decimal(value)
    if number is None or not number.is_finite() or number.adjusted() > 18:
        return 0
    return int(number)


def _factor(value: Any) -> str:
    number = _decimal(value)
    return format(number.normalize(), "f") if number is not None else str(value)


def _label(tr: Any, table: dict[str, str], key: str) -> str:
    return str(tr.gettext(table[key])) if key in table else key


def _multipliers(tr: Any, table: Any) -> list[str]:
    parts = []
    for attribute, factors in (table or {}).items() if isinstance(table, dict) else ():
        for value, factor in (factors or {}).items() if isinstance(factors, dict) else ():
            if attribute == "category":
                name = _label(tr, CATEGORY_LABELS, value)
            elif attribute == "product":
                name = tr.gettext("product %(product)s") % {"product": value}
            else:
                name = f"{attribute}={value}"
            parts.append(tr.gettext("%(category)s ×%(factor)s") % {"category": name, "factor": _factor(factor)})
    return parts


def rule_clause(rule: Any, locale: str, currency: str) -> str:
    """One rule in words ("每成交 ¥1,000 得 1 分，每天最多 50 分"): the rules summary and each ledger line use it."""
    if not isinstance(rule, dict):
        return ""
    tr = gettext_for(locale)
    sep = "，" if locale == "zh-CN" else ", "
    on = str(rule.get("on", ""))
    event = _label(tr, EVENT_LABELS, on)
    points = _count(rule.get("points"))
    per = _decimal(rule.get("points_per")) if rule.get("points_per") is not None else None
    parts: list[str] = []
    if per is not None:
        money = format_money(per, currency, locale)
        if rule.get("basis") == "margin":
            parts.append(tr.gettext("1 point per %(money)s of margin") % {"money": money})
        elif on == "deal.won":
            parts.append(tr.gettext("1 point per %(money)s won") % {"money": money})
        else:
            parts.append(tr.gettext("%(event)s: 1 point per %(money)s") % {"event": event, "money": money})
    if points:
        if on == "deal.won" and rule.get("new_customer_only"):
            text = tr.ngettext(
                "+%(n)s point for each deal with a new customer",
                "+%(n)s points for each deal with a new customer",
                points,
            )
        elif on == "deal.won":
            text = tr.ngettext("+%(n)s point per deal won", "+%(n)s points per deal won", points)
        else:
            text = tr.ngettext("%(event)s: +%(n)s point each", "%(event)s: +%(n)s points each", points)
        parts.append(text % {"n": format_number(points), "event": event})
    elif rule.get("new_customer_only"):
        parts.append(tr.gettext("new customers only"))
    if rule.get("category"):
        values = rule["category"] if isinstance(rule["category"], list) else [rule["category"]]
        names = ("、" if locale == "zh-CN" else ", ").join(_label(tr, CATEGORY_LABELS, str(v)) for v in values)
        parts.append(tr.gettext("only %(categories)s") % {"categories": names})
    if rule.get("min_amount") is not None:
        money = format_money(rule["min_amount"], currency, locale)
        parts.append(tr.gettext("deals of at least %(money)s") % {"money": money})
    cap = _count(rule.get("cap_per_day"))
    if cap:
        parts.append(tr.ngettext("at most %(n)s point a day", "at most %(n)s points a day", cap) % {"n": cap})
    parts += _multipliers(tr, rule.get("multipliers"))
    return sep.join(parts)


def describe_rules(definition: dict[str, Any], locale: str, currency: str) -> list[str]:
    """One clause per rule, then contest-wide multipliers, goals and the team score."""
    tr = gettext_for(locale)
    sep = "，" if locale == "zh-CN" else ", "
    currency = str(definition.get("currency") or currency)
    clauses = [clause for rule in definition.get("rules") or [] if (clause := rule_clause(rule, locale, currency))]
    wide = _multipliers(tr, definition.get("multipliers"))
    if wide:
        clauses.append(sep.join(wide))
    capped = any(isinstance(rule, dict) and rule.get("cap_per_day") for rule in definition.get("rules") or [])
    if capped and definition.get("cap_days") == "working":
        clauses.append(
            tr.gettext("daily caps count per working day: a day off counts towards the working day before it")
        )
    if definition.get("kind") == "race" and definition.get("target"):
        clauses.append(tr.gettext("first to %(n)s points wins") % {"n": format_number(definition["target"])})
    if definition.get("goal"):
        clauses.append(tr.gettext("shared goal: %(n)s points") % {"n": format_number(definition["goal"])})
    clauses += confirmation(tr, definition.get("confirm"))
    team_score = str(definition.get("team_score") or "sum")
    if definition.get("kind") == "team" or definition.get("team_score"):
        if team_score.startswith("best:"):
            clauses.append(tr.gettext("team score: its best %(n)s members") % {"n": team_score[5:]})
        elif team_score in TEAM_SCORES:
            clauses.append(tr.gettext(TEAM_SCORES[team_score]))
    return clauses


def confirmation(tr: Any, confirm: Any) -> list[str]:
    """Provisional points in words: what confirms a deal, and what happens without it."""
    if not isinstance(confirm, dict) or not confirm.get("on"):
        return []
    days, auto = _count(confirm.get("within_days")), _count(confirm.get("auto_after_days"))
    if auto:
        text = tr.ngettext(
            "deals are provisional until %(event)s, or for %(n)s day without a reversal",
            "deals are provisional until %(event)s, or for %(n)s days without a reversal",
            auto,
        )
        return [text % {"event": confirm["on"], "n": auto}]
    text = tr.ngettext(
        "deals are provisional until %(event)s; unconfirmed after %(n)s day, they drop out",
        "deals are provisional until %(event)s; unconfirmed after %(n)s days, they drop out",
        days,
    )
    return [text % {"event": confirm["on"], "n": days}]


def summary(definition: dict[str, Any], locale: str, currency: str) -> str:
    clauses = describe_rules(definition, locale, currency)
    return ("；" if locale == "zh-CN" else "; ").join(clauses) + ("。" if locale == "zh-CN" else ".") if clauses else ""
