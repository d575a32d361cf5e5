"""Duplicate new customer (重复新客户): one customer counted as "new" more than once.

Standing events that mark a new customer (a deal with ``new_customer``, or ``customer.new``) are grouped by
customer (trimmed, case-insensitive) over the whole history read; every mark after the first one that
falls in the contest and belongs to a participant is flagged, one flag per rep and customer, with the first
mark shown for context. "Reverse" takes back the duplicates only.
"""

from __future__ import annotations

from game.flags import DEAL_TYPES, Flag, FlagContext
from game.log_event import LogEvent

KIND = "duplicate_new_customer"


def detect(ctx: FlagContext) -> list[Flag]:
    marks: dict[str, list[LogEvent]] = {}
    for event in ctx.history.standing.values():
        counts_new = (event.type in DEAL_TYPES and event.new_customer) or event.type == "customer.new"
        if counts_new and event.customer:
            marks.setdefault(event.customer.strip().casefold(), []).append(event)
    flags: list[Flag] = []
    for _name, events in sorted(marks.items()):
        if len(events) < 2:
            continue
        ordered = sorted(events, key=lambda e: (e.occurred_at, e.received_at, e.key))
        first = ordered[0]
        by_rep: dict[str, list[LogEvent]] = {}
        for event in ordered[1:]:
            if event.rep in ctx.participants and ctx.in_contest(event.occurred_at):
                by_rep.setdefault(event.rep, []).append(event)
        for rep, duplicates in sorted(by_rep.items()):
            customer = first.customer or ""
            when = first.occurred_at.astimezone(ctx.contest.zone).date().isoformat()
            flags.append(
                Flag(
                    KIND,
                    ctx.contest.id,
                    rep,
                    {
                        "zh-CN": f"客户「{customer}」已于 {when} 由 {first.rep} 记为新客户，"
                        f"又被记为新客户 {len(duplicates)} 次。",
                        "en": f"Customer '{customer}' was already counted as new on {when} (by {first.rep}) and was "
                        f"counted as new {len(duplicates)} more time(s).",
                    },
                    (first, *duplicates),
                    tuple(duplicates),
                    {"customer": customer, "first": first.key, "duplicates": len(duplicates)},
                )
            )
    return flags
