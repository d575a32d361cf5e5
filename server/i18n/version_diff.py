"""Two versions of a contest's rules compared in words: the scoring clauses one has and the other lacks
(「每成交 ¥1,000 得 1 分」 → 「每成交 ¥500 得 1 分」), and the other settings that changed, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from game.contests import definition_changes
from server.i18n.changes_text import SCORING_FIELDS, change_lines
from server.i18n.rules_text import describe_rules


@dataclass(frozen=True)
class RulesDiff:
    removed: list[str] = field(default_factory=list)  # clauses of the older version only
    added: list[str] = field(default_factory=list)  # clauses of the newer version only
    kept: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # the other settings that changed, one sentence each

    @property
    def empty(self) -> bool:
        return not (self.removed or self.added or self.other)


def rules_diff(older: dict[str, Any], newer: dict[str, Any], locale: str, currency: str, timezone: str) -> RulesDiff:
    """What differs from ``older`` to ``newer``: scoring in clauses, everything else in sentences."""
    before = describe_rules(older, locale, currency)
    after = describe_rules(newer, locale, currency)
    others = [
        change
        for change in definition_changes(older, newer)
        if change["field"].split(".")[0].split("[")[0] not in SCORING_FIELDS
    ]
    return RulesDiff(
        removed=[clause for clause in before if clause not in after],
        added=[clause for clause in after if clause not in before],
        kept=[clause for clause in after if clause in before],
        other=change_lines(others, newer, locale, currency, timezone) if others else [],
    )
