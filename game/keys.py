"""Every Redis key name, built in one place.

Keys are hash-tagged so that each atomic script touches a single Redis Cluster slot:
``{c:<contest>}`` for everything of one contest, ``{log}`` (and ``{log:<i>}`` for its other shards) for the
event log and its dedupe index, ``{cfg}`` for the directory and contest definitions, ``{auth}`` for users, keys
and displays, ``{int}`` for CRM connectors and their webhook state, ``{notify}`` for chat notifications.

Every key and every pub/sub channel begins with ``PREFIX`` (``ARENA_KEY_PREFIX``), so that deployments
sharing one Redis see nothing of each other (database numbers do not separate pub/sub). The process sets it
once at start-up with ``use_prefix``, before it builds any name.
"""

from __future__ import annotations

import re
import zlib

DEFAULT_PREFIX = "arena"
PREFIX = DEFAULT_PREFIX
# No ``:`` (it ends the prefix), no braces (a hash tag would pull every key into one cluster slot), no spaces.
_PREFIX_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,32}")


def valid_prefix(prefix: str) -> bool:
    """1 to 32 letters, digits, ``-``, ``_`` or ``.``."""
    return _PREFIX_SHAPE.fullmatch(prefix) is not None


def use_prefix(prefix: str) -> None:
    """Begin every key and channel name with ``prefix`` from now on (the server's ``Arena`` and the
    operations commands call it at start-up). The functions below read ``PREFIX`` when called; the
    constants (every upper-case name holding ``<PREFIX>:…``) are rewritten here. So read ``keys.NAME`` when
    you need it and never copy one into a constant of your own: it would keep the old prefix
    (``tests/test_key_prefix.py`` looks for such copies)."""
    global PREFIX
    if not valid_prefix(prefix):
        raise ValueError(f"not a key prefix: {prefix!r}")
    names = globals()
    before = PREFIX + ":"
    for name, value in list(names.items()):
        if name.isupper() and isinstance(value, str) and value.startswith(before):
            names[name] = f"{prefix}:{value[len(before) :]}"
    PREFIX = prefix


def _contest(contest_id: str, suffix: str) -> str:
    return f"{PREFIX}:{{c:{contest_id}}}:{suffix}"


