"""Public recognition (公开表彰), whoever asks: a manager's kudos (赞) to a rep or a team of theirs, and the awards
a contest's result crowns (月度最佳销售奖, 最佳团队奖: ``game/awards.py``).

Kudos come from managers (for the reps and teams they manage) and admins only. Peer kudos are not offered: the
recognition the screens make a moment of is a manager's, and a rep cannot flood the office TV. A message is
1–``MAX_MESSAGE`` characters, shown as text everywhere (autoescaped pages, ``textContent`` on the TV and phone).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.awards import DEFAULT_TITLES, Crown, crowns
from game.contests import Contest
from game.directory import Directory
from server.auth.principals import Principal
from server.errors import ApiError
from server.services.recognition_store import Moment
from server.services.rewards import credit_reward_points

if TYPE_CHECKING:
    from server.arena import Arena

MAX_MESSAGE = 280
MAX_PAGE = 100


MAX_KUDOS_POINTS = 1_000  # the most reward points one kudos may credit each rep it thanks


def kudos_moment(
    rep: str | None, team: str | None, message: str, by: str, now: datetime, reward_points: int = 0
) -> Moment:
    moment: Moment = {
        "id": secrets.token_hex(6),
        "kind": "kudos",
        "rep": rep,
        "team": team,
        "message": message.strip(),
        "by": by,
        "at": now.isoformat(),
    }
    if reward_points:
        moment["reward_points"] = reward_points
    return moment


def thanked_reps(rep: str | None, team: str | None, directory: Directory) -> list[str]:
    """Whom a kudos' reward points go to: the rep, or every active member of the team."""
    if rep is not None:
        return [rep]
    return sorted(r.id for r in directory.reps.values() if r.active and r.team is not None and r.team == team)


async def credit_kudos_points(arena: Arena, moment: Moment, directory: Directory) -> None:
    """Credit a kudos' reward points to each rep it thanks, once per kudos and rep (the ref names both), so
    crediting the same kudos again credits nothing."""
    points = int(moment.get("reward_points") or 0)
    if not points:
        return
    note = str(moment.get("message", ""))[:80]
    for rep in thanked_reps(moment.get("rep"), moment.get("team"), directory):
        await credit_reward_points(arena, rep, points, "kudos", f"{moment['id']}:{rep}", note, moment["by"])


async def give_kudos(
    arena: Arena, principal: Principal, rep: str | None, team: str | None, message: str, reward_points: int = 0
) -> Moment:
    """Check who may thank whom, store the kudos (audited, on every screen) and credit its reward points (0 to
    ``MAX_KUDOS_POINTS`` to each rep it thanks); raises ``ApiError``."""
    if (rep is None) == (team is None):
        raise ApiError(422, "kudos go to one rep or one team", [{"field": "rep", "message": "give either rep or team"}])
    directory = (await arena.registry.current()).directory
    if rep is not None:
        known = directory.reps.get(rep)
        if known is None or not known.active:
            raise ApiError(422, f"no rep {rep!r}", [{"field": "rep", "message": "an active rep's id"}])
        if not principal.manages_rep(rep, directory):
            raise ApiError(403, "kudos go to reps of the teams you manage")
    if team is not None:
        if team not in directory.teams:
            raise ApiError(422, f"no team {team!r}", [{"field": "team", "message": "a team's id"}])
        if not principal.manages_team(team):
            raise ApiError(403, "kudos go to the teams you manage")
    if not 0 <= reward_points <= MAX_KUDOS_POINTS:
        field = [{"field": "reward_points", "message": f"0 to {MAX_KUDOS_POINTS:,}"}]
        raise ApiError(422, f"a kudos credits 0 to {MAX_KUDOS_POINTS:,} reward points", field)
    moment = kudos_moment(rep, team, message, principal.name, datetime.now(UTC), reward_points)
    stored = await arena.recognition.add(moment, principal.name, "kudos.given", rep or team or "")
    await credit_kudos_points(arena, stored, directory)
    return stored


