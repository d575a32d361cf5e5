"""Uploading historical deals as CSV: a preview with per-row errors, then an idempotent import."""

from __future__ import annotations

import httpx

from tests.support.calendar import Calendar
from tests.support.org import make_org, unique


def test_csv_upload_previews_then_imports_once(admin: httpx.Client, calendar: Calendar) -> None:
    org = make_org(admin)
    prefix = unique("hist")
    csv = (
        "id,rep,amount,occurred_at,category\n"
        f'{prefix}-1,{org.reps[0]},"120,000",{calendar.date_text(4)},high\n'
        f"{prefix}-2,{org.reps[1]},8000.50,{calendar.at(3)},\n"
        f"{prefix}-3,{org.reps[1]},lots,{calendar.date_text(2)},\n"
        f"{prefix}-4,nobody-{prefix},5000,{calendar.date_text(2)},\n"
    ).encode()
    headers = {"content-type": "text/csv; charset=utf-8"}
    preview = admin.post("/api/v1/events/import?dry_run=1", content=csv, headers=headers)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["valid"] == 3 and body["invalid"] == 1
    assert body["errors"][0]["line"] == 4 and body["errors"][0]["field"] == "amount"
    board = admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]
    assert all(row["score"] == 0 for row in board)  # a preview writes nothing
    done = admin.post("/api/v1/events/import", content=csv, headers=headers).json()
    assert done["accepted"] == 2 and done["duplicates"] == 0
    assert {e["line"] for e in done["errors"]} == {4, 5}  # bad amount; unknown rep
    scores = {r["id"]: r["score"] for r in admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]}
    assert scores[org.reps[0]] == 120 and scores[org.reps[1]] == 8
    again = admin.post("/api/v1/events/import", content=csv, headers=headers).json()
    assert again["accepted"] == 0 and again["duplicates"] == 2
