"""A webhook delivery in a few words for the console: what came of it, and why it was refused."""

from __future__ import annotations

import pytest

from server.integrations.delivery_log import MAX_REASONS, summarise

AT = "2026-01-05T10:00:00+00:00"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, "malformed"),
        (401, "signature"),
        (403, "forbidden"),
        (413, "too_large"),
        (503, "unavailable"),
        (500, "error"),
    ],
)
def test_a_refused_delivery_says_which_kind_of_refusal(status: int, reason: str) -> None:
    summary = summarise(AT, status, error="x" * 1000)
    assert summary["outcome"] == "rejected" and summary["reason"] == reason
    assert len(summary["error"]) == 300


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ({"accepted": 1, "duplicates": 1, "held": 1, "rejected": []}, "accepted"),
        ({"accepted": 0, "duplicates": 1, "held": 2, "rejected": []}, "held"),
        ({"accepted": 0, "duplicates": 3, "held": 0, "rejected": []}, "duplicate"),
        ({"accepted": 0, "duplicates": 0, "held": 0, "rejected": []}, "ignored"),
        ({"accepted": 0, "dry_run": True, "rejected": []}, "test"),
        (None, "accepted"),  # a CRM's own acknowledgement (Salesforce's XML): processed
    ],
)
def test_an_answered_delivery_says_what_came_of_it(answer: dict | None, outcome: str) -> None:
    assert summarise(AT, 200, answer)["outcome"] == outcome


def test_refused_events_are_counted_from_one_with_their_fields_and_bounded() -> None:
    refused = [
        {"index": i, "error": "…", "errors": [{"field": "amount", "message": "…"}, {"field": "amount", "message": "…"}]}
        for i in range(MAX_REASONS + 3)
    ]
    summary = summarise(AT, 200, {"accepted": 0, "duplicates": 0, "held": 0, "rejected": refused})
    assert summary["outcome"] == "rejected" and summary["reason"] == "event" and summary["rejected"] == MAX_REASONS + 3
    assert summary["events"][0] == {"number": 1, "fields": ["amount"]}
    assert len(summary["events"]) == MAX_REASONS
