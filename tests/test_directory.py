"""A directory made from another by a change counts its teams' members as one counted afresh would, and the
directory it was made from is left as it was."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from game.directory import Directory, Rep, Team

TEAMS = ["east", "west", "north"]
rep_ids = st.sampled_from([f"r{n}" for n in range(8)])
reps = st.builds(Rep, id=st.just(""), name=st.just("Rep"), team=st.sampled_from([None, *TEAMS]), active=st.booleans())
changes = st.dictionaries(rep_ids, st.none() | reps, max_size=5)


def with_ids(batch: dict[str, Rep | None]) -> dict[str, Rep | None]:
    return {
        rep_id: None if rep is None else Rep(rep_id, rep.name, rep.team, rep.active) for rep_id, rep in batch.items()
    }


@given(st.lists(changes, min_size=1, max_size=6))
def test_members_carried_over_through_changes_match_members_counted_afresh(
    batches: list[dict[str, Rep | None]],
) -> None:
    directory = Directory(teams={t: Team(t, t) for t in TEAMS})
    assert directory.team_members == {}
    for batch in batches:
        before, before_members = directory, dict(directory.team_members)
        directory = directory.changed(reps=with_ids(batch), teams={})
        counted_afresh = Directory(reps=dict(directory.reps), teams=dict(directory.teams))
        assert directory.team_members == counted_afresh.team_members
        assert directory.team_sizes == counted_afresh.team_sizes
        assert before.team_members == before_members  # the earlier directory is untouched


def test_a_team_removed_and_a_rep_gone_leave_the_directory() -> None:
    directory = Directory(reps={"a": Rep("a", "A", "east")}, teams={"east": Team("east", "East")})
    changed = directory.changed(reps={"a": None}, teams={"east": None, "west": Team("west", "West")})
    assert dict(changed.reps) == {} and set(changed.teams) == {"west"}
    assert set(directory.teams) == {"east"} and "a" in directory.reps
