"""What the contest endpoints take and answer (``server/api/contests.py``): a contest definition as a manager
writes it, a contest as the server reports it, boards, standings and results. The cross-field rules (an end after
the start, what each kind needs, targets for percent-of-target scoring) are the engine's: ``game/contests.py``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from game.awards import MAX_TITLE
from game.cap_days import CAP_DAYS, MAX_DAYS_OFF
from game.contests import CONFIRM_DAYS, ID_PATTERN, KINDS, MAX_RULES, RECURRENCES, SCORINGS
from game.events import TYPE_PATTERN
from game.ranking import MAX_SCORE
from game.rewards import MAX_POINTS as MAX_REWARD_POINTS
from game.rules import MAX_POINTS_PER_EVENT
from server.api.types import Text64, Time

# A whole number or a decimal (string or number): kept as sent, never through a float.
Amount = Annotated[
    int | Decimal,
    Meta(
        description="A decimal amount; sent as a string it stays exact.",
        extra_json_schema={
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}]
        },
    ),
]
Points = Annotated[int, Meta(ge=1, le=MAX_SCORE)]
Ids = list[Annotated[str, Meta(min_length=1)]]
Multipliers = Annotated[
    dict[Literal["category", "product"], dict[str, Amount]],
    Meta(
        description='Factors by event attribute, e.g. {"category": {"high_margin": 1.5}, "product": {"A100": 2}}: a '
        "deal's category multiplies the deal, or each line item by its own category; a product its lines."
    ),
]


class Rule(Struct):
    """Points for an event type: flat ``points`` and/or ``points_per`` (money per point), optional filters."""

    on: Annotated[str, Meta(pattern=TYPE_PATTERN.pattern, examples=["deal.won", "call.logged"])]
    points: Annotated[int, Meta(ge=0, le=MAX_POINTS_PER_EVENT)] = 0
    points_per: Amount | None = None
    basis: (
        Annotated[
            Literal["revenue", "margin"],
            Meta(description="What points_per counts: the deal's amount (default) or its margin."),
        ]
        | None
    ) = None
    category: Text64 | list[Text64] | None = None
    min_amount: Amount | None = None
    new_customer_only: bool = False
    multipliers: Multipliers | None = None
    cap_per_day: Annotated[int, Meta(ge=1)] | None = None
    label: str | None = None


class Prize(Struct):
    prize: Annotated[str, Meta(min_length=1, pattern=r"\S", examples=["¥2,000 bonus", "团队聚餐"])]
    rank: Annotated[int, Meta(ge=1)] | list[Annotated[int, Meta(ge=1)]] | None = None
    threshold: Points | None = None
    board: Literal["reps", "teams"] = "reps"
    value: Amount | None = None
    min_score: (
        Annotated[
            Points, Meta(description="A rank prize: the fewest points that may win it (default 1: never with 0).")
        ]
        | None
    ) = None
    ties: Annotated[
        Literal["first", "share"],
        Meta(description="A rank prize: a tie at its edge goes to whoever reached the score first, or is shared."),
    ] = "first"
    reward_points: (
        Annotated[
            int,
            Meta(ge=1, le=MAX_REWARD_POINTS, description="Reward points credited to each winner (a team's members)."),
        ]
        | None
    ) = None


class Confirm(Struct, forbid_unknown_fields=True):
    """Provisional points: a won deal counts provisionally until an event of type ``on`` names it in ``ref``.

    Days count from when the win reached the arena. With ``auto_after_days`` a deal nobody reversed is
    confirmed after that many days; without it a deal still unconfirmed after ``within_days`` expires: its
    points drop out. Prizes and champions wait until every deal is confirmed, reversed or expired."""

    on: Annotated[str, Meta(pattern=TYPE_PATTERN.pattern, max_length=64, examples=["deal.paid"])]
    within_days: Annotated[int, Meta(ge=1, le=CONFIRM_DAYS)]
    auto_after_days: Annotated[int, Meta(ge=1, le=CONFIRM_DAYS)] | None = None


class AwardSpec(Struct, forbid_unknown_fields=True):
    kind: Literal["best_seller", "best_team"]
    title: Annotated[str, Meta(min_length=1, max_length=MAX_TITLE, pattern=r"\S")] | None = None


class ContestDefinition(Struct):
    """A contest as a manager writes it; fields left out take the organisation's defaults."""

    id: Annotated[str, Meta(pattern=ID_PATTERN.pattern, description="1-64 letters, digits, _ or -.")]
    name: Annotated[str, Meta(min_length=1, max_length=120, pattern=r"\S")]
    starts_at: Time
    ends_at: Time
    rules: Annotated[list[Rule], Meta(min_length=1, max_length=MAX_RULES)]
    kind: Literal[KINDS] = "individual"  # type: ignore[valid-type]
    timezone: str | None = None
    currency: Annotated[str, Meta(pattern="^[A-Za-z]{3}$")] | None = None
    team_score: Annotated[
        str, Meta(pattern=r"^(sum|average|best:[1-9][0-9]{0,2})$", examples=["sum", "average", "best:3"])
    ] = "sum"
    teams: Ids | None = None
    reps: Ids | None = None
    multipliers: Multipliers | None = None
    scoring: Literal[SCORINGS] = "points"  # type: ignore[valid-type]
    targets: dict[str, Points] = {}
    default_target: Points | None = None
    targets_from_goal: (
        Annotated[
            str,
            Meta(
                max_length=160,
                description="Score percent of this goal (scoring becomes percent_of_target): each rep's target is "
                "their part of it, in points by the one rule that scores the goal's metric; taken when saved.",
            ),
        ]
        | None
    ) = None
    target: Points | None = None
    goal: Points | None = None
    big_deal: (
        Annotated[
            Amount,
            Meta(
                description="A won deal of at least this amount (in the contest's currency) earns the TV's full "
                "celebration card, like a display's own big_deal; smaller deals go to the banner."
            ),
        ]
        | None
    ) = None
    sides: Ids | None = None
    side_type: Literal["rep", "team"] = "rep"
    divisions: dict[Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{1,32}$")], list[str]] = {}
    prizes: Annotated[list[Prize], Meta(max_length=50)] = []
    recurrence: Literal[RECURRENCES] | None = None  # type: ignore[valid-type]
    grace_hours: Annotated[int, Meta(ge=0, le=24 * 90)] = 72
    confirm: Confirm | None = None
    cap_days: (
        Annotated[
            Literal[CAP_DAYS],  # type: ignore[valid-type]
            Meta(
                description="What a rule's cap_per_day counts per: a calendar day, or a working day (a day off counts "
                "against the cap of the working day before it). Left out: working for a new contest, what it had "
                "for a changed one (calendar for contests saved before the choice existed)."
            ),
        ]
        | None
    ) = None
    days_off: (
        Annotated[
            list[date],
            Meta(
                max_length=MAX_DAYS_OFF,
                description="The contest's days off when caps count per working day, frozen into the definition: "
                "left out, they are copied from the organisation's calendar (/org/calendar) when it is saved.",
            ),
        ]
        | None
    ) = None
    awards: (
        Annotated[
            list[AwardSpec],
            Meta(
                max_length=2,
                description="Awards crowned from the result when the contest closes (月度最佳销售奖: its champion; "
                "最佳团队奖: its best team); left out, none.",
            ),
        ]
        | None
    ) = None
    draft: bool = False


class ContestChangeBody(ContestDefinition, kw_only=True):
    """A new definition; once the contest has started (live or ended), with why it changes."""

    change_reason: Annotated[str, Meta(max_length=500, examples=["二季度价格调整，按新毛利计分"])] | None = None


class Contest(ContestDefinition, kw_only=True):
    status: Literal["draft", "scheduled", "live", "paused", "ended", "archived"]
    version: int
    epoch: int
    window: (
        Annotated[
            Literal["scoring"],
            Meta(description="Created or launched with a start in the past: the events logged in its window count."),
        ]
        | None
    ) = None


class ContestList(Struct):
    contests: list[Contest]


class ContestChange(Struct, omit_defaults=True):
    id: str
    version: int | None = None
    rescore: str | None = None
    window: str | None = None
    ends_at: str | None = None
    status: str | None = None


class WindowScoring(Struct):
    """The scoring of a past window (a contest created or launched with a start in the past)."""

    state: Literal["running", "done", "failed"]
    read: Annotated[int, Meta(description="Logged events read so far.")]
    share: Annotated[float, Meta(ge=0, le=1, description="How much of the log's time since the start is read.")]


class RescoreStatus(Struct):
    id: str
    epoch: int
    state: str
    done: int
    total: int
    window: WindowScoring | None = None


class LeaderboardRow(Struct):
    rank: Annotated[int, Meta(description="Standard competition rank (1, 2, 2, 4).")]
    id: str
    name: Annotated[str, Meta(description="Initials for reps who opted out, on public screens.")]
    score: int
    team: str | None = None
    photo: (
        Annotated[
            str,
            Meta(
                description="The digest of the rep's photo, served at /api/v1/reps/{id}/photo/{photo}; absent: "
                "none, or a rep who opted out on a public screen (initials in a coloured circle)."
            ),
        ]
        | None
    ) = None
    percent: Annotated[float, Meta(description="Percent-of-target contests: percent of the target.")] | None = None
    provisional: (
        Annotated[
            int,
            Meta(
                description="Contests that confirm deals: the part of ``score`` not yet confirmed "
                "(included in it; may still drop out)."
            ),
        ]
        | None
    ) = None


class Leaderboard(Struct):
    contest: str
    board: str
    epoch: int
    seq: int
    rows: list[LeaderboardRow]
    total: int = 0


class BoardQuery(Struct):
    limit: Annotated[int, Meta(ge=1, le=500, description="Rows to return (1–500).")] = 50
    around: Annotated[str, Meta(description="A rep (or team) id: the rows around it.")] | None = None


class Pace(Struct):
    target: int
    percent: float
    expected_percent: float
    status: Literal["reached", "on_track", "behind"]
    days_left: float


class Standing(Struct):
    contest: str
    rep: str
    rank: int
    score: int
    points: int
    of: int
    gap_to_next: int | None
    pace: Pace | None
    provisional: Annotated[int, Meta(description="Contests that confirm deals: points not yet confirmed.")] | None = (
        None
    )


class StandingRow(Struct):
    rank: int
    id: str
    name: str
    score: int
    team: str | None = None


class TeamStandingRow(Struct):
    rank: int
    id: str
    name: str
    score: int


class AwardedPrize(Struct):
    id: str
    prize: str
    rank: int | None = None
    board: str = "reps"
    score: int | None = None
    place: Annotated[int, Meta(description="Position on the board, ties broken by who reached it first.")] | None = None
    tie: (
        Annotated[
            Literal["reached_first", "shared"],
            Meta(description="How a tie at the winner's score was settled (null: no tie)."),
        ]
        | None
    ) = None
    tied_with: Annotated[list[str], Meta(description="Who had the same score: behind, or sharing the prize.")] = []
    reward_points: int | None = None


class UnawardedPrize(Struct):
    """Places of a rank prize held by reps (or teams) below its minimum: nobody wins them."""

    prize: str
    board: str
    rank: list[int]
    places: int
    min_score: int


class RankChange(Struct):
    """One rep's place and prize before and after a correction (None: not on the board / no prize)."""

    rep: str
    old_rank: int | None
    new_rank: int | None
    old_prize: str | None
    new_prize: str | None


class Correction(Struct):
    """Results computed again after the close: when, by whom, why, and who moved."""

    at: Time
    by: str
    reason: str
    changes: list[RankChange]


class Results(Struct):
    contest: str
    final: bool
    status: Annotated[
        Literal["preliminary", "awaiting_confirmation", "final"],
        Meta(description="awaiting_confirmation: ended, but deals are still provisional; see confirm_by."),
    ]
    champion: str | None
    standings: list[StandingRow]
    teams: list[TeamStandingRow] = []
    prizes: list[AwardedPrize] = []
    unawarded: list[UnawardedPrize] = []
    best_team: str | None = None
    finalized_at: Time | None = None
    finishes: dict[str, int] = {}
    version: Annotated[int, Meta(description="The contest version the results were computed under.")] = 1
    corrections: list[Correction] = []
    corrected_at: Time | None = None
    confirm_by: (
        Annotated[Time, Meta(description="While awaiting confirmation: when the last provisional deal settles.")] | None
    ) = None


class AuditEntry(Struct):
    id: str
    at: str
    actor: str
    action: str
    target: str
    data: Any = None


class AuditLog(Struct):
    entries: list[AuditEntry]


class AuditQuery(Struct):
    target: Annotated[str, Meta(description="A contest, rep or team id.")] | None = None


class Preview(Struct):
    valid: bool
    errors: list[dict[str, str]]
    rules: dict[str, Any]


class CloneBody(Struct):
    """For ``clone``: the new id and any fields to change; other actions take no body."""

    id: str | None = None
