"""The organisation's working-day calendar: ``GET``/``PUT /api/v1/org/calendar``. The country's public holidays
come with the packages (``game/work_calendar.py``: China's with its 调休 make-up days, other countries' from
``holidays``); an admin adds the company's own days off and make-up days here, and they win over the public
calendar. Goals pace by it; streak badges and contests capped per working day follow it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta, Struct
from starlette.requests import Request

from game.work_calendar import MAX_OVERRIDES
from server.api.codec import decode_body
from server.api.contract import Answer, ApiRoute, Operation
from server.auth.access import ADMIN, ANY_MANAGER
from server.http import ArenaJSONResponse, arena_of, require
from server.services.goals import check_calendar

COUNTRY_PATTERN = "^([A-Z]{2}|OTHER)$"
Days = Annotated[list[date], Meta(max_length=MAX_OVERRIDES)]


class CalendarInput(Struct, forbid_unknown_fields=True):
    country: Annotated[
        str,
        Meta(
            pattern=COUNTRY_PATTERN,
            examples=["CN", "US", "SG"],
            description="CN: China's published holidays and 调休 make-up days; another ISO 3166 code (US, GB, DE, JP, "
            "SG, HK, TW, …): that country's public holidays and weekend from the holidays package; OTHER: "
            "Monday–Friday only.",
        ),
    ] = "CN"
    holidays: Annotated[Days, Meta(description="Extra days off (YYYY-MM-DD).")] = []
    workdays: Annotated[Days, Meta(description="Extra working days, e.g. a make-up Saturday (YYYY-MM-DD).")] = []


class WorkCalendarView(Struct):
    country: str
    holidays: list[str]
    workdays: list[str]


async def get_calendar(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.can_manage, "read the working-day calendar")
    return ArenaJSONResponse(await arena_of(request).goals.calendar())


async def put_calendar(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.role == "admin", "change the working-day calendar")
    body = await decode_body(request, CalendarInput, "calendar")
    check_calendar(body.country, body.holidays, body.workdays)
    document = {
        "country": body.country,
        "holidays": sorted({day.isoformat() for day in body.holidays}),
        "workdays": sorted({day.isoformat() for day in body.workdays}),
    }
    await arena_of(request).goals.put_calendar(document, actor=principal.name)
    return ArenaJSONResponse(document)


routes = [
    ApiRoute(
        "/org/calendar",
        get_calendar,
        "GET",
        Operation(
            "The organisation's own holidays and make-up working days",
            "goals",
            "manage",
            response=WorkCalendarView,
            access=ANY_MANAGER,
        ),
    ),
    ApiRoute(
        "/org/calendar",
        put_calendar,
        "PUT",
        Operation(
            "Set the organisation's own holidays and make-up working days (they win over the public calendar)",
            "goals",
            "admin",
            body=CalendarInput,
            response=WorkCalendarView,
            answers=(
                Answer(422, "a day that is not a date", "holidays[0]", {"holidays": ["2026-02-30"]}),
                Answer(422, "an unknown country", "country", {"country": "XX"}),
                Answer(
                    422,
                    "a day both off and worked",
                    "workdays",
                    {"holidays": ["2026-10-10"], "workdays": ["2026-10-10"]},
                    cross_field=True,
                ),
            ),
            access=ADMIN,
        ),
    ),
]
