"""Who gets what from a route: for each class of caller, whether the route serves them or answers 401, 403 or a
404 that hides what they may not see. Every route declares one ``Access`` beside its handler (the ``access`` of
its ``Operation``, or ``server.web.routes.ACCESS`` for the pages that change state), and
``tests/test_access_matrix.py`` calls every route as every caller and holds the server to it.

The callers are named relative to the route's object, which belongs to team A: a contest of team A, its rep,
its team, its manager's display. ``display`` is a TV token whose slides show that contest's board; ``rep`` is a
rep of team A (signed in on the phone), ``other_rep`` one of team B; ``manager`` manages team A,
``other_manager`` team B. Keys and tokens are bearer credentials; the rest are browser sessions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

CALLERS = (
    "anonymous",
    "ingest_key",
    "read_key",
    "display",
    "rep",
    "other_rep",
    "other_manager",
    "manager",
    "admin_key",
    "admin_session",
)
ADMINS = ("admin_key", "admin_session")
MANAGERS = ("manager", "other_manager", *ADMINS)
SESSIONS = ("rep", "other_rep", "manager", "other_manager", "admin_session")
ALLOWED: Final = "allowed"
LOGIN: Final = "login"  # a page sends whoever has not signed in to the sign-in form (303 to /login)
Outcome = Literal["allowed", "login", 401, 403, 404]


@dataclass(frozen=True)
class Access:
    """The answer each caller class gets: ``ALLOWED`` (anything but 401 and 403), ``LOGIN``, or exactly 401, 403
    or 404."""

    outcomes: Mapping[str, Outcome]

    def __post_init__(self) -> None:
        assert set(self.outcomes) == set(CALLERS), sorted(set(self.outcomes) ^ set(CALLERS))
        assert all(o in (ALLOWED, LOGIN, 401, 403, 404) for o in self.outcomes.values()), self.outcomes

    def but(self, **changes: Outcome) -> Access:
        """The same, with some callers answered otherwise."""
        return Access(MappingProxyType({**self.outcomes, **changes}))

    def allowed(self, caller: str) -> bool:
        return self.outcomes[caller] == ALLOWED


def only(*allowed: str, otherwise: Outcome = 403) -> Access:
    """``allowed`` are served; nobody signed in gets 401, everyone else ``otherwise``."""
    assert set(allowed) <= set(CALLERS), allowed
    outcomes: dict[str, Outcome] = {
        caller: ALLOWED if caller in allowed else 401 if caller == "anonymous" else otherwise for caller in CALLERS
    }
    return Access(MappingProxyType(outcomes))


PUBLIC = Access(MappingProxyType(dict.fromkeys(CALLERS, ALLOWED)))
# a CRM webhook: only the CRM's own signature opens it, never a key, token or session
SIGNED_BY_CRM = Access(MappingProxyType(dict.fromkeys(CALLERS, 401)))
ADMIN = only(*ADMINS)
INGEST = only("ingest_key", *ADMINS)
# workspace-wide management: any manager (what they may touch is judged on the objects they name: a draft
# previewed, rows imported one by one, lists narrowed to their teams)
ANY_MANAGER = only(*MANAGERS)
# one of team A's objects: its manager and admins
TEAM_MANAGER = only("manager", *ADMINS)
# the workspace's boards and contests: everyone signed in or holding a key, but ingest keys
READERS = only("read_key", "display", "rep", "other_rep", *MANAGERS)
# everyone but the display, whose slides show team A's contest only
READERS_NOT_DISPLAY = READERS.but(display=403)
# a rep's own data (ledger, profile, standing): the rep, their manager, read keys and admins
REP_DATA = only("rep", "manager", "read_key", *ADMINS)
SIGNED_IN = only(*SESSIONS)
REPS = only("rep", "other_rep")
# importing deals: ingest keys and admins for anyone, any manager (each row for a rep outside their teams is
# refused in the answer, row by row)
INGEST_OR_MANAGER = only("ingest_key", *MANAGERS)
# final results: managers of any of the contest's teams, read keys and admins (reps and TVs see the boards)
RESULTS = only("manager", "read_key", *ADMINS)
# a team's own data (its scorecards): its manager, read keys and admins
TEAM_DATA = only("manager", "read_key", *ADMINS)
# the directory's listings: managers (their own teams), read keys and admins
DIRECTORY = only("read_key", *MANAGERS)
CHALLENGES = only("rep", "other_rep", *MANAGERS)
# filing a dispute: a rep about a contest they are in (team A's contest: team A's rep)
DISPUTE_FILER = only("rep")
# the disputes list: reps (their own), managers (their teams'), read keys and admins (all)
DISPUTES = only("rep", "other_rep", "read_key", *MANAGERS)
# answering a challenge: the rep it was made by (a cancel) or to; other reps may not, nor anyone else
CHALLENGER = only("rep")
# a user of team A (a sign-in link for a rep): another team's manager is not told the user exists
REP_USER = TEAM_MANAGER.but(other_manager=404)
# a page form of team A's manager: nobody signed in is sent to the sign-in form
TEAM_MANAGER_PAGE = TEAM_MANAGER.but(anonymous=LOGIN)
