"""Reversal rate (退单率异常): a rep's share of reversed deals far above their own normal and the team's.

Fires when a rep has at least ``MIN_REVERSED`` reversed deals among those won in the contest, a reversal
rate of at least ``MIN_RATE``, and at least ``FACTOR`` × the reference rate: the rep's own rate over the
``HISTORY_PERIODS`` contest lengths before the start (with at least ``MIN_HISTORY`` deals), else the rate
of all participants in the contest.
"""

from __future__ import annotations

from game.flags import DEAL_TYPES, HISTORY_PERIODS, Flag, FlagContext
from game.log_event import LogEvent

KIND = "reversal_rate"
MIN_REVERSED = 3
MIN_RATE = 0.25
FACTOR = 3.0
MIN_HISTORY = 10


def detect(ctx: FlagContext) -> list[Flag]:
    won: dict[str, int] = {}
    reversed_now: dict[str, list[tuple[LogEvent, LogEvent]]] = {}
    won_before: dict[str, int] = {}
    reversed_before: dict[str, int] = {}
    for key, original in ctx.history.originals.items():
        if original.type not in DEAL_TYPES or original.rep not in ctx.participants:
            continue
        reversal = ctx.history.reversals.get(key)
        if ctx.in_contest(original.occurred_at):
            won[original.rep] = won.get(original.rep, 0) + 1
            if reversal is not None:
                reversed_now.setdefault(original.rep, []).append((original, reversal))
        elif ctx.in_baseline(original.occurred_at, HISTORY_PERIODS):
            won_before[original.rep] = won_before.get(original.rep, 0) + 1
            if reversal is not None:
                reversed_before[original.rep] = reversed_before.get(original.rep, 0) + 1
    total_won = sum(won.values())
    team_rate = sum(len(p) for p in reversed_now.values()) / total_won if total_won else 0.0
    flags: list[Flag] = []
    for rep, pairs in sorted(reversed_now.items()):
        rate = len(pairs) / won[rep]
        history = won_before.get(rep, 0)
        if history >= MIN_HISTORY:
            reference, basis = reversed_before.get(rep, 0) / history, "own"
        else:
            reference, basis = team_rate, "participants"
        if len(pairs) < MIN_REVERSED or rate < MIN_RATE or rate < FACTOR * reference:
            continue
        own_zh, own_en = ("其以往", "their own usual") if basis == "own" else ("全体参赛者", "all participants'")
        flags.append(
            Flag(
                KIND,
                ctx.contest.id,
                rep,
                {
                    "zh-CN": f"竞赛期间成交 {won[rep]} 笔，其中 {len(pairs)} 笔被退单（{rate:.0%}），"
                    f"远高于{own_zh}退单率 {reference:.0%}。",
                    "en": f"{len(pairs)} of {won[rep]} deals won in the contest were reversed ({rate:.0%}), far above "
                    f"{own_en} rate of {reference:.0%}.",
                },
                tuple(event for pair in pairs for event in pair),
                tuple(original for original, _ in pairs),
                {
                    "won": won[rep],
                    "reversed": len(pairs),
                    "rate": round(rate, 4),
                    "reference_rate": round(reference, 4),
                    "reference": basis,
                },
            )
        )
    return flags
