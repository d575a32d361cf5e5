"""``GET /api/v1/rates`` and ``PUT /api/v1/rates/{month}``: the monthly exchange rates deals in other currencies
score at (``game.exchange_rates``), and the deals still waiting for one."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct
from starlette.requests import Request

from game.errors import Collector, ValidationError
from game.exchange_rates import MONTH_PATTERN, parse_month_rates
from server.api.codec import decode_body
from server.api.contract import Answer, ApiRoute, Operation
from server.auth.access import ANY_MANAGER, DIRECTORY
from server.http import ArenaJSONResponse, arena_of, require, validation_error
from server.services.exchange_rates import set_month_rates

Rate = Annotated[str, Meta(pattern=r"^[0-9]+(\.[0-9]+)?$", max_length=24, examples=["7.1234"])]


class MonthRatesInput(Struct, forbid_unknown_fields=True):
    """One month's rates: what one unit of each currency is worth in the organisation's currency."""

    rates: Annotated[
        dict[Annotated[str, Meta(pattern="^[A-Za-z]{3}$")], Rate],
        Meta(min_length=1, max_length=50, description='e.g. {"USD": "7.1234"}: 1 USD = 7.1234 of ours'),
    ]


class MonthRates(Struct):
    month: str
    rates: dict[str, str]


class NotRescored(Struct):
    contest: str
    reason: str


class MonthRatesSet(Struct):
    """The month's rates as stored; the contests rescored at them (their boards change once each rescore is done,
    ``GET /api/v1/contests/{id}/rescore``) and those that could not be rescored now, with why."""

    month: str
    rates: dict[str, str]
    rescoring: list[str]
    not_rescored: list[NotRescored]


class Waiting(Struct):
    currency: str
    month: str
    deals: Annotated[int, Meta(description="Deals logged in this currency and month before its rate was set.")]


class RatesView(Struct):
    currency: Annotated[str, Meta(description="The organisation's currency: every rate is in it.")]
    timezone: Annotated[str, Meta(description="The zone whose months an event's occurred_at falls in.")]
    months: list[MonthRates]
    waiting: list[Waiting]


async def get_rates(request: Request) -> ArenaJSONResponse:
    await require(request, lambda p: p.can_manage or p.role == "read", "read exchange rates")
    arena = arena_of(request)
    rates = (await arena.registry.current()).rates
    months: dict[str, dict[str, str]] = {}
    for (currency, month), rate in sorted(rates.table.items(), key=lambda item: (item[0][1], item[0][0])):
        months.setdefault(month, {})[currency] = str(rate)
    return ArenaJSONResponse(
        {
            "currency": rates.base,
            "timezone": rates.timezone,
            "months": [{"month": month, "rates": table} for month, table in months.items()],
            "waiting": [
                {"currency": currency, "month": month, "deals": deals}
                for currency, month, deals in await arena.registry.rates_waiting()
            ],
        }
    )


async def put_rates(request: Request) -> ArenaJSONResponse:
    principal = await require(request, lambda p: p.can_manage, "set exchange rates")
    arena = arena_of(request)
    month = request.path_params["month"]
    body = await decode_body(request, MonthRatesInput, "rates")
    errors = Collector()
    if not MONTH_PATTERN.match(month):
        errors.add("month", "must be a month as YYYY-MM, e.g. 2026-12")
    rates = parse_month_rates(body.rates, arena.settings.currency, errors)
    try:
        errors.raise_if_any()
    except ValidationError as exc:
        raise validation_error(exc, "invalid rates") from None
    return ArenaJSONResponse(await set_month_rates(arena, month, rates, principal.name))


routes = [
    ApiRoute(
        "/rates",
        get_rates,
        "GET",
        Operation(
            "Monthly exchange rates, and the deals waiting for a month's rate",
            "contests",
            "manage",
            response=RatesView,
            access=DIRECTORY,
        ),
    ),
    ApiRoute(
        "/rates/{month}",
        put_rates,
        "PUT",
        Operation(
            "Set a month's exchange rates; the contests they change are rescored",
            "contests",
            "manage",
            body=MonthRatesInput,
            response=MonthRatesSet,
            path={"month": MONTH_PATTERN.pattern},
            answers=(
                Answer(422, "a rate of zero", "rates.USD", {"rates": {"USD": "0"}}, cross_field=True),
                Answer(422, "a rate that is not a decimal", "rates", {"rates": {"USD": "seven"}}),
                Answer(422, "the organisation's own currency", "rates.CNY", {"rates": {"CNY": "1"}}, cross_field=True),
            ),
            access=ANY_MANAGER,
        ),
    ),
]
