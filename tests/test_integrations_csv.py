"""CSV backfill: rows checked one by one (pure), then imported by the script, idempotently."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from server.http import decode_csv
from server.integrations.csv_import import parse_csv
from tests.support.calendar import Calendar
from tests.support.org import make_org, unique
from tests.support.server import INGEST_KEY, ROOT, RunningServer

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
BATCH = ("--batch", "2")  # small batches: progress after each


def parse(text: str, **options: str):
    return parse_csv(text, timezone="Asia/Shanghai", default_currency="CNY", now=NOW, **options)


def test_rows_become_canonical_events() -> None:
    result = parse(
        "id,rep,amount,occurred_at,category,new_customer\n"
        'D-1,wang,"12,500.00",2026-11-20,high_margin,是\n'
        "D-2,li,800,2026-11-21T15:30:00+08:00,,\n"
    )
    assert result.errors == []
    assert [row.line for row in result.rows] == [2, 3]
    assert result.rows[0].event == {
        "type": "deal.won",
        "id": "D-1",
        "rep": "wang",
        "category": "high_margin",
        "amount": "12500",
        "occurred_at": "2026-11-20T00:00:00+08:00",
        "new_customer": True,
    }
    assert result.rows[1].event["occurred_at"] == "2026-11-21T15:30:00+08:00"


def test_every_bad_row_is_reported_with_its_line_and_column() -> None:
    result = parse(
        "id,rep,amount,occurred_at,type,ref\n"
        "D-1,wang,100,2026-11-20,,\n"
        ",wang,100,2026-11-20,,\n"
        "D-3,wang,lots,2026-11-20,,\n"
        "D-4,wang,100,yesterday,,\n"
        "D-1,li,100,2026-11-20,,\n"
        "R-1,wang,,2026-11-20,deal.reversed,\n"
        "\n"
        "R-2,wang,,2026-11-21,deal.reversed,D-1\n"
    )
    assert [row.event["id"] for row in result.rows] == ["D-1", "R-2"]
    assert list(dict.fromkeys((e.line, e.field) for e in result.errors)) == [
        (3, "id"),
        (4, "amount"),
        (5, "occurred_at"),
        (6, "id"),
        (7, "ref"),
    ]


def test_headers_are_checked_and_excel_encodings_are_read() -> None:
    assert [(e.field, e.line) for e in parse("deal,amount\nx,1\n").errors] == [("deal", 1), ("id", 1), ("rep", 1)]
    assert parse("").errors[0].message.startswith("the file is empty")
    bom = "\ufeffid,rep,amount,customer\nD-1,wangfang,100,华为云\n".encode()
    assert parse(decode_csv(bom)).rows[0].event["id"] == "D-1"  # the BOM is not part of the first column's name
    assert parse(decode_csv(bom)).rows[0].event["customer"] == "华为云"
    gbk = "id,rep,amount,customer\nD-1,wang,100,上海仓储\n".encode("gb18030")
    assert parse(decode_csv(gbk)).rows[0].event["customer"] == "上海仓储"
    assert parse("id,rep,amount\n7,wang,1\n", id_prefix="export-2025:").rows[0].event["id"] == "export-2025:7"


def run_backfill(server: RunningServer, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.backfill_csv",
            "--url",
            server.base_url,
            "--key",
            INGEST_KEY,
            *BATCH,
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_backfill_script_imports_with_progress_and_a_rerun_is_all_duplicates(
    server: RunningServer, admin: httpx.Client, tmp_path: Path, calendar: Calendar
) -> None:
    org = make_org(admin)
    prefix = unique("hist")
    rows = [(f"{prefix}-{i}", org.reps[i % 2], 1000 * (i + 1)) for i in range(5)]
    path = tmp_path / "deals.csv"
    path.write_text(
        "id,rep,amount,occurred_at\n"
        + "".join(f"{i},{rep},{amount},{calendar.date_text(n + 1)}\n" for n, (i, rep, amount) in enumerate(rows)),
        encoding="utf-8-sig",
    )
    first = run_backfill(server, path)
    assert first.returncode == 0, first.stderr
    assert "[5/5] accepted 5 · duplicates 0 · rejected 0" in first.stderr
    assert "[2/5]" in first.stderr  # progress after every batch
    board = {r["id"]: r["score"] for r in admin.get(f"/api/v1/contests/{org.contest}/leaderboard").json()["rows"]}
    assert (board[org.reps[0]], board[org.reps[1]]) == (1 + 3 + 5, 2 + 4)
    second = run_backfill(server, path)
    assert second.returncode == 0, second.stderr
    assert "done: accepted 0, duplicates 5, rejected 0" in second.stdout


def test_the_backfill_script_lists_rows_the_server_refuses(
    server: RunningServer, admin: httpx.Client, tmp_path: Path
) -> None:
    org = make_org(admin)
    path = tmp_path / "deals.csv"
    path.write_text(f"id,rep,amount\n{unique('h')},{org.reps[0]},1000\n{unique('h')},nobody-{unique('r')},1000\n,x,1\n")
    result = run_backfill(server, path)
    assert result.returncode == 1
    assert f"{path}:3: rep:" in result.stderr  # unknown rep, refused by the server
    assert f"{path}:4: id:" in result.stderr  # no id, refused before sending
    assert "accepted 1" in result.stdout
