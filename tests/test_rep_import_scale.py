"""A 50,000-rep HR file imports through the real server with its progress readable while it runs, every bad row
rejected with its line and reason and every good one stored. How long it takes is printed here and measured by
``scripts/bench_directory.py`` (a loaded test machine is no failure)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.support.org import unique
from tests.support.server import RunningServer

# A Redis of its own: 50,000 reps would slow every later test of the shared server.
pytestmark = pytest.mark.own_server

REPS = 50_000


def test_fifty_thousand_reps_import_with_progress(server: RunningServer) -> None:
    run = uuid.uuid4().hex[:6]
    teams = [unique("team") for _ in range(20)]
    with server.admin() as admin:
        admin.timeout = 120
        for team in teams:
            assert admin.put(f"/api/v1/teams/{team}", json={"name": team}).status_code == 201
        rows = [f"{run}-{n:05d},销售 {n},{teams[n % len(teams)]}" for n in range(REPS)]
        rows[100] = f"{run}-bad id!,坏行,{teams[0]}"  # line 102: an id with a space and a !
        rows[200] = f"{run}-00200,,{teams[0]}"  # line 202: no name
        rows[300] = f"{run}-00300,无队,no-such-team"  # line 302: an unknown team
        body = ("id,name,team\n" + "\n".join(rows) + "\n").encode()
        token = uuid.uuid4().hex
        seen: list[dict[str, Any]] = []
        stop = threading.Event()

        def follow() -> None:
            with server.admin() as watcher:
                while not stop.is_set():
                    time.sleep(0.2)  # not stop.wait(0.2): its deadline is absolute, and libfaketime moves the clock
                    try:
                        answer = watcher.get(f"/api/v1/reps/import/{token}")
                    except httpx.TimeoutException:  # a busy machine: ask again
                        continue
                    if answer.status_code == 200:
                        seen.append(answer.json())

        watcher = threading.Thread(target=follow)
        watcher.start()
        started = time.monotonic()
        try:
            answer = admin.post(
                f"/api/v1/reps/import?progress={token}", content=body, headers={"Content-Type": "text/csv"}
            )
        finally:
            stop.set()
            watcher.join()
        took = time.monotonic() - started
        assert answer.status_code == 200, answer.text[:500]
        result = answer.json()
        print(f"\n{REPS} reps imported in {took:.1f} s")
        assert (result["valid"], result["invalid"], result["imported"]) == (REPS - 3, 3, REPS - 3)
        rejected = {row["line"]: row["errors"] for row in result["rows"] if row["errors"]}
        assert set(rejected) == {102, 202, 302}, rejected
        assert rejected[102][0].startswith("id:") and rejected[202][0].startswith("name:")
        assert rejected[302] == ["team: unknown team 'no-such-team'"]
        # Progress was readable while it ran, and says the import is done now.
        # (A slow machine may also catch it still reading the file, before it knows how many rows it holds.)
        counted = [step for step in seen if step["state"] != "reading"]
        assert counted and all(step["total"] == REPS - 3 for step in counted)
        assert all(step["done"] == 0 for step in seen if step["state"] == "reading")
        assert [step["done"] for step in seen] == sorted(step["done"] for step in seen)
        assert admin.get(f"/api/v1/reps/import/{token}").json() == {
            "state": "done",
            "done": REPS - 3,
            "total": REPS - 3,
        }

        listed = {rep["id"]: rep for rep in admin.get("/api/v1/reps").json()["reps"] if rep["id"].startswith(run)}
        assert len(listed) == REPS - 3
        for n in (0, 1, 12_345, REPS - 1):
            rep = listed[f"{run}-{n:05d}"]
            assert (rep["name"], rep["team"], rep["active"]) == (f"销售 {n}", teams[n % len(teams)], True)
        assert f"{run}-00200" not in listed and f"{run}-00300" not in listed


def test_the_same_file_sent_as_json_imports_the_same_way(server: RunningServer) -> None:
    run = uuid.uuid4().hex[:6]
    team = unique("team")
    with server.admin() as admin:
        admin.timeout = 120
        assert admin.put(f"/api/v1/teams/{team}", json={"name": team}).status_code == 201
        rows = "\n".join(f"{run}-{n:04d},销售 {n},{team}" for n in range(5_000))
        token = uuid.uuid4().hex
        answer = admin.post(f"/api/v1/reps/import?progress={token}", json={"csv": f"id,name,team\n{rows}\n"})
        assert answer.status_code == 200, answer.text[:500]
        assert answer.json()["imported"] == 5_000
        assert admin.get(f"/api/v1/reps/import/{token}").json() == {"state": "done", "done": 5_000, "total": 5_000}
        on_team = [rep for rep in admin.get("/api/v1/reps").json()["reps"] if rep["team"] == team]
        assert len(on_team) == 5_000
