"""Everything the system holds about one person, gathered for a data-subject request (PIPL art. 45, GDPR art. 15
and 20): the directory entry, their user accounts, contests, XP and badges, goals and scorecard, reward points,
recognition, disputes and challenges, audit entries about them and their events in the log. Each piece is read
from the store that owns it; lists that can grow without bound are capped and say so (``truncated``). Secrets
(password hashes, sessions, sign-in links) are never part of it. ``docs/privacy.md`` describes each piece and the
erasure design."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.directory import Directory, Rep
from game.scorecard import parse_period
from game.xp import window_keys
from server.services.recognition import kudos_wanted
from server.services.scorecards import rep_scorecard

if TYPE_CHECKING:
    from server.arena import Arena

Document = dict[str, Any]

MAX_EVENTS = 10_000  # the rep's events from the log, oldest first
MAX_LEDGER_LINES = 5_000  # per contest
MAX_REWARD_LINES = 5_000
MAX_KUDOS = 1_000
MAX_AUDIT_SCANNED = 100_000  # the whole audit stream (it is capped at about this many entries)
AUDIT_BATCH = 1_000
LEDGER_BATCH = 500
# what a user record may show: never its password hash, sessions or sign-in links
USER_FIELDS = ("username", "role", "rep", "teams", "locale", "email", "employee_id", "created_at", "disabled")


def directory_entry(rep: Rep) -> Document:
    return {
        "id": rep.id,
        "name": rep.name,
        "team": rep.team,
        "active": rep.active,
        "opted_out": rep.opted_out,
        "aliases": dict(rep.aliases),
        "photo": rep.photo or None,
    }


def account_view(user: Document) -> Document:
    """A user record without its secrets: only the fields named in ``USER_FIELDS``."""
    return {name: user[name] for name in USER_FIELDS if name in user}


async def person_export(arena: Arena, rep_id: str, now: datetime | None = None) -> Document:
    """The export of one rep (who must be in the directory): one JSON-ready document."""
    now = now or datetime.now(UTC)
    snapshot = await arena.registry.current()
    directory = snapshot.directory
    rep = directory.reps[rep_id]
    events, events_truncated = await _events(arena, rep_id)
    kudos, kudos_truncated = await _kudos(arena, rep_id)
    audit, audit_truncated = await _audit(arena, rep_id)
    return {
        "rep": rep_id,
        "exported_at": now.isoformat(),
        "directory": directory_entry(rep),
        "accounts": [account_view(u) for u in await arena.accounts.users() if u.get("rep") == rep_id],
        "contests": await _contests(arena, snapshot.contests.values(), rep_id),
        "progress": await _progress(arena, rep_id, now),
        "goals": [asdict(g) for g in await arena.goals.all() if g.level == "rep" and g.owner == rep_id],
        "scorecard": await _scorecard(arena, directory, rep, now),
        "rewards": await _rewards(arena, rep_id),
        "kudos": {"items": kudos, "truncated": kudos_truncated},
        "awards": [c for c in (await arena.recognition.crowns()).values() if c.get("rep") == rep_id],
        "disputes": [d for d in await arena.disputes.all() if d.get("rep") == rep_id],
        "challenges": [c for c in await arena.challenges.all() if rep_id in (c.get("challenger"), c.get("opponent"))],
        "audit": {"items": audit, "truncated": audit_truncated},
        "events": {"items": events, "truncated": events_truncated, "limit": MAX_EVENTS},
    }


async def _contests(arena: Arena, contests: Any, rep_id: str) -> list[Document]:
    """Each contest with the rep on its board: rank, total and every ledger line (capped per contest)."""
    found = []
    for contest in sorted(contests, key=lambda c: c.id):
        rank = await arena.store.rank_of(contest.id, contest.epoch, "reps", rep_id)
        if rank is None:
            continue
        lines: list[Document] = []
        cursor: str | None = "-"
        while cursor is not None and len(lines) < MAX_LEDGER_LINES:
            page, cursor = await arena.store.read_ledger(contest.id, contest.epoch, rep_id, cursor=cursor)
            lines.extend(page)
        found.append(
            {
                "contest": contest.id,
                "name": contest.name,
                "rank": rank + 1,
                "total": await arena.store.ledger_total(contest.id, contest.epoch, rep_id),
                "ledger": lines[:MAX_LEDGER_LINES],
                "truncated": cursor is not None or len(lines) > MAX_LEDGER_LINES,
            }
        )
    return found


async def _progress(arena: Arena, rep_id: str, now: datetime) -> Document:
    xp, held = await arena.progress.standing(rep_id, window_keys(now, arena.settings.zone))
    return {"xp": xp, "badges": sorted(held.values(), key=lambda b: str(b.get("awarded_at", "")))}


async def _scorecard(arena: Arena, directory: Directory, rep: Rep, now: datetime) -> Document:
    label, period = parse_period(None, arena.settings.zone, now)
    return await rep_scorecard(arena, directory, rep, label, period)


async def _rewards(arena: Arena, rep_id: str) -> Document:
    balance, held = await arena.rewards.balance(rep_id)
    ledger = await arena.rewards.ledger(rep_id, MAX_REWARD_LINES + 1)
    redemptions = [r for r in await arena.rewards.redemptions() if r.get("rep") == rep_id]
    return {
        "balance": balance,
        "held": held,
        "ledger": ledger[:MAX_REWARD_LINES],
        "truncated": len(ledger) > MAX_REWARD_LINES,
        "redemptions": sorted(redemptions, key=lambda r: str(r.get("at", r.get("id", "")))),
    }


async def _kudos(arena: Arena, rep_id: str) -> tuple[list[Document], bool]:
    """Kudos to the rep by name, newest first (team kudos name the team, not the person)."""
    found: list[Document] = []
    cursor: str | None = None
    while len(found) < MAX_KUDOS:
        page, cursor = await arena.recognition.page(cursor, MAX_KUDOS - len(found), kudos_wanted(rep_id, None))
        found.extend(page)
        if cursor is None:
            return found, False
    return found, True


async def _audit(arena: Arena, rep_id: str) -> tuple[list[Document], bool]:
    """Audit entries whose target is the rep, newest first, scanning the capped audit stream in batches."""
    found: list[Document] = []
    before: str | None = None
    scanned = 0
    while scanned < MAX_AUDIT_SCANNED:
        entries = await arena.audit.older(before, AUDIT_BATCH)
        found.extend(e for e in entries if e.get("target") == rep_id)
        scanned += len(entries)
        if len(entries) < AUDIT_BATCH:
            return found, False
        before = entries[-1]["id"]
    return found, True


async def _events(arena: Arena, rep_id: str) -> tuple[list[Document], bool]:
    """The rep's events from the whole log in log order, read in batches: at most ``MAX_EVENTS`` are kept, so a
    long history costs one batch of memory beyond the cap; ``True`` when more were left out."""
    found: list[Document] = []
    async for _, batch in arena.event_log.batches():
        for event in batch:
            if event.rep != rep_id:
                continue
            if len(found) == MAX_EVENTS:
                return found, True
            found.append(event.to_record())
    return found, False
