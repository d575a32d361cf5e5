"""Every Redis key name, built in one place.

Keys are hash-tagged so that each atomic script touches a single Redis Cluster slot:
``{c:<contest>}`` for everything of one contest, ``{log}`` for the event log and its dedupe index,
``{cfg}`` for the directory and contest definitions, ``{auth}`` for users, keys and displays.
"""

from __future__ import annotations

PREFIX = "arena"


def _contest(contest_id: str, suffix: str) -> str:
    return f"{PREFIX}:{{c:{contest_id}}}:{suffix}"


class ContestKeys:
    """Keys of one contest; all share the contest's hash tag."""

    def __init__(self, contest_id: str) -> None:
        self.contest_id = contest_id
        self.meta = _contest(contest_id, "meta")  # hash: epoch, status
        self.seq = _contest(contest_id, "seq")  # hash: board name -> sequence number
        self.seen = _contest(contest_id, "seen")  # hash: event key -> 1 (per-contest idempotency)
        self.deals = _contest(contest_id, "deals")  # hash: deal key -> msgpack record of what was applied
        self.rep_totals = _contest(contest_id, "rep_totals")  # hash: rep -> exact integer score
        self.rep_board = _contest(contest_id, "board:reps")  # zset: rep -> composite score
        self.team_totals = _contest(contest_id, "team_totals")  # hash: team -> exact integer score
        self.team_board = _contest(contest_id, "board:teams")  # zset: team -> composite score
        self.caps = _contest(contest_id, "caps")  # hash: day|rule|rep -> points used under a daily cap
        # Prefixes completed by the write script with a rep or team id (same hash tag, same slot):
        self.rep_times_prefix = _contest(contest_id, "times:rep:")  # zset per rep: deal key -> occurred epoch
        self.team_times_prefix = _contest(contest_id, "times:team:")  # zset per team: deal key -> occurred epoch
        self.team_members_prefix = _contest(contest_id, "members:")  # zset per team: rep -> exact score

    def all_fixed(self) -> list[str]:
        return [
            self.meta,
            self.seq,
            self.seen,
            self.deals,
            self.rep_totals,
            self.rep_board,
            self.team_totals,
            self.team_board,
            self.caps,
        ]

    def pattern(self) -> str:
        """A SCAN pattern matching every key of this contest (used to drop or rebuild it)."""
        return _contest(self.contest_id, "*").replace("{", "\\{").replace("}", "\\}")


def doorbell_channel(contest_id: str) -> str:
    """Pub/sub channel rung after every change to a contest's boards."""
    return f"{PREFIX}:bell:{contest_id}"


CONFIG_CHANNEL = f"{PREFIX}:bell:config"

# Event log and its idempotency index.
EVENT_LOG = f"{PREFIX}:{{log}}:events"  # stream: one msgpack entry per accepted event
EVENT_SEEN = f"{PREFIX}:{{log}}:seen"  # hash: event key -> stream id

# Directory and contest definitions; ``CONFIG_VERSION`` moves on every change so caches know to reload.
CONFIG_VERSION = f"{PREFIX}:{{cfg}}:version"
TEAMS = f"{PREFIX}:{{cfg}}:teams"  # hash: team id -> JSON
REPS = f"{PREFIX}:{{cfg}}:reps"  # hash: rep id -> JSON
CONTESTS = f"{PREFIX}:{{cfg}}:contests"  # hash: contest id -> JSON definition
AUDIT_LOG = f"{PREFIX}:{{cfg}}:audit"  # stream: who changed what, when

# Identities and secrets (stored hashed).
API_KEYS = f"{PREFIX}:{{auth}}:api_keys"  # hash: sha256(key) -> JSON {id, scope, name}
DISPLAYS = f"{PREFIX}:{{auth}}:displays"  # hash: display id -> JSON {name, playlist, token_hash}
DISPLAY_TOKENS = f"{PREFIX}:{{auth}}:display_tokens"  # hash: sha256(token) -> display id
USERS = f"{PREFIX}:{{auth}}:users"  # hash: username -> JSON {role, password hash}