class ContestKeys:
    """Keys of one contest at one epoch; all share the contest's hash tag (one cluster slot).

    A rescore builds the next epoch's keys from the event log while the current epoch stays live, then
    switches ``meta.epoch`` atomically; the old epoch's keys are dropped afterwards.
    """

    def __init__(self, contest_id: str, epoch: int = 1) -> None:
        self.contest_id = contest_id
        self.epoch = epoch
        self.meta = _contest(contest_id, "meta")  # hash: epoch (current), rescore progress, best_deal (amount),
        # layout:<epoch> (1: the epoch was begun with rep totals and team moments as this version keeps them)
        self.results = _contest(contest_id, "results")  # JSON: final standings, champions, prizes
        self.recent_wins = _contest(contest_id, "recent_wins")  # list: the last 50 deal doorbells, newest first
        base = f"e{epoch}:"
        self.seq = _contest(contest_id, base + "seq")  # hash: board name -> sequence number
        # hash: event key -> 1 (per-contest idempotency), bucketed: ``seen_bucket`` (the bare name: earlier data)
        self.seen = _contest(contest_id, base + "seen")
        # hash: deal key -> msgpack record of what was applied (game/lua/deal_records.lua), bucketed likewise
        self.deals = _contest(contest_id, base + "deals")
        # hash: rep -> exact integer score, bucketed: ``rep_totals_bucket`` (the bare name: earlier epochs)
        self.rep_totals = _contest(contest_id, base + "rep_totals")
        self.rep_board = _contest(contest_id, base + "board:reps")  # zset: rep -> composite score
        self.team_totals = _contest(contest_id, base + "team_totals")  # hash: team -> exact integer score
        self.team_sums = _contest(contest_id, base + "team_sums")  # hash: team -> sum of members' points
        self.team_board = _contest(contest_id, base + "board:teams")  # zset: team -> composite score
        # hash: team -> JSON {reps, target}, the team's roster as last synced from the directory (game/rosters.py)
        self.team_rosters = _contest(contest_id, base + "team_rosters")
        # hash: day|rule|rep -> points asked by standing events (earlier versions; now summed from cap groups)
        self.caps = _contest(contest_id, base + "caps")
        # Prefixes completed by the write script with a rep or team id (same hash tag, same slot):
        self.rep_times_prefix = _contest(contest_id, base + "times:rep:")  # zset per rep: deal key -> occurred epoch
        # zset per team: bucket (``b|<n>``, see TEAM_TIME_BUCKETS) or cap group -> latest epoch
        self.team_times_prefix = _contest(contest_id, base + "times:team:")
        self.team_members_prefix = _contest(contest_id, base + "members:")  # zset per team: rep -> exact score
        self.ledger_prefix = _contest(contest_id, base + "ledger:")  # stream per rep: every change and why
        self.history_prefix = _contest(contest_id, base + "history:")  # zset per board: recent diff spans
        self.division_board_prefix = _contest(contest_id, base + "board:div:")  # zset per division
        self.low_water = _contest(contest_id, base + "low_water")  # hash: rep -> when seen in the bottom half
        self.cap_group_prefix = _contest(contest_id, base + "capgroup:")  # zset per day|rule|rep: deal|pts -> time
        # Provisional points (contests that confirm deals, ``docs/contests.md``):
        self.pending = _contest(contest_id, base + "pending")  # zset: provisional deal key -> settlement epoch
        self.rep_pending = _contest(contest_id, base + "rep_pending")  # hash: rep -> exact provisional points
        self.team_pending = _contest(contest_id, base + "team_pending")  # hash: team -> members' provisional sum
        self.rep_provisional = _contest(contest_id, base + "prov:reps")  # hash: rep -> provisional, as shown
        self.team_provisional = _contest(contest_id, base + "prov:teams")  # hash: team -> provisional, as shown
        self.paid = _contest(contest_id, base + "paid")  # hash: deal key -> 1, confirmed before it scored
        # hash: once the contest closed, its compacted ledgers (game/contest_archive.py)
        self.archive = _contest(contest_id, base + "archive")

    def seen_bucket(self, event_key: str) -> str:
        """The small hash of ``seen`` holding this event key (see ``bucket``)."""
        return f"{self.seen}:{bucket(event_key)}"

    def rep_totals_bucket(self, rep: str) -> str:
        """The small hash of ``rep_totals`` holding this rep's total (see ``REP_TOTAL_BUCKETS``)."""
        return f"{self.rep_totals}:{rep_total_bucket(rep)}"

    def deals_bucket(self, deal_key: str) -> str:
        """The small hash of ``deals`` holding this deal's record (see ``bucket``)."""
        return f"{self.deals}:{bucket(deal_key)}"

    def division_board(self, division: str) -> str:
        return self.division_board_prefix + division

    def history(self, board: str) -> str:
        """Recent diffs of one board (zset by the seq they start from), for reconnecting clients."""
        return self.history_prefix + board

    def ledger(self, rep_id: str) -> str:
        return self.ledger_prefix + rep_id

    def epoch_pattern(self) -> str:
        """A SCAN pattern for every key of this epoch (to drop it after a switch)."""
        return _contest(self.contest_id, f"e{self.epoch}:*")  # braces are literal in Redis glob patterns


# Per-event hashes (a contest's and XP's ``seen`` and ``deals``) are split into this many small hashes, each
# under Redis's listpack limits (``hash-max-listpack-entries`` 512 by default, values up to 64 bytes) up to
# ~500,000 entries: a listpack field costs a few bytes besides its name and value, a field of a large hash
# about 60. Past that a bucket becomes an ordinary hash: the same answers, more memory.
BUCKETS = 1024


def bucket(member: str, buckets: int = BUCKETS) -> str:
    """A stable bucket number for a member (an event or deal key): CRC-32 modulo ``buckets``."""
    return str(zlib.crc32(member.encode()) % buckets)


# A team's score-changing moments (``times:team:<team>``) are many: its deals sit in this many small sorted
# sets ``times:team:<team>|<bucket>`` and the team's own set holds each bucket's latest moment (``b|<bucket>``).
# Its cap groups' moments sit in the same buckets, a day's in one (``apply_contest.lua``: cap_bucket); epochs
# begun before that (no ``layout:<epoch>`` mark in the contest's meta) keep a bucket per day, ``c<day>``.
TEAM_TIME_BUCKETS = 64

# A contest's rep totals (``rep_totals``) sit in this many small hashes ``rep_totals:<bucket>``: every event
# updates one, and Redis walks a listpack entry by entry (one hash below 512 reps). Epochs begun before (no
# ``layout:<epoch>`` mark in the contest's meta) keep the single hash.
REP_TOTAL_BUCKETS = 64


def rep_hash(rep: str) -> int:
    """A stable 16-bit hash of a rep id that the write scripts compute alike (``apply_contest.lua``,
    ``xp_records.lua``) without a CRC-32 of their own."""
    h = 0
    for byte in rep.encode():
        h = (h * 31 + byte) % 65536
    return h


