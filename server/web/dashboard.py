"""The console's home (``/admin``): a live dashboard of the signed-in manager's contests (an admin's: all).

Each live contest with its leader, the teams' standing, the pace against the target and the days left; the
newest deals and badges; and the open items waiting for the manager, with counts and links. The page renders
from the boards and stores alone (no replay of the log), so it opens at once however many contests run; its
script (``web/static/dashboard.js``) then draws the charts and the pace from ``GET /api/v1/contests/{id}/series``,
counts the undecided anti-gaming flags from ``GET /api/v1/contests/{id}/flags`` and keeps everything current over
the same websocket the TVs use.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from game.contests import Contest
from server.auth.principals import Principal
from server.http import arena_of
from server.services.recognition import feed as recognition_feed
from server.services.registry import Snapshot
from server.web.console import console_context, console_user, disputes_to_decide
from server.web.render import page, request_locale

SERIES_LINES = 8  # teams drawn per contest
NEWEST = 8  # deals and badges listed
MAX_CARDS = 6  # live contests shown (soonest to end first); the contests list has the rest
BADGE_DAYS = 14  # how far back the badge list looks


def days_left(contest: Contest, now: datetime) -> int:
    """Whole days until the end, today counted while any of it is left (0 once it has ended)."""
    seconds = (contest.ends_at - now).total_seconds()
    return max(0, -int(-seconds // 86400))


def _live(snapshot: Snapshot, principal: Principal, now: datetime) -> list[Contest]:
    contests = (
        c
        for c in snapshot.contests.values()
        if c.status_at(now) == "live" and principal.sees_contest(c, snapshot.directory)
    )
    return sorted(contests, key=lambda c: (c.ends_at, c.id))


async def _card(request: Request, contest: Contest, principal: Principal, now: datetime) -> dict[str, Any]:
    """One live contest as the dashboard shows it."""
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    reps = await arena.store.read_board(contest.id, contest.epoch, "reps", start=0, limit=1)
    teams = await arena.store.read_board(contest.id, contest.epoch, "teams", start=0, limit=50)
    leader = reps.rows[0] if reps.rows and reps.rows[0].score > 0 else None
    standing = [
        {
            "id": row.id,
            "name": directory.teams[row.id].name if row.id in directory.teams else row.id,
            "rank": row.rank,
            "score": row.score,
            "mine": principal.role == "manager" and principal.manages_team(row.id),
        }
        for row in teams.rows
    ]
    return {
        "id": contest.id,
        "name": contest.name,
        "starts_at": contest.starts_at.isoformat(),
        "ends_at": contest.ends_at.isoformat(),
        "percent": contest.scoring == "percent_of_target",
        "days_left": days_left(contest, now),
        "leader": {
            "id": leader.id,
            "name": _name(directory, leader.id),
            "score": leader.score,
            "mine": principal.manages_rep(leader.id, directory),  # their rep page opens
        }
        if leader
        else None,
        "teams": standing,
        # a company-wide contest a manager sees but an admin runs: no flags to decide there
        "manages": principal.manages_contest(contest, directory),
    }


def _name(directory: Any, rep_id: str) -> str:
    rep = directory.reps.get(rep_id)
    return rep.name if rep else rep_id


async def _deals(request: Request, contests: list[Contest]) -> list[dict[str, Any]]:
    """The newest deals across the live contests (the TVs' recent-wins doorbells), newest first."""
    arena = arena_of(request)
    directory = (await arena.registry.current()).directory
    names = {c.id: c.name for c in contests}
    rows = []
    for contest, bells in zip(contests, await arena.store.recent_wins_of([c.id for c in contests]), strict=True):
        for bell in bells[:NEWEST]:
            rows.append(
                {
                    "contest": names[contest.id],
                    "rep": _name(directory, bell.get("rep", "")),
                    "amount": bell.get("amount"),
                    "points": bell.get("points", 0),
                    "at": int(bell.get("at") or 0),
                    "seq": bell.get("seq") or 0,
                }
            )
    rows.sort(key=lambda row: row["at"], reverse=True)
    return rows[:NEWEST]


async def _badges(request: Request, principal: Principal, now: datetime, locale: str) -> list[dict[str, Any]]:
    """Badges awarded lately to the manager's reps, newest first."""
    arena = arena_of(request)
    snapshot = await arena.registry.current()
    start = int((now - timedelta(days=BADGE_DAYS)).timestamp() * 1000)
    changes = await arena.progress.badge_changes_between(start, int(now.timestamp() * 1000), count=500)
    titles = {b.id: b.name_zh if locale == "zh-CN" else b.name_en for b in snapshot.badges}
    rows = []
    for entry_id, change in reversed(changes):
        rep = change.get("rep", "")
        if change.get("action") != "awarded" or not principal.manages_rep(rep, snapshot.directory):
            continue
        at = datetime.fromtimestamp(int(entry_id.split("-")[0]) / 1000, UTC).isoformat()
        rows.append(
            {"rep": _name(snapshot.directory, rep), "badge": titles.get(str(change.get("badge")), ""), "at": at}
        )
        if len(rows) >= NEWEST:
            break
    return rows


async def _open_items(request: Request, principal: Principal, contests: list[Contest]) -> list[dict[str, Any]]:
    """What waits for this manager, with counts and where to deal with it."""
    arena = arena_of(request)
    items: list[dict[str, Any]] = [
        {
            "key": "disputes",
            "count": len(await disputes_to_decide(request, principal, "open")),
            "href": "/admin/disputes",
        }
    ]
    late = 0
    first_late = None
    snapshot = await arena.registry.current()
    now = datetime.now(UTC)
    for contest in snapshot.contests.values():  # late events arrive after the close: ended contests too
        managed = principal.manages_contest(contest, snapshot.directory)
        if not managed or contest.status_at(now) not in ("live", "ended"):
            continue
        waiting = [r for r in await arena.late_events.listed(contest.id) if r.get("status") == "pending"]
        late += len(waiting)
        if waiting and first_late is None:
            first_late = contest.id
    # flags take a replay of months of the log per contest: the page's script asks for them after it loads
    first = contests[0].id if contests else None
    items.append({"key": "flags", "count": None, "href": f"/admin/contests/{first}/lift" if first else ""})
    late_href = f"/admin/contests/{first_late}#late-events" if first_late else ""
    items.append({"key": "late", "count": late, "href": late_href})
    if principal.role == "admin":  # CRM connectors and chat channels are the administrator's
        unmatched = 0
        for connector in await arena.integrations.connectors():
            unmatched += len(await arena.integrations.unmapped(connector.id))
        items.append({"key": "unmatched", "count": unmatched, "href": "/admin/connectors"})
        channels = await arena.notifications.channels()
        status = await arena.notifications.status([c.id for c in channels])
        failing = sum(1 for _waiting, state in status.values() if state.attempts > 0)
        dead = len(await arena.notifications.dead_letters(limit=1000))
        items.append({"key": "deliveries", "count": failing + dead, "href": "/admin/channels"})
    return items


async def dashboard_page(request: Request) -> Response:
    principal = await console_user(request)
    if isinstance(principal, Response):
        return principal
    context = await console_context(request, principal)
    now = datetime.now(UTC)
    every = _live(context["snapshot"], principal, now)
    live = every[:MAX_CARDS]
    cards = [await _card(request, contest, principal, now) for contest in live]
    locale = request_locale(request)
    dashboard = {
        "contests": cards,
        "teams": sorted(principal.teams) if principal.role == "manager" else None,
        "series_lines": SERIES_LINES,
    }
    return page(
        request,
        "console/dashboard.html",
        section="home",
        dashboard=dashboard,
        cards=cards,
        more=len(every) - len(live),
        deals=await _deals(request, live),
        badges=await _badges(request, principal, now, locale),
        recognition=await recognition_feed(arena_of(request), principal, locale),
        items=await _open_items(request, principal, live),
        **context,
    )


routes = [Route("/admin", dashboard_page, methods=["GET"])]
