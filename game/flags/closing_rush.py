"""Closing rush (冲刺后退单): deals bunched right before the contest closes and reversed after it closed.

The closing stretch is the last ``max(24 h, 5 %)`` of the contest. Fires for a rep whose deals in the stretch
were reversed after the close when either at least ``MIN_DEALS`` of them were, and the rep's deals were
bunched in the stretch (at least ``BUNCHED`` × what the rep's own pace over the contest would put there);
or those reversed deals are worth at least ``MIN_SHARE`` of the rep's contest revenue (deals as first
reported, reversed ones included). Late deals refunded in the normal course of business do neither.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from game.flags import DEAL_TYPES, Flag, FlagContext, money
from game.log_event import LogEvent

KIND = "closing_rush"
MIN_STRETCH = timedelta(hours=24)
STRETCH_SHARE = 0.05
MIN_DEALS = 2
MIN_SHARE = Decimal("0.3")
BUNCHED = 2.0


def detect(ctx: FlagContext) -> list[Flag]:
    contest = ctx.contest
    stretch = max(MIN_STRETCH, ctx.length * STRETCH_SHARE)
    closing = contest.ends_at - stretch
    gross: dict[str, Decimal] = {}
    deals: dict[str, int] = {}
    in_stretch: dict[str, int] = {}
    late: dict[str, list[tuple[LogEvent, LogEvent]]] = {}
    for key, original in ctx.history.originals.items():
        if original.type not in DEAL_TYPES or original.rep not in ctx.participants:
            continue
        if not ctx.in_contest(original.occurred_at):
            continue
        amount = original.amount or Decimal(0)
        gross[original.rep] = gross.get(original.rep, Decimal(0)) + amount
        deals[original.rep] = deals.get(original.rep, 0) + 1
        if original.occurred_at >= closing:
            in_stretch[original.rep] = in_stretch.get(original.rep, 0) + 1
        reversal = ctx.history.reversals.get(key)
        if (
            reversal is not None
            and original.occurred_at >= closing
            and max(reversal.received_at, reversal.occurred_at) >= contest.ends_at
        ):
            late.setdefault(original.rep, []).append((original, reversal))
    flags: list[Flag] = []
    currency = contest.currency
    for rep, pairs in sorted(late.items()):
        reversed_amount = sum((o.amount or Decimal(0) for o, _ in pairs), Decimal(0))
        share = reversed_amount / gross[rep] if gross.get(rep) else Decimal(0)
        pace = deals[rep] * (stretch / ctx.length)
        bunched = in_stretch.get(rep, 0) >= BUNCHED * pace
        if not ((len(pairs) >= MIN_DEALS and bunched) or share >= MIN_SHARE):
            continue
        hours = int(stretch.total_seconds() // 3600)
        flags.append(
            Flag(
                KIND,
                contest.id,
                rep,
                {
                    "zh-CN": f"截止前 {hours} 小时内录入了 {in_stretch.get(rep, 0)} 笔成交"
                    f"（按其平时节奏约 {pace:.1f} 笔），"
                    f"其中 {len(pairs)} 笔（{money(reversed_amount, currency)}，占其竞赛业绩 {share:.0%}）"
                    "在竞赛结束后被退单。",
                    "en": f"{in_stretch.get(rep, 0)} deals entered in the last {hours} h before the close (about "
                    f"{pace:.1f} at the rep's usual pace); {len(pairs)} of them ({money(reversed_amount, currency)}, "
                    f"{share:.0%} of the rep's contest revenue) were reversed after the contest ended.",
                },
                tuple(event for pair in pairs for event in pair),
                tuple(original for original, _ in pairs),
                {
                    "deals": len(pairs),
                    "reversed_amount": str(reversed_amount),
                    "share": f"{share:.4f}",
                    "stretch_hours": hours,
                    "deals_in_stretch": in_stretch.get(rep, 0),
                    "expected_in_stretch": round(pace, 2),
                },
            )
        )
    return flags
