"""Contests as stored documents: their public summary, validation against the server's defaults, and the
creation of a new one (the API's ``POST /contests`` and accepted challenges both come here)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from game.awards import raise_if_bad_awards
from game.contests import Contest, parse_contest
from game.directory import Directory
from game.errors import ValidationError
from server.auth.principals import Principal
from server.errors import ApiError
from server.services.contest_versions import version_entry

if TYPE_CHECKING:
    from server.arena import Arena


def contest_summary(contest: Contest, now: datetime) -> dict[str, Any]:
    return {
        **contest.definition,
        "id": contest.id,
        "name": contest.name,
        "kind": contest.kind,
        "starts_at": contest.starts_at.isoformat(),
        "ends_at": contest.ends_at.isoformat(),
        "timezone": contest.timezone,
        "currency": contest.currency,
        "team_score": str(contest.team_score),
        "status": contest.status_at(now),
        "version": contest.version,
        "epoch": contest.epoch,
    }


def jsonable(value: Any) -> Any:
    """The definition as stored: Decimals kept as exact strings (never floats)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, (int, str, bool)) or value is None:
        return value
    return str(value)


def validated(arena: Arena, body: Any) -> Contest:
    settings = arena.settings
    try:
        if isinstance(body, dict):  # awards are crowned by the server, not scored: checked beside the engine's rules
            raise_if_bad_awards(body.get("awards"))
        return parse_contest(body, default_timezone=settings.timezone, default_currency=settings.currency)
    except ValidationError as exc:
        raise ApiError(422, f"invalid contest: {exc}", [e.as_dict() for e in exc.errors]) from None


def stored_definition(body: dict[str, Any], contest: Contest) -> dict[str, Any]:
    document = jsonable({k: v for k, v in body.items() if k not in ("draft", "change_reason")})
    document.setdefault("timezone", contest.timezone)
    document.setdefault("currency", contest.currency)
    document.setdefault("kind", contest.kind)
    return document


def ensure_scope(principal: Principal, contest: Contest, directory: Directory) -> None:
    if not principal.manages_contest(contest, directory):
        raise ApiError(403, f"contest {contest.id!r} has participants outside your teams")


async def store_new_contest(arena: Arena, body: Any, principal: Principal) -> Contest:
    """Validate and store a new contest and put its participants on the boards (also used by challenges)."""
    contest = validated(arena, body)
    snapshot = await arena.registry.current()
    ensure_scope(principal, contest, snapshot.directory)
    if contest.id in snapshot.contests:
        raise ApiError(
            409,
            f"contest {contest.id!r} exists already: change it with PUT (a new version)",
            [{"field": "id", "message": "already in use"}],
        )
    state = "draft" if body.get("draft") is True else "active"
    document = {"definition": stored_definition(body, contest), "state": state, "version": 1, "epoch": 1, "history": []}
    document["versions"] = [version_entry(1, principal.name, None, [])]
    await arena.registry.put_contest(document, principal.name, "contest.create")
    await arena.sync_rosters(contest=contest.id)
    return (await arena.registry.current()).contests[contest.id]
