"""The console's teams and reps (``/admin/people``): one search (an id or a name) and a team filter over both;
at most 50 teams and a page of 50 reps, each row with its own edit form; adding reps one by one or from CSV.

A 50,000-rep directory is never sorted or rendered whole per request: ``server/services/rep_listing.py``
orders it once per directory change, and a request filters that in memory and renders one page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.directory import Team
from server.auth.principals import Principal
from server.http import MAX_CSV_UPLOAD_BYTES
from server.services.rep_listing import (
    MAX_QUERY_CHARS,
    RepIndex,
    RepPage,
    listed,
    page_of,
    rep_index,
    search_text,
)
from server.web.console import console_context, console_user
from server.web.render import page

PATH = "/admin/people"
TEAMS_SHOWN = 50  # teams listed to edit at once; a search or the team filter finds any other


def chosen_page(index: RepIndex, principal: Principal, params: QueryParams) -> tuple[RepPage, dict[str, str]]:
    """The page of reps the query asks for, among those the user manages, and the query it was read from
    (what the links to other pages carry)."""
    query = params.get("q", "")[:MAX_QUERY_CHARS].strip()
    team = params.get("team", "")[:128]  # no team id is longer
    if team:
        runs = index.of_teams([team] if principal.manages_team(team) else [])  # another's team: nothing
    else:
        runs = index.of_teams(None if principal.role == "admin" else principal.teams)
    chosen = page_of(listed(runs, query), page_number(params.get("page", "")))
    kept = {key: value for key, value in (("q", query), ("team", team), ("lang", params.get("lang", ""))) if value}
    return chosen, kept


def shown_teams(teams: Sequence[Team], query: str, team: str) -> tuple[list[Team], int]:
    """The teams the page lists to edit: the one chosen, or those whose id or name holds the search, at most
    ``TEAMS_SHOWN`` of them; and how many there were."""
    if team:
        picked = [t for t in teams if t.id == team]
    elif query:
        needle = search_text(query)
        picked = [t for t in teams if needle in search_text(f"{t.id} {t.name}")]
    else:
        picked = list(teams)
    return picked[:TEAMS_SHOWN], len(picked)


def page_number(text: str) -> int:
    """The page asked for; anything but a plain number asks for the first."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 1


def page_links(kept: dict[str, str], chosen: RepPage) -> dict[str, str]:
    """Links to the first, previous, next and last pages (those there are), keeping the search and filter."""
    wanted = {"first": 1, "previous": chosen.number - 1, "next": chosen.number + 1, "last": chosen.pages}
    return {
        name: f"{PATH}?{urlencode({**kept, 'page': number})}"
        for name, number in wanted.items()
        if 1 <= number <= chosen.pages and number != chosen.number
    }


async def people_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    directory = context["snapshot"].directory
    index = rep_index(directory)
    chosen, kept = chosen_page(index, principal, request.query_params)
    listing: dict[str, Any] = {
        "page": chosen,
        "query": kept.get("q", ""),
        "team": kept.get("team", ""),
        "everyone": len(context["reps"]),
        "links": page_links(kept, chosen),
        "team_names": {team.id: team.name for team in context["teams"]},
    }
    listing["teams"], listing["teams_total"] = shown_teams(context["teams"], listing["query"], listing["team"])
    return page(
        request, "console/people.html", section="people", import_limit=MAX_CSV_UPLOAD_BYTES, listing=listing, **context
    )


routes = [Route(PATH, people_page, methods=["GET"])]