def rep_total_bucket(rep: str) -> str:
    """The bucket of a rep's total (``apply_contest.lua``)."""
    return str(rep_hash(rep) % REP_TOTAL_BUCKETS)


def doorbell_channel(contest_id: str) -> str:
    """Pub/sub channel rung after every change to a contest's boards. It carries the contest's hash tag: on a
    Redis Cluster it is a sharded channel (SPUBLISH/SSUBSCRIBE) on the contest's own slot."""
    return _contest(contest_id, "bell")


def contest_of_channel(channel: str) -> str | None:
    """The contest whose doorbell ``channel`` is (None for any other channel)."""
    head, tag, rest = channel.partition(":{c:")
    contest_id, _, suffix = rest.rpartition("}:")
    return contest_id if tag and head == PREFIX and suffix == "bell" else None


def channel_has_slot(channel: str) -> bool:
    """Whether a channel carries a hash tag (it can then be a sharded channel of that slot): the contests'
    doorbells and the XP doorbell, rung on every event; the rare configuration and badge ones do not."""
    return is_xp_channel(channel) or contest_of_channel(channel) is not None


CONFIG_CHANNEL = f"{PREFIX}:bell:config"
BADGE_CHANNEL = f"{PREFIX}:bell:badges"
RECOGNITION_CHANNEL = f"{PREFIX}:bell:recognition"  # kudos and awards, for every screen (server/live/hub.py)

# Event log and its idempotency index.
EVENT_LOG = f"{PREFIX}:{{log}}:events"  # stream: one msgpack entry per accepted event
EVENT_SEEN = f"{PREFIX}:{{log}}:seen"  # hash: event key -> stream id (earlier data; now ``event_seen_bucket``)
# The log may be split into shards (``ARENA_LOG_SHARDS``, ``game/log_shards.py``): shard 0 keeps the names above,
# shard i > 0 lives under ``{log:i}``. The shard count the log was first written with is kept in shard 0's slot.
EVENT_LOG_SHARDS = f"{PREFIX}:{{log}}:shards"  # string: the number of shards, set once
EVENT_LOG_TRIMMED = f"{PREFIX}:{{log}}:trimmed_before"  # string: epoch ms before which the retention trimmed entries
EVENT_LOG_REWRITES = f"{PREFIX}:{{log}}:rewrites"  # counter: the log's in-place rewrites (erasures) so far


def _log_tag(shard: int) -> str:
    return "{log}" if shard == 0 else f"{{log:{shard}}}"


def event_log(shard: int = 0) -> str:
    """Stream of one shard of the event log: one msgpack entry per accepted event."""
    return f"{PREFIX}:{_log_tag(shard)}:events"


def event_seen(shard: int = 0) -> str:
    """Hash of one shard of the event log: event key -> stream id (in the same slot as its stream). Written before
    the dedupe entries were bucketed (``event_seen_bucket``): still read, and emptied by the retention."""
    return f"{PREFIX}:{_log_tag(shard)}:seen"


# A shard's dedupe entries are split into this many small hashes (listpacks up to ~2 million events per shard,
# see ``BUCKETS``). Fixed for ever: an event sent again must meet its entry in the same bucket.
LOG_SEEN_BUCKETS = 4096


def log_seen_bucket(event_key: str) -> str:
    """The dedupe bucket of an event key within its shard (``event_seen_bucket``)."""
    return bucket(event_key, LOG_SEEN_BUCKETS)


def event_seen_bucket(shard: int, event_key: str) -> str:
    """The small hash of a shard's dedupe entries holding this event key: event key -> stream id."""
    return f"{event_seen(shard)}:{log_seen_bucket(event_key)}"


# String: the stream id up to which the repair pass has made sure every logged event's writes exist.
REPAIRED_UPTO = f"{PREFIX}:{{log}}:repaired_upto"


