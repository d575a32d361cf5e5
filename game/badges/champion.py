"""Champion and best team: who a closed contest crowns (月度最佳销售, 最佳团队).

The results themselves are decided in ``game.results`` (ties by who got there first; in a race, the first
to reach the target with deals that still stand); this module says who receives which badge kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from game.directory import Rep


def champion_awards(results: Mapping[str, Any], reps: Iterable[Rep]) -> list[tuple[str, str]]:
    """(rep id, badge kind) pairs: the champion, and every active member of the best team."""
    awards: list[tuple[str, str]] = []
    if results.get("champion"):
        awards.append((results["champion"], "champion"))
    if results.get("best_team"):
        awards += [(rep.id, "best_team") for rep in reps if rep.team == results["best_team"] and rep.active]
    return awards
