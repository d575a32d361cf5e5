"""What the rewards API takes and answers (``server/api/rewards.py``), declared once: msgspec decodes and
checks bodies with them and the OpenAPI document is written from them."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from game.rewards import MAX_POINTS
from server.api.types import Money, Text128

MAX_STOCK = 1_000_000
Points = Annotated[int, Meta(ge=1, le=MAX_POINTS)]
Note = Annotated[str, Meta(max_length=500)]
Status = Literal["requested", "approved", "rejected", "delivered"]


class RewardInput(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=80, pattern=r"\S", examples=["与 CEO 共进午餐", "A day off"])]
    cost: Annotated[Points, Meta(description="Reward points a rep spends on it.")]
    description: Annotated[str, Meta(max_length=500)] = ""
    kind: Literal["material", "non_material"] = "material"
    stock: Annotated[int, Meta(ge=0, le=MAX_STOCK, description="Units left; leave out for no limit.")] | None = None
    active: bool = True
    value: (
        Annotated[Money, Meta(description="What one unit costs the company, counted against money budgets.")] | None
    ) = None


class Reward(Struct):
    id: str
    name: str
    description: str
    kind: str
    cost: int
    active: bool
    stock: int | None = None
    value: str | None = None
    value_cents: int | None = None
    updated_at: str | None = None
    updated_by: str | None = None


class RewardList(Struct):
    rewards: list[Reward]


class LedgerLine(Struct):
    id: str
    at: str
    points: int
    source: str
    ref: str
    note: str
    balance: int
    by: str


class RepPoints(Struct):
    rep: str
    balance: int
    held: Annotated[int, Meta(description="Points held by redemptions awaiting a decision.")]
    ledger: list[LedgerLine]


class GrantInput(Struct, forbid_unknown_fields=True):
    rep: Text128
    points: Annotated[int, Meta(ge=-MAX_POINTS, le=MAX_POINTS, description="Negative takes points back.")]
    note: Note = ""
    ref: Annotated[Text128, Meta(description="The same ref grants once (a retry is safe).")] | None = None


class Granted(Struct):
    rep: str
    status: Literal["credited", "already"]
    balance: int
    held: int


class RedeemInput(Struct, forbid_unknown_fields=True):
    reward: Text128


class Redemption(Struct, omit_defaults=True):
    id: str
    rep: str
    reward: str
    name: str
    cost: int
    status: Status
    requested_at: str
    rep_name: str | None = None
    value: str | None = None
    value_cents: int | None = None
    note: str | None = None
    approved_at: str | None = None
    approved_by: str | None = None
    rejected_at: str | None = None
    rejected_by: str | None = None
    delivered_at: str | None = None
    delivered_by: str | None = None
    budget_month: str | None = None
    stocked: bool | None = None


class RedemptionList(Struct):
    redemptions: list[Redemption]
    waiting: int


class RedemptionQuery(Struct):
    status: Status | None = None
    rep: Annotated[str, Meta(description="Only this rep's.")] | None = None


class DecisionInput(Struct, forbid_unknown_fields=True):
    status: Annotated[
        Literal["approved", "rejected", "delivered"],
        Meta(description="approved or rejected (points back) from requested; delivered from approved."),
    ]
    note: Note = ""


class BudgetInput(Struct, forbid_unknown_fields=True):
    points: Annotated[int, Meta(ge=0, le=1_000_000_000)] | None = None
    money: Money | None = None


class Budget(Struct):
    period: str
    points: int | None = None
    money: str | None = None
    money_cents: int | None = None
    spent_points: int = 0
    spent_money: str = "0.00"
    spent_money_cents: int = 0


class BudgetList(Struct):
    budgets: list[Budget]
