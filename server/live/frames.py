"""What the hub pushes, as frames for every kind of screen, composed in one pure place.

A screen takes one variant of each frame: JSON or msgpack (``binary``) × internal or public names
(``public``: a TV on a wall shows reps who opted out by their initials). A pushed message (a board's
snapshot or diff, an epoch notice, a celebration, a badge) is described once by a builder, a function of
``public``; ``Frames`` runs it once per name form and encodes once per variant a screen asks for, and the
same bytes then go to every screen of that variant. The builders of notices live here too: pure functions
of what was heard and the directory, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from game.directory import Directory
from server.live.wire import WireFrame, encode
from server.services.boards import BoardSpec, BoardView
from server.services.registry import Snapshot

Variant = tuple[bool, bool]  # (binary, public)
VARIANTS: tuple[Variant, ...] = ((False, False), (False, True), (True, False), (True, True))
Message = dict[str, Any]
MessageBuilder = Callable[[bool], Message]  # public -> the message with the names that audience sees


class Frames(dict[Variant, WireFrame]):
    """One message as a frame per variant, each encoded on first ask and then shared: most boards have one
    or two kinds of screens, so the other variants are never encoded."""

    __slots__ = ("_build", "_messages")

    def __init__(self, build: MessageBuilder) -> None:
        super().__init__()
        self._build = build
        self._messages: dict[bool, Message] = {}

    def __missing__(self, variant: Variant) -> WireFrame:
        binary, public = variant
        message = self._messages.get(public)
        if message is None:
            message = self._messages[public] = self._build(public)
        frame = self[variant] = encode(message, binary)
        return frame


def compose(build: MessageBuilder, variants: Iterable[Variant] = VARIANTS) -> dict[Variant, WireFrame]:
    """The frames of the variants wanted, at once."""
    frames = Frames(build)
    return {variant: frames[variant] for variant in variants}


def same_for_all(message: Message) -> MessageBuilder:
    """A message without names: the same for every audience (only its encoding differs)."""
    return lambda public: message


def rep_name(directory: Directory, rep_id: str, public: bool) -> str:
    """A rep's name as an audience may see it (as ``services/boards.named`` shows rows)."""
    if public:
        return directory.public_name(rep_id)
    rep = directory.reps.get(rep_id)
    return rep.name if rep else rep_id


def celebration(contest_id: str, bell: dict[str, Any], directory: Directory) -> MessageBuilder | None:
    """A won deal or contest from its doorbell; None for a doorbell that is not a moment (no points)."""
    kind = {"deal.won": "deal", "contest.won": "contest_won", "contest.corrected": "correction"}.get(
        bell.get("type", "")
    )
    if kind is None or (kind == "deal" and not bell.get("points", 0) > 0) or not bell.get("rep"):
        return None
    rep_id = bell["rep"]
    rep = directory.reps.get(rep_id)
    base = {
        "op": "celebrate",
        "kind": kind,
        "board": f"contest:{contest_id}",
        "rep": rep_id,
        "team": rep.team if rep else bell.get("team") or None,
        "amount": bell.get("amount") or None,
        "points": bell.get("points", 0),
        "event": bell.get("event"),
        "seq": bell.get("seq"),
    }
    if kind == "deal" and bell.get("record_over"):
        base["record_over"] = bell["record_over"]  # the contest's biggest deal so far, which this one beat
    if kind == "correction":  # results corrected after the close: told once, not celebrated as a new win
        base.update(previous=bell.get("previous") or None, version=bell.get("version"), reason=bell.get("reason"))
    return lambda public: {**base, "name": rep_name(directory, rep_id, public)}


def badge(change: dict[str, Any], snapshot: Snapshot) -> MessageBuilder:
    """A badge awarded or revoked, with its title in every language the screens speak."""
    rep_id = change.get("rep", "")
    directory = snapshot.directory
    rep = directory.reps.get(rep_id)
    definition = next((b for b in snapshot.badges if b.id == change.get("badge")), None)
    base = {
        "op": "badge",
        "action": change.get("action"),
        "rep": rep_id,
        "team": rep.team if rep else None,
        "badge": change.get("badge"),
        "period": change.get("period"),
        "title": {"zh-CN": definition.name_zh, "en": definition.name_en} if definition else None,
    }
    if change.get("corrected"):
        base["corrected"] = True  # moved by a correction of closed results: the wall changes, nobody cheers
    return lambda public: {**base, "name": rep_name(directory, rep_id, public)}


def lead_change(spec: BoardSpec, old: BoardView, new: BoardView, directory: Directory) -> MessageBuilder | None:
    """A new leader on a contest's rep or team board (both scoring), or None."""
    if spec.kind != "contest" or spec.which not in ("reps", "teams") or not old.rows or not new.rows:
        return None
    before, after = old.rows[0], new.rows[0]
    if after["id"] == before["id"] or after["score"] <= 0 or before["score"] <= 0:
        return None
    leader: str = after["id"]

    def build(public: bool) -> Message:
        if spec.which == "teams":
            team = directory.teams.get(leader)
            name = team.name if team else leader
        else:
            name = rep_name(directory, leader, public)
        return {
            "op": "celebrate",
            "kind": "lead_change",
            "board": spec.board,
            "rep" if spec.which == "reps" else "team": leader,
            "name": name,
            "points": after["score"],
            "previous": before["id"],
            "seq": new.seq,
        }

    return build


def recognition(moment: dict[str, Any], snapshot: Snapshot) -> MessageBuilder | None:
    """Kudos or an award, for every screen (``server/services/recognition.py``); None for a crown that went to
    nobody (a correction that left an award empty is told in the chats and the audit log, not celebrated)."""
    kind = moment.get("kind")
    rep_id, team_id = moment.get("rep"), moment.get("team")
    if kind not in ("kudos", "award") or not (rep_id or team_id):
        return None
    directory = snapshot.directory
    team = directory.teams.get(team_id) if team_id else None
    rep = directory.reps.get(rep_id) if rep_id else None
    base = {
        "op": "recognition",
        "kind": kind,
        "id": moment.get("id"),
        "rep": rep_id,
        "team": team_id or (rep.team if rep else None),
        "message": moment.get("message") if kind == "kudos" else None,
        "by": moment.get("by") if kind == "kudos" else None,
        "award": moment.get("award"),
        "title": moment.get("title"),
        "contest_name": moment.get("contest_name"),
        "corrected": bool(moment.get("corrected")),
    }

    def build(public: bool) -> Message:
        name = rep_name(directory, rep_id, public) if rep_id else (team.name if team else team_id)
        return {**base, "name": name}

    return build