# XP boards and badge facts: XP is per rep across contests. Everything of one rep (the dedupe records of the rep's
# events, caps, facts, badges, deal counts) lives in one slot, the rep's XP shard (``ARENA_XP_SHARDS``,
# ``use_xp_shards``): shard 0 keeps the names below, shard i > 0 lives under ``{xp:i}``. The boards are one sorted
# set per shard, merged when read (``game/xp_shards.py``).
# hash: event key -> 1, bucketed as a contest's seen (``apply_xp.lua`` adds ``:<bucket>``; the bare name: earlier data)
XP_SEEN = f"{PREFIX}:{{xp}}:seen"
XP_DEALS = f"{PREFIX}:{{xp}}:deals"  # hash: deal key -> msgpack record of what was applied, bucketed likewise
# hash per day and rep bucket (``caps:<day>:<bucket>``, ``XpKeys.caps``): type|rep -> XP used under a daily cap; a
# day counted before the buckets kept one hash ``caps:<day>``, whose fields apply_xp.lua moves to the buckets.
XP_CAPS_PREFIX = f"{PREFIX}:{{xp}}:caps:"
XP_BOARD_PREFIX = f"{PREFIX}:{{xp}}:board:"  # zset per window and period, e.g. board:week:2026-W47
XP_FACTS_PREFIX = f"{PREFIX}:{{xp}}:facts:"  # hash per rep and month: deal key -> "amount|epoch|new"
# hash per rep bucket (``tally:<bucket>``, ``XpKeys.tally``): rep -> the rep's facts version and lifetime deal
# count in one number (``game/xp.py``: ``Tally``), so one HINCRBY moves both
XP_TALLY = f"{PREFIX}:{{xp}}:tally"
# Written before the tally (still read, added to it): hash rep -> lifetime won deals, hash rep -> facts version
XP_DEAL_COUNTS = f"{PREFIX}:{{xp}}:deal_counts"
XP_FACTS_VERSION = f"{PREFIX}:{{xp}}:facts_version"
BADGES_PREFIX = f"{PREFIX}:{{xp}}:badges:"  # hash per rep: badge instance -> JSON award
XP_DEALERS_PREFIX = f"{PREFIX}:{{xp}}:dealers:"  # set per month: reps with won deals that month
XP_SEQ = f"{PREFIX}:{{xp}}:seq"  # counter: moves on every XP change (the sequence number of XP boards)
XP_CHANNEL = f"{PREFIX}:{{xp}}:bell"  # rung on every XP change; in the {xp} slot (sharded on a cluster)
XP_CLOSED_PREFIX = f"{PREFIX}:{{xp}}:closed:"  # string per month: the month's closing awards are done (shard 0 only)
# set of "month|rep": a deal of the rep's came to (or left) a closed month; the scheduler checks that month's
# record against the rep's deals (shard 0 only)
XP_LATE_DEALERS = f"{PREFIX}:{{xp}}:late_dealers"
XP_SHARD_COUNT = f"{PREFIX}:{{xp}}:shards"  # string: the number of XP shards, set once (shard 0 only)

_xp_shards = 1  # ``use_xp_shards``

# A rep's daily caps and tally sit in this many small hashes per day (caps) or per shard (tally), by a hash of the rep
# id (``xp_rep_bucket``): Redis walks a listpack entry by entry, and one hash of every rep is a long walk.
XP_REP_BUCKETS = 32  # a power of two, at most 65,536


