"""Board scores as a reader sees them: points grouped by thousands; percent-of-target boards keep tenths of a
percent and read as a percentage with one decimal, as the chat notifications write it."""

from __future__ import annotations

import pytest

from server.i18n.catalogs import environment, format_score
from server.notifications.messages import score_text


@pytest.mark.parametrize(
    ("score", "percent", "shown"),
    [
        (950, True, "95.0%"),
        (50, True, "5.0%"),
        (0, True, "0.0%"),
        (12345, True, "1,234.5%"),
        (950, False, "950"),
        (1280000, False, "1,280,000"),
    ],
)
def test_scores_read_as_points_or_percent_of_target(score: int, percent: bool, shown: str) -> None:
    assert format_score(score, percent) == shown


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_pages_and_chat_write_a_percentage_alike(locale: str) -> None:
    rendered = environment(locale).from_string("{{ 634 | score(true) }} {{ 634 | score }}").render()
    assert rendered == "63.4% 634"
    assert score_text(634, "percent", locale) == format_score(634, True)
