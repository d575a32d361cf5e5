"""Who is calling: an API key (admin, ingest or read scope), a display token (a TV), or a signed session; and
what each may do, as pure methods of the principal that every route and the websocket ask.

Roles: ``admin`` manages and reads everything, ``read`` (a key) reads everything; a ``manager`` manages
and reads their own teams, those teams' reps and contests whose participants are all in them (every
board stays readable); ``ingest`` may only post events; a ``rep`` reads the workspace's boards and their
own data; a ``display`` reads only what its slides show: its playlist's boards, their contests, and the
badge wall when it has a badge-wall slide.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection

from game.contests import Contest
from game.directory import Directory
from server.auth.credentials import credential_of
from server.auth.secrets import token_digest
from server.auth.store import IdentityStore

SCOPES = ("admin", "ingest", "read")
BADGE_WALL = "wall:badges"  # in a display's playlist when one of its slides is the badge wall
FAME_WALL = "wall:fame"  # likewise for the hall of fame (销售明星榜: awards, records, streaks)


@dataclass(frozen=True)
class Principal:
    role: str  # admin | manager | ingest | read | rep | display
    name: str
    playlist: tuple[str, ...] = field(default_factory=tuple)
    rep_id: str | None = None
    teams: tuple[str, ...] = field(default_factory=tuple)  # a manager's own teams
    via_session: bool = False  # a signed-in browser (cookie), not a bearer key

    @property
    def can_manage(self) -> bool:
        return self.role in ("admin", "manager")

    @property
    def can_ingest(self) -> bool:
        return self.role in ("admin", "ingest")

    def manages_team(self, team_id: str | None) -> bool:
        """Admins manage every team; a manager only their own (``teams`` on their user record)."""
        if self.role == "admin":
            return True
        return self.role == "manager" and team_id is not None and team_id in self.teams

    def manages_rep(self, rep_id: str, directory: Directory) -> bool:
        """Admins manage every rep; a manager the reps of their teams (as the directory has them now)."""
        if self.role == "admin":
            return True
        rep = directory.reps.get(rep_id)
        return rep is not None and self.manages_team(rep.team)

    def manages_contest(self, contest: Contest, directory: Directory) -> bool:
        """A manager may run a contest only when every participant is in one of their teams."""
        if self.role == "admin":
            return True
        owned = self._owned_participants(contest, directory)
        return self.role == "manager" and owned is not None and all(owned)  # everyone in the workspace: an admin's

    def sees_contest(self, contest: Contest, directory: Directory) -> bool:
        """Whether the console shows a contest: those a principal manages, and to a manager also those their
        reps take part in (a company-wide one, say) — its standings, results, rules and charts, read only."""
        if self.manages_contest(contest, directory):
            return True
        owned = self._owned_participants(contest, directory)
        return bool(self.teams) if owned is None else any(owned)  # everyone in the workspace: their teams too

    def _owned_participants(self, contest: Contest, directory: Directory) -> list[bool] | None:
        """For a manager, whether each participant a contest names (its sides, or its teams and reps) is theirs;
        None for a contest of everyone in the workspace; nothing for any other role."""
        if self.role != "manager":
            return []
        if contest.kind == "head_to_head":
            if contest.side_type == "team":
                return [self.manages_team(side) for side in contest.sides]
            return [self.manages_rep(side, directory) for side in contest.sides]
        if contest.teams is None and contest.reps is None:
            return None
        teams = [self.manages_team(team) for team in contest.teams or ()]
        return teams + [self.manages_rep(rep_id, directory) for rep_id in contest.reps or ()]

    def may_read_team(self, team_id: str | None) -> bool:
        """Team and rep listings: everything for admins and read keys, a manager's own teams."""
        return self.role == "read" or self.manages_team(team_id)

    def may_read_rep(self, rep_id: str, directory: Directory) -> bool:
        """A rep's own data (ledger, profile, standing): the rep, their team's manager, admins, read keys."""
        if self.role == "rep":
            return self.rep_id is not None and self.rep_id == rep_id
        return self.role == "read" or self.manages_rep(rep_id, directory)

    def may_file_dispute(self, contest: Contest, directory: Directory) -> bool:
        """A dispute (申诉) is a rep's own, signed in on the phone, about a contest they take part in."""
        if self.role != "rep" or not self.via_session or self.rep_id is None:
            return False
        rep = directory.reps.get(self.rep_id)
        return rep is not None and contest.includes(rep.id, rep.team)

    def may_read_disputes(self) -> bool:
        """The disputes list: reps (their own), managers (their teams' reps'), admins and read keys (all)."""
        return self.role in ("rep", "manager", "admin", "read")

    def may_resolve_dispute(self, rep_id: str, directory: Directory) -> bool:
        """A manager of the rep's team (as the directory has it now) or an admin decides a dispute."""
        return self.manages_rep(rep_id, directory)

    def may_record_deals_for(self, rep_id: str, directory: Directory) -> bool:
        """Imported deals: ingest keys and admins for anyone, a manager for the reps of their teams."""
        return self.can_ingest or (self.role == "manager" and self.manages_rep(rep_id, directory))

    def may_read_contest(self, contest_id: str) -> bool:
        """A contest's definition: a display reads the contests its slides show; everyone else but ingest keys
        reads every contest (their boards are the workspace's)."""
        if self.role == "display":
            return any(_contest_of(board) == contest_id for board in self.playlist)
        return self.role != "ingest"

    def can_read_board(self, board: str) -> bool:
        """Displays watch their playlist only (``BADGE_WALL`` included); "me" boards and "goals" are a rep's own;
        everyone else but ingest keys reads all. The one rule for the websocket and HTTP alike."""
        if board.startswith("me:") or board == "goals":
            return self.role == "rep" and self.rep_id is not None
        if self.role in ("admin", "manager", "read", "rep"):
            return True
        return self.role == "display" and (board in self.playlist or _in_playlist(board, self.playlist))


