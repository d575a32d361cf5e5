"""Awards crowned from a contest's result: the best seller (月度最佳销售奖, its champion) and the best team
(最佳团队奖, its best team) — pure.

A contest opts in with ``"awards": [{"kind": "best_seller", "title": "十二月最佳销售"}, {"kind": "best_team"}]``
(no ``awards``: none are crowned). Crowning compares the result with what was crowned before, so a second
close or a rescore that changes nothing crowns nobody twice, and a corrected result moves the crown to the new
winner, saying who held it (``Crown.previous``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from game.errors import Collector

AWARD_KINDS = ("best_seller", "best_team")
MAX_TITLE = 60
DEFAULT_TITLES = {
    "best_seller": {"zh-CN": "月度最佳销售奖", "en": "Best seller of the month"},
    "best_team": {"zh-CN": "最佳团队奖", "en": "Best team award"},
}


@dataclass(frozen=True)
class Crown:
    """One award of one contest as it stands: who holds it (None: nobody earned it) and who held it before."""

    contest: str
    kind: str
    winner: str | None
    title: str | None  # the contest's own title; None: the default title in each language
    previous: str | None = None

    @property
    def key(self) -> str:
        return f"{self.contest}|{self.kind}"

    @property
    def winner_type(self) -> str:
        return "team" if self.kind == "best_team" else "rep"


def check_awards(raw: Any, errors: Collector) -> None:
    """A contest's ``awards``: at most one of each kind, each with an optional title of 1–60 characters."""
    if raw is None:
        return
    if not isinstance(raw, list) or len(raw) > len(AWARD_KINDS):
        errors.add("awards", 'a list such as [{"kind": "best_seller", "title": "月度最佳销售奖"}, {"kind": ...}]')
        return
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"awards[{index}]"
        if not isinstance(item, dict) or item.get("kind") not in AWARD_KINDS or item["kind"] in seen:
            errors.add(f"{where}.kind", f"one of {', '.join(AWARD_KINDS)}, each at most once")
            continue
        seen.add(item["kind"])
        title = item.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE):
            errors.add(f"{where}.title", f"1 to {MAX_TITLE} characters, or left out for the default title")
        if unknown := sorted(set(item) - {"kind", "title"}):
            errors.add(where, f"unknown field {unknown[0]!r}")


def newest_first(crowned: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Crowns newest first; those of one close in the order of ``AWARD_KINDS`` (the best seller first)."""
    by_kind = sorted(crowned, key=lambda c: AWARD_KINDS.index(c["award"]) if c.get("award") in AWARD_KINDS else 9)
    return sorted(by_kind, key=lambda c: c.get("at") or "", reverse=True)


def raise_if_bad_awards(raw: Any) -> None:
    errors = Collector()
    check_awards(raw, errors)
    errors.raise_if_any()


def crowns(contest_id: str, definition: Mapping[str, Any], results: Mapping[str, Any]) -> list[Crown]:
    """The awards a contest's (final or corrected) results give, in the order the contest lists them."""
    found: list[Crown] = []
    for item in definition.get("awards") or []:
        if (
            not isinstance(item, dict)
            or item.get("kind") not in AWARD_KINDS
            or any(c.kind == item["kind"] for c in found)
        ):
            continue
        winner = results.get("champion") if item["kind"] == "best_seller" else results.get("best_team")
        title = (item.get("title") or "").strip() or None
        found.append(Crown(contest_id, item["kind"], winner or None, title))
    return found


def crown_moves(stored: Mapping[str, Mapping[str, Any]], fresh: list[Crown]) -> list[Crown]:
    """The crowns to write and announce: new ones with a winner, and those whose winner changed (with the
    previous holder). A crown already held by the same winner is no news."""
    moves = []
    for crown in fresh:
        before = stored.get(crown.key)
        if before is None:
            if crown.winner is not None:
                moves.append(crown)
        elif before.get("winner") != crown.winner:
            moves.append(Crown(crown.contest, crown.kind, crown.winner, crown.title, before.get("winner")))
    return moves
