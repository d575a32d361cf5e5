"""The pure engine's worked examples: two teams and a rep without one, a November contest in Shanghai and a
won deal in it, each overridable field by field."""

from __future__ import annotations

from datetime import UTC, datetime

from game.contests import parse_contest
from game.directory import Directory, Rep, Team
from game.events import parse_event

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
DIRECTORY = Directory(
    reps={"wang": Rep("wang", "王芳", "east"), "li": Rep("li", "李娜", "north"), "solo": Rep("solo", "Solo", None)},
    teams={"east": Team("east", "华东战队"), "north": Team("north", "华北战队")},
)


def contest(**overrides: object):
    definition = {
        "id": "nov",
        "name": "十一月销冠赛",
        "starts_at": "2026-11-01T00:00:00+08:00",
        "ends_at": "2026-12-01T00:00:00+08:00",
        "rules": [{"on": "deal.won", "points_per": 1000}],
    }
    definition.update(overrides)
    return parse_contest(definition, default_timezone="Asia/Shanghai", default_currency="CNY")


def event(**fields: object):
    raw = {
        "id": "e1",
        "type": "deal.won",
        "rep": "wang",
        "amount": "12345.67",
        "occurred_at": "2026-11-20T10:00:00+08:00",
    }
    raw.update(fields)
    return parse_event(raw, now=NOW, default_currency="CNY")
