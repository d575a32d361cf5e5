"""The console's rep listing as specifications: one order per directory, searches by id or name that ignore
case and full-width forms, each rep found once, and pages brought within those there are."""

from __future__ import annotations

from collections.abc import Sequence

from game.directory import Directory, Rep, Team
from server.services.rep_listing import listed, page_of, rep_index

DIRECTORY = Directory(
    reps={
        "east-2": Rep("east-2", "Alice Chen", "east"),
        "east-10": Rep("east-10", "王小明", "east"),
        "north-1": Rep("north-1", "ALICE east", "north"),
        "solo": Rep("solo", "李娜", None),
    },
    teams={"east": Team("east", "华东"), "north": Team("north", "华北")},
)


def ids(reps: Sequence[Rep]) -> list[str]:
    return [rep.id for rep in reps]


def test_reps_without_a_team_come_first_then_team_by_team_in_id_order_gathered_once_per_directory() -> None:
    index = rep_index(DIRECTORY)
    assert ids(index.everyone.reps) == ["solo", "east-10", "east-2", "north-1"]
    assert rep_index(DIRECTORY) is index
    assert ids(listed(index.of_teams(["north", "east", "gone"]), "")) == ["east-10", "east-2", "north-1"]
    changed = DIRECTORY.changed({"solo": None}, {})
    assert ids(rep_index(changed).everyone.reps) == ["east-10", "east-2", "north-1"]


def test_a_changed_directory_is_listed_as_if_gathered_afresh_and_searched_by_its_new_names() -> None:
    before = rep_index(DIRECTORY)
    assert ids(listed([before.everyone], "alice")) == ["east-2", "north-1"]  # the texts made before the change
    after = DIRECTORY.changed(
        {"east-2": Rep("east-2", "Bob Li", "north"), "east-10": None, "solo": Rep("solo", "李娜", "west")}, {}
    )
    index = rep_index(after)
    assert ids(index.everyone.reps) == ["east-2", "north-1", "solo"]
    assert {team: ids(run.reps) for team, run in index.by_team.items()} == {
        "north": ["east-2", "north-1"],
        "west": ["solo"],
    }
    assert ids(listed([index.everyone], "alice")) == ["north-1"]
    assert ids(listed([index.everyone], "bob")) == ["east-2"]
    assert ids(listed(index.of_teams(["west"]), "李")) == ["solo"]


def test_a_search_ignores_case_and_full_width_forms_and_finds_each_rep_once() -> None:
    everyone = [rep_index(DIRECTORY).everyone]
    assert ids(listed(everyone, "alice")) == ["east-2", "north-1"]
    assert ids(listed(everyone, "ＡＬＩＣＥ")) == ["east-2", "north-1"]
    assert ids(listed(everyone, "east")) == ["east-10", "east-2", "north-1"]  # north-1 by its name, once
    assert ids(listed(everyone, "小明")) == ["east-10"]
    assert ids(listed(everyone, "  ")) == ids(everyone[0].reps)
    assert ids(listed(everyone, "\x00")) == ids(everyone[0].reps)  # no search reaches across two reps
    assert ids(listed(everyone, "chen\x00north")) == []  # one rep's name and the next one's id


def test_a_broad_search_finds_what_a_selective_one_would() -> None:
    """Past ``BROAD_SEARCH`` places of its text a search takes another way, to the same reps."""
    everyone = rep_index(DIRECTORY).everyone
    for needle in ("e", "east", "a", "王", "-1", "zzz"):
        assert ids(everyone.matching(needle, broad=0)) == ids(everyone.matching(needle, broad=10**9)), needle
    broad = everyone.matching("e", broad=0)
    assert len(broad) == 3 and ids(broad[1:]) == ["east-2", "north-1"] and broad[-1].id == "north-1"


def test_a_page_is_brought_within_the_pages_there_are() -> None:
    reps = rep_index(DIRECTORY).everyone.reps
    assert (page_of(reps, 2, size=3).first, page_of(reps, 2, size=3).last) == (4, 4)
    assert page_of(reps, 9, size=3).number == 2 and page_of(reps, 0, size=3).number == 1
    empty = page_of((), 1)
    assert (empty.pages, empty.total, empty.first, empty.last) == (1, 0, 0, 0)