def _contest_of(board: str) -> str | None:
    """``contest:<id>``, ``contest:<id>:teams``, ``contest:<id>:div:<name>`` → ``<id>``."""
    kind, _, rest = board.partition(":")
    if kind != "contest":
        return None
    return rest.split(":", 1)[0] or None


def _in_playlist(board: str, playlist: tuple[str, ...]) -> bool:
    """A display showing a contest may also show its recent-wins feed; playlist entries may be objects
    (``{"board": ...}``) serialised as JSON strings by newer consoles."""
    if board.startswith("feed:"):
        return f"contest:{board[5:]}" in playlist
    return False


TOKEN_CACHE_SECONDS = 2.0  # a revoked key or display token stops working within this time
TOKEN_CACHE_SIZE = 10_000
_token_cache: dict[str, tuple[float, Principal | None]] = {}


def forget_cached_tokens() -> None:
    """Drop this process's cached token answers (after a revocation; other processes wait them out)."""
    _token_cache.clear()


async def principal_for_token(identities: IdentityStore, token: str, cache: bool = False) -> Principal | None:
    """Resolve a bearer token. With ``cache`` (the ingestion hot path) an answer may be reused for
    ``TOKEN_CACHE_SECONDS``, so revoking an ingest key bites within that time; everything else asks Redis."""
    if not token or len(token) > 256:
        return None
    digest = token_digest(token)
    now = time.monotonic()
    cached = _token_cache.get(digest) if cache else None
    if cached is not None and cached[0] > now:
        return cached[1]
    principal = await _lookup_token(identities, digest)
    if len(_token_cache) >= TOKEN_CACHE_SIZE:
        _token_cache.clear()
    _token_cache[digest] = (now + TOKEN_CACHE_SECONDS, principal)
    return principal


async def _lookup_token(identities: IdentityStore, digest: str) -> Principal | None:
    """An API key first, then a display token (one the display still holds)."""
    api_key, display = await identities.token_holder(digest)
    if api_key is not None:
        return Principal(role=api_key["scope"], name=api_key.get("name", "api key"))
    if display is not None and display.get("token_digest") == digest:
        return Principal(role="display", name=display["id"], playlist=display_playlist(display))
    return None


def display_playlist(display: dict[str, Any]) -> tuple[str, ...]:
    """What a display's token may read: its slides' boards, and ``BADGE_WALL`` (``FAME_WALL``) when a slide shows
    the badge wall (the hall of fame)."""
    boards = tuple(display.get("playlist", []))
    slides = [s for s in display.get("slides") or () if isinstance(s, dict)]
    kinds = {s.get("kind") for s in slides}
    walls = tuple(wall for kind, wall in (("badges", BADGE_WALL), ("fame", FAME_WALL)) if kind in kinds)
    goals = tuple(f"goal:{s['goal']}" for s in slides if s.get("kind") == "goal" and s.get("goal"))
    return (*boards, *goals, *walls)


async def principal_for(connection: HTTPConnection, identities: IdentityStore, cache: bool = False) -> Principal | None:
    """The principal of the request's one credential (``server.auth.credentials``): a bearer key or token, a
    ``?token=``, or the signed session cookie. An invalid credential has none, whatever else was sent.

    A session's user is looked up again on every call, so deactivating a user, changing their role or
    their password (which moves ``sv`` on) ends their sessions at once.
    """
    credential = credential_of(connection.scope)
    if credential.kind in ("bearer", "token"):
        return await principal_for_token(identities, credential.secret, cache=cache)
    if credential.kind != "session":
        return None
    session = connection.scope.get("session") or {}
    user = session.get("user")
    if not isinstance(user, dict) or user.get("role") not in ("admin", "manager", "rep") or not user.get("name"):
        return None
    record = await identities.user(str(user["name"]))
    if (
        record is None
        or record.get("active") is False
        or record.get("role") != user["role"]
        or int(record.get("sv", 0)) != int(user.get("sv", 0))
    ):
        return None
    return Principal(
        role=record["role"],
        name=record["username"],
        rep_id=record.get("rep"),
        teams=tuple(record.get("teams") or ()),
        via_session=True,
    )
