"""``GET /api/v1/reps/{id}/ledger?contest=``: every event that changed a rep's score, and why.

Transparency is the point: the entries add up to the board score, a reversal is its own negative
entry, and an event a daily cap swallowed shows as 0 with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from msgspec import Meta, Struct
from starlette.requests import Request

from game.contests import Contest
from game.deal_points import breakdown, needs_breakdown
from game.events import Event
from game.events import id_of_key as event_id
from game.exchange_rates import Rates
from game.scoring import DEAL_TYPES
from server.api.contract import Answer, ApiRoute, Operation
from server.auth.access import REP_DATA
from server.http import ApiError, ArenaJSONResponse, arena_of, page_limit, require
from server.i18n import ledger_text
from server.i18n.catalogs import choose_locale
from server.services.disputes import adjustment_dispute

if TYPE_CHECKING:
    from server.arena import Arena

Disputes = dict[str, dict[str, Any]]  # dispute id -> dispute, the rep's in the contest

MAX_PAGE = 500


NOTES = {
    "en": {
        "undo": "reversal of {deal}",
        "reversed_before": "0: this deal was reversed before it arrived",
        "confirmed": "{deal} confirmed: its points are no longer provisional",
        "expired": "{deal} not confirmed in time: its provisional points drop out",
        "rule": "rule {n}",
        "capped": "{label}: {allowed} of {requested} (daily cap {cap} reached)",
        "plus": "{label}: +{allowed}",
        "adjusted": "adjustment after dispute {id}: {note}",
    },
    "zh-CN": {
        "undo": "冲销 {deal}",
        "reversed_before": "0：此单到达前已被冲销",
        "confirmed": "{deal} 已确认：积分不再是待确认",
        "expired": "{deal} 未按时确认：待确认积分已扣除",
        "rule": "规则 {n}",
        "capped": "{label}：{requested} 分中得 {allowed} 分（已达每日上限 {cap}）",
        "plus": "{label}：+{allowed}",
        "adjusted": "申诉 {id} 的调整：{note}",
    },
}


def describe(entry: dict[str, Any], contest: Contest, locale: str = "en", disputes: Disputes | None = None) -> str:
    """The note of a ledger entry, in plain words in the reader's language (an adjustment: its dispute's note)."""
    text = NOTES["zh-CN" if locale.startswith("zh") else "en"]
    if (dispute_id := adjustment_dispute(entry["event"], entry["type"])) is not None:
        dispute = (disputes or {}).get(dispute_id, {})
        return text["adjusted"].format(id=dispute_id, note=dispute.get("note", ""))
    if entry["note"] == "undo":
        return text["undo"].format(deal=event_id(entry["deal"]))
    if entry["note"] == "reversed_before":
        return text["reversed_before"]
    if entry["note"] in ("confirmed", "expired"):
        return text[entry["note"]].format(deal=event_id(entry["deal"]))
    parts = []
    for rule_index, allowed, _cap_field, requested, cap in entry.get("hits", []):
        rule = contest.rules[rule_index] if rule_index < len(contest.rules) else None
        label = text["rule"].format(n=rule_index + 1) + (f" ({rule.on})" if rule else "")
        key = "capped" if allowed < requested else "plus"
        parts.append(text[key].format(label=label, allowed=allowed, requested=requested, cap=cap))
    return "; ".join(parts)


def render(
    entry: dict[str, Any],
    contest: Contest,
    locale: str = "en",
    disputes: Disputes | None = None,
    deals: Mapping[str, Event] | None = None,
    rates: Rates | None = None,
) -> dict[str, Any]:
    """One line with its ids (for the detail view) and the same line in words (for the statement); ``dispute``
    names the newest dispute of its event, so the phone shows it instead of a button."""
    rules = contest.definition.get("rules") or []
    note = describe(entry, contest, locale, disputes)
    adjusted = adjustment_dispute(entry["event"], entry["type"]) is not None
    said = ledger_text.rule_lines(entry, rules, contest.currency, locale) if not adjusted else [note]
    what = ledger_text.what(entry, contest.currency, locale)
    lines = deal_lines(entry, contest, locale, deals, rates)
    line = {
        "event": event_id(entry["event"]),
        "type": entry["type"],
        "occurred_at": datetime.fromtimestamp(entry["at"], UTC).astimezone(contest.zone).isoformat(),
        "rule_version": entry["v"],
        "points": entry["points"],
        "note": note,
        "what": what,
        "rules": said,
        "description": ledger_text.join([what, *said, *lines], locale),
        **({"lines": lines} if lines else {}),
        **({"amount": str(entry["amount"])} if entry.get("amount") else {}),
        **({"customer": entry["customer"]} if entry.get("customer") else {}),
    }
    about = [d for d in (disputes or {}).values() if d.get("event") == line["event"]]
    if about:
        newest = max(about, key=lambda d: d["created_at"])
        line["dispute"] = {"id": newest["id"], "status": newest["status"]}
    return line


def deal_lines(
    entry: dict[str, Any],
    contest: Contest,
    locale: str,
    deals: Mapping[str, Event] | None,
    rates: Rates | None,
) -> list[str]:
    """A deal with line items, a margin rule or another currency: each money rule's points line by line, and the
    rate it was converted at, recomputed from the logged deal by the same pure function that scored it."""
    deal = (deals or {}).get(entry["event"])
    if deal is None or entry.get("note") != "apply":
        return []
    said: list[str] = []
    for rule_index, *_ in entry.get("hits", []):
        rule = contest.rules[rule_index] if 0 <= rule_index < len(contest.rules) else None
        if rule is None or not needs_breakdown(rule, deal, contest.currency):
            continue
        scored = breakdown(rule, deal, contest.currency, rates)
        said += ledger_text.deal_lines(scored, rule.points_per, contest.currency, locale, deal.amount)
    return said


async def logged_deals(arena: Arena, contest: Contest, entries: list[dict[str, Any]]) -> dict[str, Event]:
    """The logged deals of the ledger lines that may need ``deal_lines`` (one read of the log, only when the
    contest scores money)."""
    if not any(rule.points_per is not None for rule in contest.rules):
        return {}
    wanted = [e["event"] for e in entries if e.get("note") == "apply" and e.get("type") in DEAL_TYPES and e.get("hits")]
    found = await arena.event_log.logged(wanted)
    return {key: Event.from_record(record) for key, record in found.items()}


_STREAM_ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
_LAST_ID_PART = 2**64 - 1  # a page starts after its cursor, and nothing comes after the very last id


def is_stream_cursor(cursor: str) -> bool:
    """A stream id the ledger could have handed out as ``next_cursor`` (``<ms>-<seq>``, each within 64 bits)."""
    found = _STREAM_ID.fullmatch(cursor)
    return found is not None and all(int(part) < _LAST_ID_PART for part in found.groups())


async def ledger(request: Request) -> ArenaJSONResponse:
    rep_id = request.path_params["id"]
    arena = arena_of(request)
    snapshot = await arena.registry.current()
    await require(request, lambda p: p.may_read_rep(rep_id, snapshot.directory), "read this rep's ledger")
    contest_id = request.query_params.get("contest")
    if not contest_id:
        raise ApiError(422, "contest is required", [{"field": "contest", "message": "the contest id"}])
    contest = snapshot.contests.get(contest_id)
    if contest is None:
        raise ApiError(404, f"no contest {contest_id!r}")
    if rep_id not in snapshot.directory.reps:
        raise ApiError(404, f"no rep {rep_id!r}")
    limit = page_limit(request, 100, MAX_PAGE)
    cursor = request.query_params.get("cursor", "-")
    if cursor != "-" and not is_stream_cursor(cursor):
        raise ApiError(422, "invalid cursor", [{"field": "cursor", "message": "use next_cursor of the last page"}])
    entries, next_cursor = await arena.store.read_ledger(contest.id, contest.epoch, rep_id, cursor=cursor, count=limit)
    locale = choose_locale(
        request.query_params.get("lang"), request.headers.get("accept-language", ""), arena.settings.locale
    )
    total = await arena.store.ledger_total(contest.id, contest.epoch, rep_id)
    disputes = {d["id"]: d for d in await arena.disputes.all() if d["rep"] == rep_id and d["contest"] == contest.id}
    deals = await logged_deals(arena, contest, entries)
    return ArenaJSONResponse(
        {
            "rep": rep_id,
            "contest": contest.id,
            "total": total,
            "entries": [render(e, contest, locale, disputes, deals, snapshot.rates) for e in entries],
            "next_cursor": next_cursor,
        }
    )


class LineDispute(Struct):
    id: str
    status: str


class LedgerEntry(Struct, omit_defaults=True):
    event: str | None = None
    type: str | None = None
    occurred_at: str | None = None
    rule_version: int | None = None
    points: int | None = None
    note: str | None = None
    what: (
        Annotated[str, Meta(description="The event in words: a won deal of ¥31,200 for a customer, a call.")] | None
    ) = None
    rules: (
        Annotated[list[str], Meta(description="Each rule that scored it, in words, with points and caps.")] | None
    ) = None
    description: Annotated[str, Meta(description="The whole line in words, in the reader's language.")] | None = None
    amount: str | None = None
    customer: str | None = None
    dispute: LineDispute | None = None
    lines: (
        Annotated[
            list[str],
            Meta(description="A deal's points line by line (margin, product multipliers) and its exchange rate."),
        ]
        | None
    ) = None


class LedgerPage(Struct):
    rep: str
    contest: str
    total: int
    entries: list[LedgerEntry]
    next_cursor: str | None = None


class LedgerQuery(Struct):
    contest: Annotated[str, Meta(description="The contest id.")]
    limit: Annotated[str, Meta(description="Entries to return (1–500).")] | None = None
    cursor: Annotated[str, Meta(description="next_cursor of the last page.")] | None = None


routes = [
    ApiRoute(
        "/reps/{id}/ledger",
        ledger,
        "GET",
        Operation(
            "Every event that changed the rep's score, and why",
            "reps",
            "people",
            response=LedgerPage,
            query=LedgerQuery,
            answers=(
                Answer(422, "no contest named", "contest"),
                Answer(404, "no such contest or rep", query={"contest": "nope-404"}),
                Answer(
                    422,
                    "a cursor the server did not hand out",
                    "cursor",
                    query={"contest": "{contest}", "cursor": "x"},
                    path={"id": "{rep}"},
                    cross_field=True,
                ),
            ),
            access=REP_DATA,
        ),
    ),
]
