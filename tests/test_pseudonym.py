"""The pure rules of an erasure (``game/pseudonym.py``): the pseudonym is stable, secret-bound and shaped
``p-`` + 16 hex digits; a record keeps every number while the rep id becomes the pseudonym, and free text and
customers go where the person is named, and only there."""

from __future__ import annotations

import re

from game.pseudonym import erased_event, erased_ledger_values, erasure_of, mentions, pseudonym, scrubbed


def test_the_pseudonym_is_stable_bound_to_the_secret_and_shaped() -> None:
    first = pseudonym("secret-one", "E1024")
    assert first == pseudonym("secret-one", "E1024")
    assert first != pseudonym("secret-two", "E1024") and first != pseudonym("secret-one", "E1025")
    assert re.fullmatch(r"p-[0-9a-f]{16}", first)


def test_a_document_naming_the_person_keeps_its_numbers_and_loses_its_words() -> None:
    erasure = erasure_of("r-7", "s", ["Zhao Li", "crm-42"])
    kudos = {"kind": "kudos", "rep": "r-7", "message": "well done", "by": "boss", "points": 5, "r-7": 3}
    assert scrubbed(kudos, erasure) == {
        "kind": "kudos",
        "rep": erasure.alias,
        "message": "",
        "by": "boss",
        "points": 5,
        erasure.alias: 3,
    }
    team_kudos = {"team": "t1", "message": "thanks to Zhao Li and all", "by": "boss"}
    assert scrubbed(team_kudos, erasure)["message"] == ""
    other = {"rep": "r-70", "message": "Zhao Lin did it", "note": "crm-420"}  # someone else, like-named
    assert scrubbed(other, erasure) == other
    assert scrubbed({"line": "c|r-7|e1", "n": 2}, erasure) == {"line": f"c|{erasure.alias}|e1", "n": 2}
    assert not mentions({"rep": "r-70", "x": ["r-7x"]}, erasure) and mentions({"x": ["r-7"]}, erasure)


def test_an_event_keeps_what_scoring_reads_and_a_ledger_line_its_points() -> None:
    erasure = erasure_of("r-7", "s", [])
    record = {
        "id": "e1",
        "type": "deal.won",
        "rep": "r-7",
        "team": "t",
        "amount": "100",
        "customer": "ACME",
        "attrs": {"a": 1},
    }
    assert erased_event(record, erasure) == {
        "id": "e1",
        "type": "deal.won",
        "rep": erasure.alias,
        "team": "t",
        "amount": "100",
    }
    line = ["e1", "deal.won", "2026", 1, 10, "bonus note", "", "100", "ACME", "CNY", "rule", 10, 10, 0]
    assert erased_ledger_values(line) == ["e1", "deal.won", "2026", 1, 10, "", "", "100", "", "CNY", "rule", 10, 10, 0]