def xp_rep_bucket(rep_id: str) -> str:
    """The bucket of a rep's caps and tally: the high bits of its hash times an odd number (``xp_records.lua`` alike;
    the low bits of ``rep_hash`` alone spread ids that differ in a digit or two, E00017 and E00018, over few
    buckets)."""
    return str(rep_hash(rep_id) * 40503 % 65536 // (65536 // XP_REP_BUCKETS))


def use_xp_shards(shards: int) -> None:
    """Split XP into ``shards`` slots from now on (the server's ``Arena`` and the operations commands call it at
    start-up, from ``ARENA_XP_SHARDS``; ``Store.check_xp_shards`` refuses a count that differs from the data's)."""
    global _xp_shards
    if shards < 1:
        raise ValueError(f"not a number of XP shards: {shards}")
    _xp_shards = shards


def xp_shards() -> int:
    return _xp_shards


def xp_shard_of(rep_id: str) -> int:
    """The XP shard of a rep: stable across processes, restarts and Python versions (as ``log_shards.shard_of``)."""
    return zlib.crc32(rep_id.encode()) % _xp_shards if _xp_shards > 1 else 0


class XpKeys:
    """The keys of one XP shard; all share its hash tag (one cluster slot). Shard 0's are the names above."""

    def __init__(self, shard: int = 0) -> None:
        self.shard = shard
        self.base = base = f"{PREFIX}:{{xp}}:" if shard == 0 else f"{PREFIX}:{{xp:{shard}}}:"
        self.seen = base + "seen"
        self.deals = base + "deals"
        self.caps_prefix = base + "caps:"
        self.board_prefix = base + "board:"
        self.facts_prefix = base + "facts:"
        self.tally_prefix = base + "tally:"
        self.deal_counts = base + "deal_counts"  # earlier data, see XP_DEAL_COUNTS
        self.facts_version = base + "facts_version"
        self.badges_prefix = base + "badges:"
        self.dealers_prefix = base + "dealers:"
        self.seq = base + "seq"
        self.channel = base + "bell"
        self.badge_feed = base + "badge_feed"

    def board(self, window: str, period: str) -> str:
        return f"{self.board_prefix}{window}:{period}"

    def dealers(self, month: str) -> str:
        return f"{self.dealers_prefix}{month}"

    def caps(self, day: str, rep_id: str) -> str:
        """The small hash of a day's caps holding ``rep_id``'s (fields ``type|rep``)."""
        return f"{self.caps_prefix}{day}:{xp_rep_bucket(rep_id)}"

    def tally(self, rep_id: str) -> str:
        """The small hash holding ``rep_id``'s tally (field: the rep id)."""
        return f"{self.tally_prefix}{xp_rep_bucket(rep_id)}"

    def shard_key(self, key: str, other: XpKeys) -> str:
        """``key`` of shard ``other`` named in this shard (same role and suffix, this shard's hash tag)."""
        return key.replace(other.base, self.base, 1)

    def script_keys(self, unbucketed: bool = False) -> list[str]:
        """The keys of ``apply_xp.lua``, in its order; the unbucketed ``seen`` and ``deals`` hashes of earlier
        versions (the same names as the buckets' prefixes) named again at the end only where they exist."""
        bucketed = [self.seen, self.deals, self.caps_prefix, self.board_prefix, self.facts_prefix, self.tally_prefix,
                    self.dealers_prefix, self.seq]  # fmt: skip
        return [*bucketed, self.seen, self.deals] if unbucketed else bucketed


def xp_keys_of(rep_id: str) -> XpKeys:
    """The keys of the XP shard holding everything of ``rep_id``."""
    return XpKeys(xp_shard_of(rep_id))


def all_xp_keys() -> list[XpKeys]:
    """Every XP shard's keys, shard 0 first."""
    return [XpKeys(shard) for shard in range(_xp_shards)]


def xp_board(window: str, period: str, shard: int = 0) -> str:
    """One shard's sorted set of an XP board (the whole board is every shard's, merged)."""
    return XpKeys(shard).board(window, period)


def xp_facts(rep_id: str, month: str) -> str:
    return f"{xp_keys_of(rep_id).facts_prefix}{rep_id}:{month}"


def badges(rep_id: str) -> str:
    return xp_keys_of(rep_id).badges_prefix + rep_id


def is_xp_channel(channel: str) -> bool:
    """Whether ``channel`` is the doorbell of an XP shard (``XpKeys.channel``)."""
    head, tag, rest = channel.partition(":{xp")
    shard, _, suffix = rest.partition("}:")
    number = shard.removeprefix(":")
    return bool(tag) and head == PREFIX and suffix == "bell" and (not shard or (shard != number and number.isdigit()))


# Directory and contest definitions; ``CONFIG_VERSION`` moves on every change so caches know to reload.
CONFIG_VERSION = f"{PREFIX}:{{cfg}}:version"
CONFIG_CHANGES = f"{PREFIX}:{{cfg}}:changes"  # hash: version -> JSON of the reps, teams or definitions it changed
TEAMS = f"{PREFIX}:{{cfg}}:teams"  # hash: team id -> JSON
REPS = f"{PREFIX}:{{cfg}}:reps"  # hash: rep id -> JSON
CONTESTS = f"{PREFIX}:{{cfg}}:contests"  # hash: contest id -> JSON document (definition, state, version, epoch)
BADGE_DEFINITIONS = f"{PREFIX}:{{cfg}}:badges"  # hash: badge id -> JSON definition
GOALS = f"{PREFIX}:{{cfg}}:goals"  # hash: goal id -> JSON (game/goals.py Goal)
# JSON {country, holidays, workdays}: the organisation's working-day calendar (game/work_calendar.py)
WORK_CALENDAR = f"{PREFIX}:{{cfg}}:work_calendar"
# Monthly exchange rates a manager sets: hash "USD|2026-12" -> rate into the organisation's currency (decimal text)
EXCHANGE_RATES = f"{PREFIX}:{{cfg}}:rates"
# Deals logged in a currency whose month had no rate yet: hash "USD|2026-12" -> how many (cleared when it is set)
RATES_WAITING = f"{PREFIX}:{{cfg}}:rates_waiting"
BRAND = f"{PREFIX}:{{cfg}}:brand"  # JSON {accent, background, logo}: the organisation's colours and logo digest
SCORECARDS = f"{PREFIX}:{{cfg}}:scorecards"  # hash: team id -> JSON scorecard definition (game/scorecard.py)
AUDIT_LOG = f"{PREFIX}:{{cfg}}:audit"  # stream: who changed what, when
# Per contest: hash event key -> JSON of an event that came past the grace period (kept beside the audit log so
# a decision on it and its audit entry land in one transaction).
LATE_PREFIX = f"{PREFIX}:{{cfg}}:late:"


def late_events(contest_id: str) -> str:
    return LATE_PREFIX + contest_id


def rep_import(actor: str, token: str) -> str:
    """Hash: how far one reps import has come (state, done, total), kept an hour for the console to poll."""
    return f"{PREFIX}:imports:{actor}:{token}"


SCHEDULER_LEASE = f"{PREFIX}:{{cfg}}:scheduler"  # string: the process that runs time-driven jobs
# String with a TTL of a few intervals: epoch ms of the last tick the scheduler finished (for operators and tests).
SCHEDULER_HEARTBEAT = f"{PREFIX}:{{cfg}}:scheduler_heartbeat"

# Pictures (a rep's photo, the organisation's logo): hash per owner ("rep:<id>", "org:logo") -> digest, type, data.
MEDIA_PREFIX = f"{PREFIX}:{{media}}:"


def media(owner: str) -> str:
    return MEDIA_PREFIX + owner


# Identities and secrets (stored hashed).
API_KEYS = f"{PREFIX}:{{auth}}:api_keys"  # hash: sha256(key) -> JSON {id, scope, name}
# Set of sha256(key) of revoked keys: a key named in the environment (ARENA_ADMIN_KEY…) is not restored at start-up.
REVOKED_API_KEYS = f"{PREFIX}:{{auth}}:revoked_api_keys"
DISPLAYS = f"{PREFIX}:{{auth}}:displays"  # hash: display id -> JSON {name, playlist, token_hash}
DISPLAY_TOKENS = f"{PREFIX}:{{auth}}:display_tokens"  # hash: sha256(token) -> display id
USERS = f"{PREFIX}:{{auth}}:users"  # hash: username -> JSON {role, password hash}

# Connectors: inbound CRM integrations, all under one tag (``{int}``) so each transaction stays in one slot.
CONNECTORS = f"{PREFIX}:{{int}}:connectors"  # hash: connector id -> JSON (secrets sealed or scrypt-hashed)


def connector_deal(connector_id: str, deal_id: str) -> str:
    """String: JSON state of one CRM deal (times won, whether the last win stands, credited owner)."""
    return f"{PREFIX}:{{int}}:deal:{connector_id}:{deal_id}"


def connector_delivery(connector_id: str, delivery_id: str) -> str:
    """String with a TTL: a webhook delivery already processed (CRMs retry and redeliver)."""
    return f"{PREFIX}:{{int}}:delivered:{connector_id}:{delivery_id}"


def connector_unmapped(connector_id: str) -> str:
    """Hash: CRM user -> JSON {first_seen, last_seen, deal}: owners with events waiting for a rep."""
    return f"{PREFIX}:{{int}}:unmapped:{connector_id}"


def connector_access_token(connector_id: str) -> str:
    """String with a TTL: the access token a refresh token last bought (sealed), until shortly before it expires."""
    return f"{PREFIX}:{{int}}:access_token:{connector_id}"


def connector_token_refresh(connector_id: str) -> str:
    """String with a TTL: one process is asking the CRM for a new access token (CRMs limit refreshes)."""
    return f"{PREFIX}:{{int}}:token_refresh:{connector_id}"


def connector_held(connector_id: str, crm_user: str) -> str:
    """Hash: event id -> JSON canonical event (without rep) held until the CRM user is mapped to a rep."""
    return f"{PREFIX}:{{int}}:held:{connector_id}:{crm_user}"


def connector_deliveries(connector_id: str) -> str:
    """List, newest first and bounded: JSON summaries of the latest webhook deliveries and their outcome."""
    return f"{PREFIX}:{{int}}:deliveries:{connector_id}"


def connector_state_keys(connector_id: str) -> tuple[list[str], list[str]]:
    """Everything a connector keeps besides its definition: (exact keys, SCAN patterns), for its removal."""
    exact = [
        connector_unmapped(connector_id),
        connector_deliveries(connector_id),
        connector_access_token(connector_id),
        connector_token_refresh(connector_id),
    ]
    patterns = [
        connector_deal(connector_id, "*"),
        connector_delivery(connector_id, "*"),
        connector_held(connector_id, "*"),
    ]
    return exact, patterns


# The three faces (TV, phone, console): sign-in, rate limits, challenges.
LOGIN_FAILURES_PREFIX = f"{PREFIX}:{{auth}}:login_failures:"  # string with TTL per ip:<addr> / user:<name>
SIGNIN_LINKS_PREFIX = f"{PREFIX}:{{auth}}:signin:"  # string with TTL: sha256(one-time token) -> username
# string with TTL: sha256(state) -> JSON {provider, nonce, verifier, next} of a single sign-on under way
SSO_STATES_PREFIX = f"{PREFIX}:{{auth}}:sso_state:"
SSO_STARTS_PREFIX = f"{PREFIX}:{{auth}}:sso_starts:"  # string with TTL: sign-ons started from one address
CHALLENGES = f"{PREFIX}:{{cfg}}:challenges"  # hash: challenge id -> JSON {challenger, opponent, status, ...}
DISPUTES = f"{PREFIX}:{{cfg}}:disputes"  # hash: dispute id -> JSON {rep, contest, kind, status, ...}
DISPUTED_LINES = f"{PREFIX}:{{cfg}}:disputed_lines"  # hash: "contest|rep|event" -> the id of its open dispute
# Public recognition (``server/services/recognition_store.py``): kudos and awards as moments on one stream, the
# awards crowned per contest in a hash; in ``{cfg}`` beside the audit log, so a moment and its entry land together.
RECOGNITION = f"{PREFIX}:{{cfg}}:recognition"  # stream: one JSON moment (kudos or award) per entry, ~10,000 kept
RECOGNITION_MAX = 10_000
AWARDS = f"{PREFIX}:{{cfg}}:awards"  # hash: "<contest>|<award kind>" -> JSON crown {winner, title, version, ...}


def login_failures(kind: str, value: str) -> str:
    """Failed logins in the current window, per client address (``ip``) or per username (``user``)."""
    return f"{LOGIN_FAILURES_PREFIX}{kind}:{value}"


def signin_link(token_digest: str) -> str:
    return SIGNIN_LINKS_PREFIX + token_digest


def sso_state(state_digest: str) -> str:
    """A single sign-on started in a browser, until its provider sends it back (taken once)."""
    return SSO_STATES_PREFIX + state_digest


def sso_starts(ip: str) -> str:
    return SSO_STARTS_PREFIX + ip


# Chat notifications (WeCom, DingTalk, Feishu, Slack, Teams): channels, outboxes, cursors, dead letters.
# All under one tag (``{notify}``) so the notifier's commit script (cursors + outboxes) stays in one slot.
NOTIFY_CHANNELS = f"{PREFIX}:{{notify}}:channels"  # hash: channel id -> JSON (webhook URL and secret sealed)
NOTIFY_LEASE = f"{PREFIX}:{{notify}}:lease"  # string: the process that collects and delivers
NOTIFY_CURSORS = f"{PREFIX}:{{notify}}:cursors"  # hash: wins:<contest> -> epoch:seq, badges -> stream id, ...
NOTIFY_DEAD = f"{PREFIX}:{{notify}}:dead"  # hash: dead letter id -> JSON {channel, item, error, attempts, ...}
NOTIFY_DEAD_ORDER = f"{PREFIX}:{{notify}}:dead_order"  # zset: dead letter id -> failed at (ms), bounded
# Badge awards and revocations, appended by the badge worker and the scheduler in the rep's XP shard (by
# ``sync_badges.lua``); the notifier reads every shard's feed merged (``XpKeys.badge_feed``), with a cursor.
BADGE_FEED = f"{PREFIX}:{{xp}}:badge_feed"  # stream of shard 0: one JSON badge change per entry, ~10,000 kept
BADGE_FEED_MAX = 10_000


def notify_outbox(channel_id: str) -> str:
    """List: JSON notifications waiting for one channel, oldest first (bounded by the notifier)."""
    return f"{PREFIX}:{{notify}}:outbox:{channel_id}"


def notify_state(channel_id: str) -> str:
    """Hash: delivery state of one channel (attempts, next attempt, last error, last success, dropped)."""
    return f"{PREFIX}:{{notify}}:state:{channel_id}"


def notify_sent(channel_id: str) -> str:
    """Zset: messages sent to one channel in the last minute (member -> ms), for its rate limit."""
    return f"{PREFIX}:{{notify}}:sent:{channel_id}"


def notify_snapshot(channel_id: str, kind: str, contest_id: str) -> str:
    """String with a TTL: JSON board (rep -> [score, rank]) at a channel's last daily/weekly digest."""
    return f"{PREFIX}:{{notify}}:digest:{channel_id}:{kind}:{contest_id}"


# Insights: anti-gaming flags as a manager saw them, and the decisions taken. In ``{cfg}`` beside the audit
# log, so that a decision and its audit entry go in one MULTI.
FLAGS = f"{PREFIX}:{{cfg}}:flags"  # hash: flag id -> JSON {kind, contest, rep, explanation, events to reverse}
FLAG_DECISIONS = f"{PREFIX}:{{cfg}}:flag_decisions"  # hash: flag id -> JSON {decision, note, by, at, reversed}


def decided_flags(contest_id: str) -> str:
    """set: the ids of a contest's decided flags (a reversed flag is not detected again, yet stays listed)."""
    return f"{PREFIX}:{{cfg}}:flags_decided:{contest_id}"


# Rewards (奖励兑换): reward points kept apart from contest scores, their ledgers, the catalogue, redemptions and
# budgets. In ``{cfg}`` beside the audit log, so a credit, a redemption or a decision and its audit entry are
# written by one script in one slot (``game/lua/reward_*.lua``).
REWARD_CATALOGUE = f"{PREFIX}:{{cfg}}:rewards:catalogue"  # hash: reward id -> JSON {name, description, cost, ...}
REWARD_STOCK = f"{PREFIX}:{{cfg}}:rewards:stock"  # hash: reward id -> units left (absent: no limit)
REWARD_BALANCES = f"{PREFIX}:{{cfg}}:rewards:balances"  # hash: rep -> reward points to spend
REWARD_HELD = f"{PREFIX}:{{cfg}}:rewards:held"  # hash: rep -> points held by redemptions awaiting a decision
REWARD_OPEN = f"{PREFIX}:{{cfg}}:rewards:open"  # hash: rep -> redemptions awaiting a decision
REWARD_REFS = f"{PREFIX}:{{cfg}}:rewards:refs"  # hash: source ref -> ledger entry id (each credit counted once)
REWARD_REDEMPTIONS = f"{PREFIX}:{{cfg}}:rewards:redemptions"  # hash: redemption id -> JSON
REWARD_BUDGETS = f"{PREFIX}:{{cfg}}:rewards:budgets"  # hash: period (2026-12, 2026-Q4) -> JSON {points, money_cents}
REWARD_SPENT = f"{PREFIX}:{{cfg}}:rewards:spent"  # hash: period|points, period|money -> approved so far
REWARD_CURSORS = (
    f"{PREFIX}:{{cfg}}:rewards:cursors"  # hash: badges -> feed id credited to; prizes:<contest> -> corrections
)
REWARD_LEDGER_PREFIX = f"{PREFIX}:{{cfg}}:rewards:ledger:"  # stream per rep: every credit and debit and why


def reward_ledger(rep_id: str) -> str:
    return REWARD_LEDGER_PREFIX + rep_id


# Backups (``server/services/backup.py``): when the last scheduled backup was written, or why it failed.
BACKUP_STATE = f"{PREFIX}:{{cfg}}:backup"  # hash: last_at, last_name, last_error, error_at
BACKUP_RUNNING = f"{PREFIX}:{{cfg}}:backup_running"  # string with a TTL: a process is writing a backup
# String with a TTL: an erasure of a person is running (one at a time: each rewrites the shared streams).
ERASURE_RUNNING = f"{PREFIX}:{{cfg}}:erasure_running"


def backup_patterns() -> list[str]:
    """SCAN patterns of everything a backup keeps besides the event log: the organisation's configuration and
    registry (``{cfg}``), identities (``{auth}``), connectors (``{int}``), notification channels (``{notify}``),
    pictures (``{media}``), badges held and the badge feed, month closings, each contest's kept results, and how far
    the retention trimmed the log. Boards, ledgers and XP are rebuilt from the log (the contests a rebuild leaves as
    they are keep every key: ``contest_pattern``); keys with a time to live (sessions, leases, rate limits, delivery
    markers) are left out by the backup itself."""
    return [
        f"{PREFIX}:{{cfg}}:*",
        f"{PREFIX}:{{auth}}:*",
        f"{PREFIX}:{{int}}:*",
        f"{PREFIX}:{{notify}}:*",
        MEDIA_PREFIX + "*",
        *(shard.badges_prefix + "*" for shard in all_xp_keys()),
        *(shard.badge_feed for shard in all_xp_keys()),
        XP_CLOSED_PREFIX + "*",
        XP_SHARD_COUNT,
        _contest("*", "results"),
        EVENT_LOG_TRIMMED,
    ]


def contest_pattern(contest_id: str) -> str:
    """A SCAN pattern for every key of one contest, all epochs."""
    return _contest(contest_id, "*")
