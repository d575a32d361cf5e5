"""Split deals (拆单): one deal cut into several just under a threshold — a rule's ``min_amount``, a big-deal
badge amount — for the same customer within a short time, or many deals to one customer in one day.

Fires when, for one rep and one customer, at least ``MIN_PARTS`` standing deals within ``WINDOW`` each lie
from ``JUST_UNDER`` × threshold up to the threshold and together reach it; or when ``SAME_DAY_PARTS`` deals
go to one customer within 24 hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from game.flags import DEAL_TYPES, Flag, FlagContext, money
from game.log_event import LogEvent

KIND = "split_deals"
WINDOW = timedelta(hours=48)
JUST_UNDER = Decimal("0.8")
MIN_PARTS = 3
SAME_DAY = timedelta(hours=24)
SAME_DAY_PARTS = 5


def amount_of(event: LogEvent) -> Decimal:
    return event.amount if event.amount is not None else Decimal(0)


def clusters(events: Sequence[LogEvent], window: timedelta, minimum: int) -> list[list[LogEvent]]:
    """Non-overlapping runs (greedy, earliest first) of at least ``minimum`` events within ``window``."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.key))
    found: list[list[LogEvent]] = []
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1].occurred_at - ordered[start].occurred_at <= window:
            end += 1
        if end - start + 1 >= minimum:
            found.append(ordered[start : end + 1])
            start = end + 1
        else:
            start += 1
    return found


def detect(ctx: FlagContext) -> list[Flag]:
    currency = ctx.contest.currency
    groups: dict[tuple[str, str], list[LogEvent]] = {}
    for event in ctx.history.standing.values():
        if (
            event.type in DEAL_TYPES
            and event.customer
            and event.amount is not None
            and event.rep in ctx.participants
            and ctx.in_contest(event.occurred_at)
        ):
            groups.setdefault((event.rep, event.customer.strip().casefold()), []).append(event)
    flags: list[Flag] = []
    for (rep, _customer), deals in sorted(groups.items()):
        flagged: set[str] = set()
        customer = deals[0].customer or ""
        for threshold in ctx.thresholds:
            under = [d for d in deals if d.key not in flagged and JUST_UNDER * threshold <= amount_of(d) < threshold]
            for run in clusters(under, WINDOW, MIN_PARTS):
                total = sum((amount_of(d) for d in run), Decimal(0))
                if total < threshold:
                    continue
                flagged.update(d.key for d in run)
                hours = int((run[-1].occurred_at - run[0].occurred_at).total_seconds() // 3600) + 1
                flags.append(
                    Flag(
                        KIND,
                        ctx.contest.id,
                        rep,
                        {
                            "zh-CN": f"{len(run)} 笔成交在 {hours} 小时内都给了同一客户「{customer}」，每笔都略低于 "
                            f"{money(threshold, currency)} 的门槛，合计 {money(total, currency)}：可能是拆单。",
                            "en": f"{len(run)} deals to the same customer '{customer}' within {hours} h, each just "
                            f"under the {money(threshold, currency)} threshold, {money(total, currency)} in total: "
                            "possibly one deal split up.",
                        },
                        tuple(run),
                        tuple(run),
                        {"threshold": str(threshold), "total": str(total), "deals": len(run), "hours": hours},
                    )
                )
        rest = [d for d in deals if d.key not in flagged]
        for run in clusters(rest, SAME_DAY, SAME_DAY_PARTS):
            total = sum((amount_of(d) for d in run), Decimal(0))
            flags.append(
                Flag(
                    KIND,
                    ctx.contest.id,
                    rep,
                    {
                        "zh-CN": f"24 小时内给同一客户「{customer}」录入了 {len(run)} 笔成交（合计 "
                        f"{money(total, currency)}）：可能是一笔拆成了多笔。",
                        "en": f"{len(run)} deals to the same customer '{customer}' within 24 h "
                        f"({money(total, currency)} in total): possibly one deal split up.",
                    },
                    tuple(run),
                    tuple(run),
                    {"total": str(total), "deals": len(run), "hours": 24},
                )
            )
    return flags
