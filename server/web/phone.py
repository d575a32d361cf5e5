"""Reps' phones (``/m``): my rank, gap and pacing in each of my contests, my badges and level, my ledger,
head-to-head challenges. Installable (manifest + a service worker that caches the shell only: data is
always live, never served stale from a cache).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from game.contests import Contest
from game.directory import Directory
from game.pacing import pace
from game.ranking import Ranked, gap_to_next_rank
from game.xp import level_for, next_level, window_keys
from server.auth.principals import Principal
from server.http import arena_of, principal_of
from server.i18n import rules_text
from server.i18n.catalogs import WEB_DIR, gettext_for
from server.i18n.changes_text import change_lines
from server.services.contest_versions import versions_of
from server.services.disputes import visible
from server.services.goals import rep_goals
from server.services.recognition import phone_recognition
from server.services.registry import Snapshot
from server.web import phone_badges
from server.web.render import page, request_locale

if TYPE_CHECKING:
    from server.arena import Arena

SHELL_VERSION = "arena-shell-v5"
MAX_DISPUTES_SHOWN = 20
PHONE_DISPUTE_FIELDS = ("id", "contest", "kind", "event", "message", "status", "note", "adjustment", "resolved_at")


NEWS_ITEMS = 10


async def _rep(request: Request) -> Principal | None:
    principal = await principal_of(request)
    if principal is None or principal.role != "rep" or not principal.rep_id or not principal.via_session:
        return None
    return principal


def _neighbour(row: Ranked | None, me: Ranked, directory: Directory) -> dict[str, Any] | None:
    """A rep next to me on the board: the name a rep's phone shows (as its board frames do), score, gap."""
    if row is None:
        return None
    rep = directory.reps.get(row.id)
    return {
        "id": row.id,
        "name": rep.name if rep else row.id,
        "rank": row.rank,
        "score": row.score,
        "gap": abs(row.score - me.score),
    }


def _rival(contest: Contest, rep_id: str, directory: Directory) -> dict[str, Any] | None:
    """The other side of a head-to-head between reps (shown with both scores, from 0 : 0 on)."""
    if contest.kind != "head_to_head" or contest.side_type != "rep":
        return None
    other = next((side for side in contest.sides if side != rep_id), None)
    rep = directory.reps.get(other or "")
    return {"id": other, "name": rep.name if rep else other} if other else None


async def _standing(
    arena: Arena, contest: Contest, rep_id: str, now: datetime, directory: Directory
) -> dict[str, Any] | None:
    position = await arena.store.rank_of(contest.id, contest.epoch, "reps", rep_id)
    if position is None:
        return None
    read = await arena.store.read_board(contest.id, contest.epoch, "reps", start=max(0, position - 5), limit=11)
    at = next((i for i, row in enumerate(read.rows) if row.id == rep_id), None)
    if at is None:
        return None
    me = read.rows[at]
    points = await arena.store.ledger_total(contest.id, contest.epoch, rep_id)
    target = contest.target_for(rep_id)
    return {
        "rank": me.rank,
        "score": me.score,
        "of": read.total,
        "gap_to_next": gap_to_next_rank([r.score for r in read.rows], me.score),
        "above": _neighbour(read.rows[at - 1] if at > 0 else None, me, directory),
        "below": _neighbour(read.rows[at + 1] if at + 1 < len(read.rows) else None, me, directory),
        "target": target,
        "pace": pace(points, target, contest.starts_at, contest.ends_at, now).as_dict() if target else None,
    }


async def _rule_changes(arena: Arena, contest: Contest, locale: str) -> tuple[str | None, list[dict[str, Any]]]:
    """When the contest's rules last changed, and each change made once it had started, in plain words: the
    rep's feed items ("what changed, and why")."""
    document = await arena.registry.contest_document(contest.id)
    versions = versions_of(document) if document else []
    later = [v for v in versions if v["version"] > 1]
    told = [
        {
            "contest": contest.id,
            "contest_name": contest.name,
            "version": version["version"],
            "at": version["at"],
            "reason": version["reason"],
            "lines": change_lines(version["changes"], contest.definition, locale, contest.currency, contest.timezone),
        }
        for version in later
        if version["reason"]
    ]
    return (later[-1]["at"] if later else None), told


