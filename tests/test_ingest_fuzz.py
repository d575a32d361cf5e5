"""Ingest under fire: random mixtures of valid and hostile events (numbers past 64 bits or of thousands of digits,
lone surrogates, times outside any calendar, wrong types, unknown reps, ids sent again within and across batches,
reversals), as JSON and msgpack, from a few clients at once, against the real server.

Never a 5xx; every event of a batch is accepted once (or answered as a duplicate of itself) or rejected with its
index and a reason — exactly the hostile ones; and the board and every ledger hold exactly what the engine's own
scoring (``game.scoring.decide``) makes of the accepted events. Bounded and repeatable (derandomized) for CI."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.contests import parse_contest
from game.directory import Directory, Rep, Team
from game.events import parse_event
from game.scoring import decide
from tests.support.calendar import Calendar
from tests.support.org import Org, make_org, scores
from tests.support.server import RunningServer

CLIENTS = 3
RULES = [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 2}]
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24).filter(lambda s: bool(s.strip()))
ATTR_VALUE = st.one_of(st.integers(-(2**63), 2**63 - 1), st.booleans(), st.text(max_size=40).filter(str.isprintable))
AMOUNT = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
SURROGATE = st.sampled_from(["\ud800", "\udfff", "a\udc00b"])


@dataclass
class Item:
    """One element of a batch: the document sent, and whether it must be rejected."""

    document: Any
    hostile: bool
    json_only: bool = False  # msgpack cannot carry it (a lone surrogate, an integer of 65 bits)


@dataclass
class Plan:
    """What one example sends: per client, its batches (some as msgpack), and perhaps a body no parser reads."""

    clients: list[list[list[Item]]]
    junk: bytes | None = None
    msgpack_batches: set[tuple[int, int]] = field(default_factory=set)


def _valid(draw: st.DrawFn, slot: str, org: Org, calendar: Calendar) -> dict[str, Any]:
    rep = draw(st.sampled_from(org.reps))
    moment = calendar.at(draw(st.integers(1, 20)), draw(st.integers(0, 23)), draw(st.integers(0, 59)))
    if draw(st.integers(0, 3)) == 0:
        return {"id": slot, "type": "call.logged", "rep": rep, "occurred_at": moment}
    amount = draw(AMOUNT)
    event: dict[str, Any] = {
        "id": slot,
        "type": "deal.won",
        "rep": rep,
        "amount": int(amount) if amount == amount.to_integral_value() and draw(st.booleans()) else str(amount),
        "occurred_at": moment,
    }
    for name in ("category", "customer"):
        if draw(st.booleans()):
            event[name] = draw(TEXT)
    if draw(st.booleans()):
        event["attrs"] = draw(st.dictionaries(TEXT, ATTR_VALUE, max_size=4))
    return event


def _hostile(draw: st.DrawFn, slot: str, org: Org, calendar: Calendar) -> Item:
    base = {"id": slot, "type": "deal.won", "rep": org.reps[0], "amount": "10", "occurred_at": calendar.at(2)}
    kind = draw(st.integers(0, 15))
    if kind == 0:
        return Item({**base, "attrs": {"n": draw(st.integers(2**64, 2**200))}}, True, json_only=True)
    if kind == 1:
        return Item({**base, "attrs": {"n": draw(st.integers(2**63, 2**64 - 1))}}, True)
    if kind == 2:
        return Item({**base, "attrs": {"n": draw(st.integers(-(2**200), -(2**63) - 1))}}, True, json_only=True)
    if kind == 3:
        field_name = draw(st.sampled_from(["id", "customer", "category", "ref"]))
        return Item({**base, field_name: f"{slot}{draw(SURROGATE)}"}, True, json_only=True)
    if kind == 4:
        key_or_value = {draw(SURROGATE): 1} if draw(st.booleans()) else {"k": draw(SURROGATE)}
        return Item({**base, "attrs": key_or_value}, True, json_only=True)
    if kind == 5:
        when = draw(st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:59Z"]))
        return Item({**base, "occurred_at": when}, True)
    if kind == 6:
        return Item({**base, "amount": "9" * draw(st.integers(13, 5000))}, True)
    if kind == 7:
        return Item({**base, "amount": draw(st.sampled_from(["-1", "1e400", "NaN", "0.00001", "1,000", ""]))}, True)
    if kind == 8:
        return Item({**base, "id": draw(st.sampled_from([7, None, [], {}, True, "", "   "]))}, True)
    if kind == 9:
        return Item({**base, "rep": "nobody-" + slot}, True)
    if kind == 10:
        return Item({**base, "type": draw(st.sampled_from(["", "Deal.Won", "deal..won", 3, "x" * 65]))}, True)
    if kind == 11:
        return Item({key: value for key, value in base.items() if key != "amount"}, True)
    if kind == 12:
        return Item({**base, "attrs": draw(st.sampled_from([[], "x", {"k": {"n": 1}}, {"k": [1]}, {"k": 1.5}]))}, True)
    if kind == 13:
        return Item({"id": slot, "type": "deal.reversed", "rep": org.reps[0]}, True)
    if kind == 14:
        return Item(draw(st.sampled_from([1, "event", None, [], [base]])), True)
    return Item({**base, "occurred_at": draw(st.sampled_from(["yesterday", "2026-01-01T00:00:00", 1700000000]))}, True)


def _rounds(org: Org, calendar: Calendar) -> st.SearchStrategy[Plan]:
    @st.composite
    def build(draw: st.DrawFn) -> Plan:
        sent: list[dict[str, Any]] = []  # valid events sent so far: to send again, or to reverse
        reversed_ids: set[str] = set()
        counter = iter(range(10**6))
        clients: list[list[list[Item]]] = []
        for _client in range(CLIENTS):
            batches = []
            for _batch in range(draw(st.integers(1, 2))):
                items = []
                for _item in range(draw(st.integers(1, 40))):
                    slot = f"s{next(counter)}"
                    choice = draw(st.integers(0, 9))
                    if choice <= 1:
                        items.append(_hostile(draw, slot, org, calendar))
                    elif choice == 2 and sent:
                        items.append(Item(draw(st.sampled_from(sent)), False))  # the same event again
                    elif choice == 3 and (
                        deals := [e for e in sent if e["type"] == "deal.won" and e["id"] not in reversed_ids]
                    ):
                        deal = draw(st.sampled_from(deals))
                        reversed_ids.add(deal["id"])
                        reversal = {"id": slot, "type": "deal.reversed", "rep": deal["rep"], "ref": deal["id"]}
                        sent.append(reversal)
                        items.append(Item(reversal, False))
                    else:
                        event = _valid(draw, slot, org, calendar)
                        sent.append(event)
                        items.append(Item(event, False))
                batches.append(items)
            clients.append(batches)
        junk = draw(st.sampled_from([None, None, b"{not json", b"[" * 50_000 + b"]" * 50_000, b"\xff", b"[1,"]))
        as_msgpack = {
            (c, b)
            for c, batches in enumerate(clients)
            for b, batch in enumerate(batches)
            if draw(st.booleans()) and not any(item.json_only for item in batch)
        }
        return Plan(clients, junk, as_msgpack)

    return build()


def _prefixed(document: Any, run: str) -> Any:
    """Ids (and refs) unique to this run, so that hypothesis replaying an example sends new events."""
    if not isinstance(document, dict):
        return document
    document = dict(document)
    for name in ("id", "ref"):
        if isinstance(document.get(name), str) and document[name].startswith("s"):
            document[name] = f"{run}-{document[name]}"
    return document


def _send(client: httpx.Client, batch: list[Any], as_msgpack: bool) -> httpx.Response:
    if as_msgpack:
        body, media = msgpack.packb(batch), "application/msgpack"
    else:
        body, media = json.dumps(batch).encode(), "application/json"  # ensure_ascii: lone surrogates escaped
    return client.post("/api/v1/events", content=body, headers={"content-type": media})


def _expected_points(org: Org, events: list[dict[str, Any]], now: datetime) -> dict[str, int]:
    """What the engine's scoring makes of the accepted events: a reversed deal counts nothing, in either order."""
    contest = parse_contest(org.definition, default_timezone="Asia/Shanghai", default_currency="CNY")
    directory = Directory(
        reps={rep: Rep(rep, rep, org.teams[i // 3]) for i, rep in enumerate(org.reps)},
        teams={team: Team(team, team) for team in org.teams},
    )
    reversed_refs = {e["ref"] for e in events if e["type"] == "deal.reversed"}
    totals = dict.fromkeys(org.reps, 0)
    for document in events:
        if document["type"] == "deal.reversed" or document["id"] in reversed_refs:
            continue
        event = parse_event(document, now=now, default_currency="CNY")
        for change in decide(event, [contest], directory):
            totals[event.rep] += sum(hit.points for hit in change.hits)
    return totals


def test_random_mixtures_of_valid_and_hostile_events_never_fail_and_score_exactly(
    server: RunningServer, admin: httpx.Client
) -> None:
    org = make_org(admin, rules=RULES)
    calendar = Calendar.from_clock()
    accepted_events: dict[str, dict[str, Any]] = {}
    clients = [server.ingest() for _ in range(CLIENTS)]

    @settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(plan=_rounds(org, calendar))
    def run(plan: Plan) -> None:
        prefix = uuid.uuid4().hex[:10]

        def client_work(c: int) -> list[tuple[list[Item], httpx.Response]]:
            answers = []
            for b, batch in enumerate(plan.clients[c]):
                documents = [_prefixed(item.document, prefix) for item in batch]
                answers.append((batch, _send(clients[c], documents, (c, b) in plan.msgpack_batches)))
            if c == 0 and plan.junk is not None:
                junk = clients[c].post(
                    "/api/v1/events", content=plan.junk, headers={"content-type": "application/json"}
                )
                assert junk.status_code == 400 and "error" in junk.json(), junk.text[:300]
            return answers

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            answered = [pair for answers in pool.map(client_work, range(CLIENTS)) for pair in answers]
        new_ids: set[str] = set()
        accepted = 0
        for batch, response in answered:
            assert response.status_code < 500, response.text[:500]
            assert response.status_code in (200, 422), response.text[:500]
            answer = response.json()
            assert "rejected" in answer, (
                response.status_code,
                answer,
                [item.document for item in batch],
            )  # a refusal whole
            assert {r["index"] for r in answer["rejected"]} == {i for i, item in enumerate(batch) if item.hostile}, (
                [item.document for item in batch],
                answer,
            )
            assert all(r["error"] and r["errors"] for r in answer["rejected"]), answer
            assert answer["accepted"] + answer["duplicates"] + len(answer["rejected"]) == len(batch), answer
            accepted += answer["accepted"]
            for item in batch:
                if not item.hostile:
                    new_ids.add(_prefixed(item.document, prefix)["id"])
                    accepted_events[_prefixed(item.document, prefix)["id"]] = _prefixed(item.document, prefix)
        assert accepted == len(new_ids)  # every valid event exactly once, whoever sent it first

        expected = _expected_points(org, list(accepted_events.values()), datetime.now(UTC))
        assert scores(admin, org.contest) == expected
        for rep in org.reps:
            ledger = admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": org.contest, "limit": 1})
            assert ledger.status_code == 200 and ledger.json()["total"] == expected[rep], ledger.text

    try:
        run()
    finally:
        for client in clients:
            client.close()
    assert sum(1 for e in accepted_events.values() if e["type"] == "deal.reversed") > 0
    assert any(Decimal(str(e.get("amount", 0))) > 1000 for e in accepted_events.values())
