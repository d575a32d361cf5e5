"""A closed contest keeps only what answers for it: archived (or closed for good), its per-event keys are
dropped and each rep's ledger is folded into the archive, while results, the board and every ledger line,
page by page, read exactly as before."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import redis

from game import contest_archive as archive
from game import keys
from game.contests import parse_contest
from tests.support.closing import fast, iso
from tests.support.org import Org, deal, make_org, unique
from tests.support.server import RunningServer
from tests.support.waiting import eventually

__all__ = ["fast"]  # the module's server, with a one-second scheduler


def test_what_each_level_drops_and_when_it_is_due(now: datetime) -> None:
    assert [
        archive.dropped_at(archive.CLOSED, s) for s in ("seen:12", "times:rep:a", "capgroup:x", "ledger:a", "deals:3")
    ] == [
        True,
        True,
        True,
        True,
        False,  # a late reversal of a closed contest's deal is still recognised
    ]
    assert archive.dropped_at(archive.ARCHIVED, "deals:3") and archive.dropped_at(archive.ARCHIVED, "deals")
    for kept in ("board:reps", "rep_totals", "members:t1", "team_rosters", "seq", "archive", "prov:reps"):
        assert not archive.dropped_at(archive.ARCHIVED, kept)
    definition = {
        "id": "c",
        "name": "c",
        "starts_at": (now - timedelta(days=3)).isoformat(),
        "ends_at": (now - timedelta(hours=2)).isoformat(),
        "grace_hours": 1,
        "rules": [{"on": "deal.won", "points": 1}],
    }
    contest = parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")
    assert archive.level_due(contest, now, results_kept=False) is None
    assert archive.level_due(contest, now, results_kept=True) == archive.CLOSED
    assert archive.level_due(contest, now - timedelta(hours=1, minutes=30), results_kept=True) is None  # within grace
    archived = replace(contest, state="archived")
    assert archive.level_due(archived, now, results_kept=False) == archive.ARCHIVED
    assert (
        archive.reaches(archive.ARCHIVED, archive.CLOSED)
        and not archive.reaches(archive.CLOSED, archive.ARCHIVED)
        and not archive.reaches(None, archive.CLOSED)
    )


def test_archived_ledger_lines_page_as_the_stream_did() -> None:
    lines = [(f"17000000000{i:02d}-{i % 2}".encode(), {b"l": bytes([i])}) for i in range(10)]
    assert archive.decode_ledger(archive.encode_ledger(lines)) == lines
    assert archive.lines_after(lines, "-", 3) == lines[:3]
    assert archive.lines_after(lines, lines[3][0].decode(), 100) == lines[4:]


def ledger_pages(admin: httpx.Client, org: Org, rep: str) -> list[dict[str, Any]]:
    """Every page of a rep's ledger, three lines a page (the cursors included)."""
    pages, cursor = [], "-"
    while True:
        page = admin.get(f"/api/v1/reps/{rep}/ledger", params={"contest": org.contest, "limit": 3, "cursor": cursor})
        assert page.status_code == 200, page.text
        pages.append(page.json())
        if page.json()["next_cursor"] is None:
            return pages
        cursor = page.json()["next_cursor"]


def everything(admin: httpx.Client, org: Org) -> dict[str, Any]:
    board = admin.get(f"/api/v1/contests/{org.contest}/leaderboard", params={"limit": 500}).json()["rows"]
    results = admin.get(f"/api/v1/contests/{org.contest}/results").json()
    return {"board": board, "results": results, "ledgers": {rep: ledger_pages(admin, org, rep) for rep in org.reps}}


def epoch_keys(server: RunningServer, contest: str) -> set[str]:
    client = redis.Redis.from_url(server.redis_url)
    try:
        base = keys.ContestKeys(contest).epoch_pattern()
        return {key.decode()[len(base) - 1 :] for key in client.scan_iter(match=base, count=1000)}
    finally:
        client.close()


def play(admin: httpx.Client, ingest: httpx.Client, org: Org, when: str) -> None:
    """Deals, capped calls, a duplicate and a reversal: ledgers of several pages with every kind of line."""
    events = [deal(rep, 10_000 + 1_000 * i, occurred_at=when) for i, rep in enumerate(org.reps * 3)]
    events += [{"id": unique("call"), "type": "call.logged", "rep": org.reps[0], "occurred_at": when} for _ in range(4)]
    reversal = {"id": unique("rev"), "type": "deal.reversed", "rep": org.reps[1], "ref": events[1]["id"]}
    answer = ingest.post("/api/v1/events", json=[*events, events[0], reversal]).json()
    assert answer["accepted"] == len(events) + 1 and answer["duplicates"] == 1, answer


RULES = [{"on": "deal.won", "points_per": 1000}, {"on": "call.logged", "points": 2, "cap_per_day": 5}]


def test_an_archived_contest_answers_results_board_and_ledgers_as_before(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        org = make_org(admin, rules=RULES)
        play(admin, ingest, org, deal(org.reps[0], 1)["occurred_at"])
        before = everything(admin, org)
        assert len(before["ledgers"][org.reps[0]]) >= 3  # several pages
        assert {"seen", "ledger", "times", "capgroup", "deals"} <= {
            key.split(":")[0] for key in epoch_keys(fast, org.contest)
        }
        response = admin.post(f"/api/v1/contests/{org.contest}/archive")
        assert response.status_code == 200, response.text
        left = epoch_keys(fast, org.contest)
        assert "archive" in left
        assert not [key for key in left if key.startswith(("seen", "ledger:", "times:", "capgroup:", "caps", "deals"))]
        after = everything(admin, org)
        assert after == before


def test_a_contest_closed_for_good_is_compacted_and_still_recognises_a_late_reversal(fast: RunningServer) -> None:
    with fast.admin() as admin, fast.ingest() as ingest:
        ends = iso(timedelta(seconds=4))  # and no grace: the scheduler keeps its results, then compacts it
        org = make_org(admin, rules=RULES, starts_at=iso(-timedelta(days=1)), ends_at=ends, grace_hours=0)
        first = deal(org.reps[0], 50_000, occurred_at=iso(-timedelta(hours=1)))
        assert ingest.post("/api/v1/events", json=first).json()["accepted"] == 1
        play(admin, ingest, org, iso(-timedelta(hours=2)))
        eventually(lambda: admin.get(f"/api/v1/contests/{org.contest}/results").json()["final"], what="closed")
        compacted = eventually(
            lambda: (
                "archive" in epoch_keys(fast, org.contest)
                and not any(key.startswith("ledger:") for key in epoch_keys(fast, org.contest))
            ),
            what="the closed contest compacted",
        )
        assert compacted
        left = epoch_keys(fast, org.contest)
        assert any(key.startswith("deals") for key in left) and not any(key.startswith("seen") for key in left)
        pages = ledger_pages(admin, org, org.reps[0])
        lines = [line for page in pages for line in page["entries"]]
        assert lines[0]["event"] == first["id"] and lines[0]["points"] == 50
        assert sum(line["points"] for line in lines) == pages[0]["total"]
        late = {"id": unique("rev"), "type": "deal.reversed", "rep": org.reps[0], "ref": first["id"]}
        answer = ingest.post("/api/v1/events", json=late).json()
        assert answer["late"] == [{"index": 0, "id": late["id"], "contests": [org.contest]}], answer