def kudos_wanted(rep: str | None, team: str | None) -> Any:
    """The filter of a kudos listing: kudos only, to the rep or team asked for (both: either)."""

    def wanted(moment: Moment) -> bool:
        if moment.get("kind") != "kudos":
            return False
        if rep is None and team is None:
            return True
        return (rep is not None and moment.get("rep") == rep) or (team is not None and moment.get("team") == team)

    return wanted


def shown(moment: Moment, directory: Directory) -> Moment:
    """A moment with the names of whom it recognises (internal names: the API's and console's readers)."""
    named = dict(moment)
    if rep := moment.get("rep"):
        known = directory.reps.get(rep)
        named["rep_name"] = known.name if known else rep
        named.setdefault("team", None)
        named["rep_team"] = known.team if known else None
    if team := moment.get("team"):
        known_team = directory.teams.get(team)
        named["team_name"] = known_team.name if known_team else team
    return named


def award_moment(contest: Contest, corrected: bool, now: datetime) -> Any:
    """What crowning an award says: a moment per crown that changed (``RecognitionStore.crown``)."""

    def moment_of(crown: Crown) -> Moment:
        return {
            "id": secrets.token_hex(6),
            "kind": "award",
            "award": crown.kind,
            "contest": contest.id,
            "contest_name": contest.name,
            "title": crown.title,
            "winner": crown.winner,
            crown.winner_type: crown.winner,
            "previous": crown.previous,
            "corrected": corrected,
            "version": contest.version,
            "at": now.isoformat(),
        }

    return moment_of


async def crown_awards(
    arena: Arena, contest: Contest, results: dict[str, Any], actor: str, corrected: bool = False
) -> list[Moment]:
    """Crown (or, after a correction, re-crown) the contest's awards from its results; idempotent."""
    fresh = crowns(contest.id, contest.definition, results)
    if not fresh:
        return []
    return await arena.recognition.crown(fresh, award_moment(contest, corrected, datetime.now(UTC)), actor)


def recognises(moment: Moment, rep: str, team: str | None) -> bool:
    """Whether a moment is about this rep: to them, or to their team."""
    return moment.get("rep") == rep or (team is not None and moment.get("team") == team)


PHONE_ITEMS = 10
PHONE_FIELDS = ("kind", "rep", "team", "message", "by", "at", "award", "contest_name", "corrected")


async def phone_recognition(arena: Arena, rep: str, team: str | None, locale: str) -> list[Moment]:
    """What a rep's phone lists: the newest kudos and awards to them or their team, award titles in the rep's
    language (the contest's own title, else the award's)."""
    moments, _next = await arena.recognition.page(None, PHONE_ITEMS, lambda m: recognises(m, rep, team))
    shown = []
    for moment in moments:
        item = {k: moment[k] for k in PHONE_FIELDS if moment.get(k) is not None}
        if moment.get("kind") == "award":
            item["title"] = moment.get("title") or DEFAULT_TITLES.get(moment.get("award") or "", {}).get(locale, "")
        shown.append(item)
    return shown


FEED_ITEMS = 8


async def feed(arena: Arena, principal: Principal, locale: str) -> list[Moment]:
    """The console dashboard's feed: the newest kudos and awards of the reps and teams the user manages (an
    admin's: all), with names and award titles in the user's language."""
    directory = (await arena.registry.current()).directory

    def in_scope(moment: Moment) -> bool:
        rep, team = moment.get("rep"), moment.get("team")
        return bool((rep and principal.manages_rep(rep, directory)) or (team and principal.manages_team(team)))

    moments, _next = await arena.recognition.page(None, FEED_ITEMS, in_scope)
    items = []
    for moment in moments:
        named = shown(moment, directory)
        if moment.get("kind") == "award":
            named["title"] = moment.get("title") or DEFAULT_TITLES.get(moment.get("award") or "", {}).get(locale, "")
        named["name"] = named.get("rep_name") or named.get("team_name") or ""
        items.append(named)
    return items