async def state(request: Request, principal: Principal, locale: str) -> dict[str, Any]:
    """Everything the phone shows, in one answer (the websocket keeps the numbers live afterwards)."""
    arena = arena_of(request)
    snapshot = await arena.registry.current()
    directory = snapshot.directory
    rep_id = principal.rep_id or ""  # only a rep's session gets here (_rep)
    rep = directory.reps.get(rep_id)
    now = datetime.now(UTC)
    contests = []
    news: list[dict[str, Any]] = []
    for contest in sorted(snapshot.contests.values(), key=lambda c: c.ends_at):
        status = contest.status_at(now)
        if status not in ("live", "scheduled", "paused") or rep is None or not contest.includes(rep.id, rep.team):
            continue
        changed_at, told = await _rule_changes(arena, contest, locale)
        news += told
        contests.append(
            {
                "id": contest.id,
                "name": contest.name,
                "kind": contest.kind,
                "percent": contest.scoring == "percent_of_target",
                "status": status,
                "starts_at": contest.starts_at.isoformat(),
                "ends_at": contest.ends_at.isoformat(),
                "currency": contest.currency,
                "rules": rules_text.summary(contest.definition, locale, contest.currency),
                "version": contest.version,
                "changed_at": changed_at,
                "sides": list(contest.sides),
                "rival": _rival(contest, rep.id, directory),
                "standing": await _standing(arena, contest, rep.id, now, directory),
            }
        )
    periods = window_keys(now, arena.settings.zone)
    xp, held = await arena.progress.standing(rep_id, periods)
    level, upcoming = level_for(xp["all"]), next_level(xp["all"])
    names = {b.id: b for b in snapshot.badges}
    currency = arena.settings.currency
    badges = sorted(
        (
            {
                "badge": record["badge"],
                "name": names[record["badge"]].name(locale) if record["badge"] in names else record["badge"],
                "kind": names[record["badge"]].kind if record["badge"] in names else "",
                "meaning": phone_badges.meaning(names[record["badge"]], locale, currency)
                if record["badge"] in names
                else "",
                "period": record.get("period"),
                "awarded_at": record.get("awarded_at", ""),
            }
            for record in held.values()
        ),
        key=lambda b: b["awarded_at"],
        reverse=True,
    )
    facts = await arena.store.month_facts(rep_id, f"{now.astimezone(arena.settings.zone):%Y-%m}")
    upcoming_badge = phone_badges.next_badge(
        snapshot.badges, facts, set(held), now, arena.settings.zone, locale, currency
    )
    colleagues = sorted(
        (
            {"id": r.id, "name": r.name, "team": r.team}
            for r in directory.reps.values()
            if r.active and r.id != principal.rep_id
        ),
        key=lambda r: (r["team"] != (rep.team if rep else None), r["team"] or "", r["name"]),
    )
    team = directory.teams.get(rep.team) if rep and rep.team else None
    disputes = visible(await arena.disputes.all(), lambda d: d["rep"] == rep_id, None, None)
    return {
        "rep": principal.rep_id,
        "name": rep.name if rep else principal.name,
        "photo": rep.photo if rep else "",
        "team": {"id": team.id, "name": team.name, "color": team.color} if team else None,
        "contests": contests,
        "xp": xp,
        "level": {
            "number": level.number,
            "name": level.name(locale),
            "min": level.min_xp,
            "next_at": upcoming.min_xp if upcoming else None,
        },
        "badges": badges,
        "next_badge": upcoming_badge,
        "opted_out": bool(rep and rep.opted_out),
        "news": sorted(news, key=lambda item: item["at"] or "", reverse=True)[:NEWS_ITEMS],
        "colleagues": colleagues,
        "team_names": {t.id: t.name for t in directory.teams.values()},
        "disputes": [phone_dispute(d, snapshot) for d in disputes[:MAX_DISPUTES_SHOWN]],
        "recognition": await phone_recognition(arena, rep_id, rep.team if rep else None, locale),
    }


def phone_dispute(dispute: dict[str, Any], snapshot: Snapshot) -> dict[str, Any]:
    """What the phone shows of one of the rep's disputes: what it is about and, once decided, the outcome."""
    contest = snapshot.contests.get(dispute["contest"])
    shown = {k: dispute[k] for k in PHONE_DISPUTE_FIELDS if k in dispute}
    return {**shown, "contest_name": contest.name if contest else dispute["contest"]}


async def phone(request: Request) -> Response:
    principal = await _rep(request)
    if principal is None:
        return RedirectResponse("/login?next=/m", status_code=303)
    locale = request_locale(request)
    goals = await rep_goals(arena_of(request), principal.rep_id or "")
    return page(request, "mobile.html", locale=locale, state=await state(request, principal, locale), goals=goals)


async def phone_state(request: Request) -> Response:
    principal = await _rep(request)
    if principal is None:
        return JSONResponse({"error": "sign in as a rep"}, status_code=401)
    response = JSONResponse(await state(request, principal, request_locale(request)))
    response.headers["Cache-Control"] = "no-store"
    return response


async def manifest(request: Request) -> Response:
    tr = gettext_for(request_locale(request))
    body = {
        "name": tr.gettext("Sales Arena"),
        "short_name": tr.gettext("Sales Arena"),
        "description": tr.gettext("My rank, my points and my challenges, live."),
        "start_url": "/m",
        "scope": "/m",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#0b1020",
        "theme_color": "#0b1020",
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
    return JSONResponse(body, media_type="application/manifest+json")


async def service_worker(request: Request) -> Response:
    script = (WEB_DIR / "static" / "sw.js").read_text(encoding="utf-8").replace("__SHELL_VERSION__", SHELL_VERSION)
    return Response(
        script,
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/m", "Cache-Control": "no-cache"},
    )


async def offline(request: Request) -> Response:
    return page(request, "mobile_offline.html")


routes = [
    Route("/m", phone, methods=["GET"]),
    Route("/m/state.json", phone_state, methods=["GET"]),
    Route("/m/manifest.webmanifest", manifest, methods=["GET"]),
    Route("/m/sw.js", service_worker, methods=["GET"]),
    Route("/m/offline", offline, methods=["GET"]),
]
