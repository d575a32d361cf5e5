"""``GET /api/v1/people/{rep}/export``: everything the system holds about one person, as one JSON document, for a
data-subject request under PIPL or the GDPR. Admins export anyone; a manager the reps of the teams they manage
(the people they already see everything of). Every export is audited (``person.export``). What each section
holds, and the erasure design, is in ``docs/privacy.md``; the gathering is ``server/services/person_export.py``."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct
from starlette.requests import Request

from server.api.contract import ApiRoute, Operation, not_found
from server.auth.access import ADMIN, TEAM_MANAGER
from server.http import ApiError, ArenaJSONResponse, arena_of, require
from server.services.person_erasure import ErasureRunning, NotARep, erase_person
from server.services.person_export import person_export

Items = dict[str, Any]


async def export_person(request: Request) -> ArenaJSONResponse:
    rep_id = request.path_params["rep"]
    principal = await require(request, lambda p: p.can_manage, "export a person's data (admins and their manager)")
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    if rep_id not in directory.reps:
        if principal.role == "admin":
            raise ApiError(404, f"no rep {rep_id!r}")
        raise ApiError(403, "managers export the reps of the teams they manage")
    if not principal.manages_rep(rep_id, directory):
        raise ApiError(403, "managers export the reps of the teams they manage")
    document = await person_export(arena, rep_id)
    sections = {name: _count(value) for name, value in document.items() if isinstance(value, list | dict)}
    await arena.audit.person_exported(principal.name, rep_id, sections)
    return ArenaJSONResponse(document, headers={"Cache-Control": "no-store"})


async def erase(request: Request) -> ArenaJSONResponse:
    """Erase a person (PIPL art. 47, GDPR art. 17): admins only, audited (``person.erase``). Asking again about an
    erased rep finishes the same and says ``already_erased``; an id never known is 404."""
    rep_id = request.path_params["rep"]
    principal = await require(request, lambda p: p.role == "admin", "erase a person (admins)")
    try:
        result = await erase_person(arena_of(request), rep_id, principal.name)
    except NotARep:
        raise ApiError(404, f"no rep {rep_id!r}") from None
    except ErasureRunning:
        raise ApiError(409, "another erasure is running: ask again when it has finished") from None
    return ArenaJSONResponse(result.answer(), headers={"Cache-Control": "no-store"})


def _count(section: Any) -> int:
    """How many items a section holds (for the audit entry: the size of what left, never its content)."""
    if isinstance(section, dict) and isinstance(section.get("items"), list):
        return len(section["items"])
    return len(section)


class Capped(Struct):
    items: list[dict[str, Any]]
    truncated: Annotated[bool, Meta(description="More existed than the export holds.")]


class EventsSection(Capped):
    limit: int


class PersonExport(Struct):
    rep: str
    exported_at: str
    directory: Annotated[Items, Meta(description="Name, team, active, opted_out, CRM aliases, photo digest.")]
    accounts: Annotated[list[Items], Meta(description="User accounts linked to the rep, without any secret.")]
    contests: Annotated[list[Items], Meta(description="Each contest the rep is on: rank, total, ledger lines.")]
    progress: Annotated[Items, Meta(description="XP per window and the badges held.")]
    goals: list[Items]
    scorecard: Annotated[Items, Meta(description="This month's KPI scorecard.")]
    rewards: Annotated[Items, Meta(description="Reward points balance, ledger lines and redemptions.")]
    kudos: Capped
    awards: list[Items]
    disputes: list[Items]
    challenges: Annotated[list[Items], Meta(description="Head-to-head challenges the rep made or was sent.")]
    audit: Annotated[Capped, Meta(description="Audit entries whose target is the rep, newest first.")]
    events: Annotated[EventsSection, Meta(description="The rep's events from the event log, oldest first.")]


class PersonErasure(Struct):
    pseudonym: Annotated[str, Meta(description="What the rep id became everywhere: p- + 16 hex digits.")]
    already_erased: Annotated[bool, Meta(description="The rep had been erased before: this run finished the same.")]
    erased_at: str
    sections: Annotated[dict[str, int], Meta(description="How many items each section changed or dropped.")]
    outside: Annotated[str, Meta(description="What the system cannot reach (chat messages already sent...).")]


routes = [
    ApiRoute(
        "/people/{rep}/export",
        export_person,
        "GET",
        Operation(
            "Everything held about one person (PIPL / GDPR access and portability), audited",
            "reps",
            "manage",
            response=PersonExport,
            answers=(not_found("rep"),),
            access=TEAM_MANAGER,
        ),
    ),
    ApiRoute(
        "/people/{rep}",
        erase,
        "DELETE",
        Operation(
            "Erase a person (PIPL / GDPR erasure): pseudonymised everywhere, every score kept, audited",
            "reps",
            response=PersonErasure,
            answers=(not_found("rep"),),  # and 409 while another erasure runs (a race no example provokes)
            access=ADMIN,
        ),
    ),
]
