"""Query strings and drafts with numbers that only look like numbers (a superscript ``¹`` passes ``isdigit``) or
that no store can hold (cursors past 64 bits): each read answers 422 naming the parameter, never 500."""

from __future__ import annotations

import httpx
import pytest

from tests.support.org import deal, make_org

HOSTILE_LIMITS = ["¹", "٣", "1" * 40, "-1", "0", "1e3", " 5", "5\n", ""]
HOSTILE_CURSORS = ["¹-1", "99999999999999999999999999999-0", "18446744073709551615-18446744073709551615", "1-", "x"]


@pytest.fixture
def paged_reads(admin: httpx.Client, ingest: httpx.Client) -> list[tuple[str, dict[str, str]]]:
    org = make_org(admin, reps_per_team=1)
    assert ingest.post("/api/v1/events", json=[deal(org.reps[0], 1000)]).status_code == 200
    ledger = (f"/api/v1/reps/{org.reps[0]}/ledger", {"contest": org.contest})
    return [
        ledger,
        (f"/api/v1/contests/{org.contest}/leaderboard", {}),
        (f"/api/v1/contests/{org.contest}/teams", {}),
        ("/api/v1/xp/week", {}),
    ]


def test_a_limit_that_only_looks_like_a_number_is_422_on_every_paged_read(
    admin: httpx.Client, paged_reads: list[tuple[str, dict[str, str]]]
) -> None:
    for path, params in paged_reads:
        assert admin.get(path, params={**params, "limit": "3"}).status_code == 200, path
        for limit in HOSTILE_LIMITS:
            response = admin.get(path, params={**params, "limit": limit})
            assert response.status_code == 422, (path, limit, response.status_code, response.text)
            assert [e["field"] for e in response.json()["errors"]] == ["limit"], (path, limit, response.text)


def test_a_ledger_cursor_no_stream_could_hand_out_is_422(
    admin: httpx.Client, paged_reads: list[tuple[str, dict[str, str]]]
) -> None:
    path, params = paged_reads[0]
    first = admin.get(path, params={**params, "limit": "1"})
    assert first.status_code == 200, first.text
    for cursor in HOSTILE_CURSORS:
        response = admin.get(path, params={**params, "cursor": cursor})
        assert response.status_code == 422, (cursor, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["cursor"], response.text
    assert admin.get(path, params={**params, "cursor": "0-1"}).status_code == 200


@pytest.mark.parametrize("rule", [{"min_amount": "1e29", "points": 1}, {"points_per": 1e300}, {"points_per": "1e300"}])
def test_a_preview_with_amounts_past_any_bound_names_the_field(admin: httpx.Client, rule: dict[str, object]) -> None:
    draft = {
        "id": "c-preview",
        "name": "预览",
        "starts_at": "2026-12-01T00:00:00+08:00",
        "ends_at": "2027-01-01T00:00:00+08:00",
        "rules": [{"on": "deal.won", **rule}],
    }
    preview = admin.post("/api/v1/contests/preview", json=draft)
    assert preview.status_code == 200 and preview.json()["valid"] is False, preview.text
    field = "rules[0]." + next(name for name in rule if name != "points")
    assert field in {e["field"] for e in preview.json()["errors"]}, preview.text
    created = admin.post("/api/v1/contests", json=draft)
    assert created.status_code == 422 and field in {e["field"] for e in created.json()["errors"]}, created.text
