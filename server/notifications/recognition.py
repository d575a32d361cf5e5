"""Kudos and awards for the chat channels: read from the recognition stream with a cursor (``recognition``), each
moment queued once per channel that wants it, through the same plan, outboxes and dedupe as every other
notification (a moment's id is its stream id, so a collection run again after a crash queues nothing twice).

Kudos go where badges go (``Channel.wants_badge``: recognition of a rep, in the channels that follow them);
awards go where the contest's winners are announced (``contest_won``). An award moved by a correction is told
as such; one that went to nobody after a correction is told too, never celebrated.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from game.awards import DEFAULT_TITLES

if TYPE_CHECKING:
    from server.arena import Arena
    from server.notifications.collector import Look

BATCH = 200
CURSOR = "recognition"


def _rep_name(directory: Any, rep: str | None) -> str | None:
    return directory.public_name(rep) if rep else None


def _team_name(directory: Any, team: str | None) -> str | None:
    known = directory.teams.get(team) if team else None
    return known.name if known else team


async def collect_recognition(arena: Arena, look: Look, max_age: Any) -> None:
    cursor = look.cursors.get(CURSOR)
    if look.first_run or cursor is None:
        look.plan.move(CURSOR, cursor, await arena.recognition.newest_cursor() or "0-0")
        return
    moments = await arena.recognition.after(cursor, BATCH)
    if not moments:
        return
    look.plan.move(CURSOR, cursor, moments[-1][0])
    snapshot = look.snapshot
    directory = snapshot.directory
    for entry_id, moment in moments:
        if moment.get("at") and datetime.fromisoformat(moment["at"]) < look.now - max_age:
            continue
        rep, team = moment.get("rep"), moment.get("team")
        known = directory.reps.get(rep or "")
        rep_team = known.team if known else None
        data: dict[str, Any] = {
            "rep": rep,
            "rep_name": _rep_name(directory, rep),
            "team_name": _team_name(directory, team or rep_team),
        }
        if moment.get("kind") == "kudos":
            data.update(message=moment.get("message", ""), by=moment.get("by", ""), team=team)
            change = {"rep": rep or "", "contest": None}
            wanted = [
                c
                for c in look.channels
                if c.wants_badge(change, snapshot.contests, directory)
                or (team and c.contests is not None and "badge" in c.events and _team_in(c, team, snapshot))
            ]
            item = {"id": f"kudos:{entry_id}", "kind": "kudos", "data": data}
            look.plan.items.extend((channel.id, item) for channel in wanted)
        elif moment.get("kind") == "award":
            data.update(
                award=moment.get("award"),
                title=moment.get("title"),
                default_title=DEFAULT_TITLES.get(moment.get("award") or "", {}),
                contest_name=moment.get("contest_name", ""),
                winner=moment.get("winner"),
                previous_name=_rep_name(directory, moment.get("previous"))
                if moment.get("award") == "best_seller"
                else _team_name(directory, moment.get("previous")),
                corrected=bool(moment.get("corrected")),
            )
            look.offer({"id": f"award:{entry_id}", "kind": "award", "data": data}, "contest_won", moment["contest"])


def _team_in(channel: Any, team: str, snapshot: Any) -> bool:
    """A channel following some contests hears of kudos to a team taking part in one of them."""
    return any(
        c in snapshot.contests and (snapshot.contests[c].teams is None or team in snapshot.contests[c].teams)
        for c in channel.contests
    )
