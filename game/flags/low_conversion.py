"""Low conversion (刷活动量): activity (calls, meetings) spikes while deals do not follow.

Against the rep's own baseline (the same length before the contest): activity at least ``SPIKE`` × the
baseline and ``MIN_EXTRA`` more, with deals not above ``DEALS_FLAT`` × the baseline's. A rep without a
baseline is compared with the participants' median: activity at least ``PEER_SPIKE`` × the median and
``MIN_EXTRA`` more, with a conversion (deals per activity) under a third of the median conversion.
"""

from __future__ import annotations

import statistics

from game.flags import ACTIVITY_TYPES, DEAL_TYPES, MAX_LISTED_EVENTS, Flag, FlagContext
from game.log_event import LogEvent

KIND = "low_conversion"
SPIKE = 2.0
PEER_SPIKE = 3.0
MIN_EXTRA = 30
DEALS_FLAT = 1.1


def detect(ctx: FlagContext) -> list[Flag]:
    activity: dict[str, list[LogEvent]] = {}
    before_activity: dict[str, int] = {}
    deals: dict[str, int] = {}
    before_deals: dict[str, int] = {}
    for event in ctx.history.standing.values():
        if event.rep not in ctx.participants:
            continue
        in_contest = ctx.in_contest(event.occurred_at)
        if not in_contest and not ctx.in_baseline(event.occurred_at):
            continue
        if event.type in ACTIVITY_TYPES:
            if in_contest:
                activity.setdefault(event.rep, []).append(event)
            else:
                before_activity[event.rep] = before_activity.get(event.rep, 0) + 1
        elif event.type in DEAL_TYPES:
            table = deals if in_contest else before_deals
            table[event.rep] = table.get(event.rep, 0) + 1
    counts = {rep: len(events) for rep, events in activity.items()}
    median_activity = statistics.median(counts.values()) if counts else 0
    conversions = [deals.get(rep, 0) / n for rep, n in counts.items() if n]
    median_conversion = statistics.median(conversions) if conversions else 0
    flags: list[Flag] = []
    for rep, events in sorted(activity.items()):
        now, then = len(events), before_activity.get(rep, 0)
        won, won_before = deals.get(rep, 0), before_deals.get(rep, 0)
        if then:
            fired = now >= SPIKE * then and now - then >= MIN_EXTRA and won <= DEALS_FLAT * won_before
            zh = (
                f"活动量从基准期的 {then} 次升到 {now} 次（{now / then:.1f} 倍），"
                f"成交却从 {won_before} 笔变为 {won} 笔。"
            )
            en = (
                f"Activity rose from {then} in the baseline period to {now} ({now / then:.1f}×) while deals went "
                f"from {won_before} to {won}."
            )
        else:
            conversion = won / now if now else 0
            fired = (
                median_activity > 0
                and now >= PEER_SPIKE * median_activity
                and now - median_activity >= MIN_EXTRA
                and conversion < median_conversion / 3
            )
            zh = (
                f"活动量 {now} 次，是参赛者中位数 {median_activity:g} 的 {now / median_activity:.1f} 倍，"
                f"转化率却只有 {conversion:.1%}（中位数 {median_conversion:.1%}）。"
                if median_activity
                else ""
            )
            en = (
                f"{now} activities, {now / median_activity:.1f}× the participants' median of {median_activity:g}, "
                f"with a conversion of only {conversion:.1%} (median {median_conversion:.1%})."
                if median_activity
                else ""
            )
        if not fired:
            continue
        listed = tuple(sorted(events, key=lambda e: e.occurred_at)[:MAX_LISTED_EVENTS])
        flags.append(
            Flag(
                KIND,
                ctx.contest.id,
                rep,
                {"zh-CN": zh + "可能是为积分刷活动量。", "en": en + " Possibly activity logged for points."},
                listed,
                listed,
                {
                    "activity": now,
                    "baseline_activity": then,
                    "deals": won,
                    "baseline_deals": won_before,
                    "median_activity": median_activity,
                    "listed": len(listed),
                },
            )
        )
    return flags
