"""The erasure of one person (PIPL art. 47, GDPR art. 17), ``DELETE /api/v1/people/{rep}``: afterwards nothing in
Redis identifies them, while every total, board, team score and other rep's standing is exactly what it was.

The rep id becomes a stable pseudonym (``game.pseudonym``) everywhere: the event log is rewritten in place per
shard (ids, order and dedupe keys kept), derived scores are renamed (``erasure_score_store``), the other records
are rewritten or dropped (``erasure_record_store``), and last the directory entry moves to the pseudonym
(inactive, name ``ERASED_NAME``, no aliases or photo) together with the ``person.erase`` audit entry, in one
MULTI. Each step can run again: an erasure that stopped half way is finished by asking again (the directory still
names the rep until the last step), and asking about an erased rep runs the steps once more (late events sent
under the old id are renamed) and answers ``already_erased``. ``docs/privacy.md`` has the design and what stays
outside."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from game.pseudonym import ERASED_NAME, erasure_of, is_erased, pseudonym

if TYPE_CHECKING:
    from server.arena import Arena

LEASE_SECONDS = 3600  # longest an erasure may hold the lease (it reads the whole log twice)
OUTSIDE = (
    "Chat messages already sent (WeCom, DingTalk, Feishu, Slack, Teams), files already exported and backups taken "
    "before now are outside the system: backups age out by their rotation."
)


class NotARep(LookupError):
    """Neither the rep nor its pseudonym is in the directory."""


class ErasureRunning(RuntimeError):
    """Another erasure is running (one at a time)."""


@dataclass(frozen=True)
class ErasureResult:
    pseudonym: str
    already_erased: bool
    sections: dict[str, int]
    erased_at: str

    def answer(self) -> dict[str, Any]:
        return {
            "pseudonym": self.pseudonym,
            "already_erased": self.already_erased,
            "erased_at": self.erased_at,
            "sections": self.sections,
            "outside": OUTSIDE,
        }


async def erase_person(arena: Arena, rep_id: str, actor: str, now: datetime | None = None) -> ErasureResult:
    """Erase ``rep_id``; ``NotARep`` when neither it nor its pseudonym is known, ``ErasureRunning`` when another
    erasure holds the lease (a crashed one's lease expires after ``LEASE_SECONDS``)."""
    token = secrets.token_hex(8)
    if not await arena.erasures.claim(token, LEASE_SECONDS):
        raise ErasureRunning(rep_id)
    try:
        return await _erase(arena, rep_id, actor, now)
    finally:
        await arena.erasures.release(token)


async def _erase(arena: Arena, rep_id: str, actor: str, now: datetime | None) -> ErasureResult:
    moment = (now or datetime.now(UTC)).isoformat()
    directory = (await arena.registry.current(force=True)).directory
    rep = directory.reps.get(rep_id)
    if rep is not None and is_erased(rep.id, rep.name):  # the pseudonym itself: nothing is left to erase
        return ErasureResult(rep_id, True, {}, moment)
    alias = pseudonym(arena.settings.secret_key, rep_id)
    if rep is None and alias not in directory.reps:
        raise NotARep(rep_id)
    users = [str(u["username"]) for u in await arena.accounts.users() if u.get("rep") == rep_id]
    words = [rep.name, *rep.aliases.values()] if rep is not None else []
    erasure = erasure_of(rep_id, arena.settings.secret_key, words)
    scores, records = arena.erasures.scores(erasure), arena.erasures.records(erasure)
    sections: dict[str, int] = {"events": await scores.events(arena.event_log.shards)}
    await arena.event_log.mark_rewritten()  # every process's month sums start over, under the pseudonym
    contests = (await arena.registry.current(force=True)).contests.values()
    sections["contests"] = sum([await scores.contest(contest) for contest in contests])
    sections["progress"] = await scores.progress()
    sections["rewards"] = await records.rewards()
    sections.update(await records.records())
    sections["accounts"] = await records.accounts(users)
    sections["photo"] = await records.photo()
    sections["connectors"] = await records.connectors(rep.aliases if rep is not None else {})
    sections["notifications"] = await records.notifications()
    sections["audit"] = await records.audit(users)
    definitions = await records.contest_definitions()
    sections["contest_definitions"] = len(definitions)
    sections["directory"] = int(rep is not None)
    audit = (actor, "person.erase", alias, json.dumps({"sections": sections, "at": moment}))
    if rep is not None:
        entry = {"id": alias, "name": ERASED_NAME, "team": rep.team, "active": False, "opted_out": True}
        await arena.registry.replace_rep(rep_id, entry, definitions, audit)
    else:
        await arena.audit.person_erased(actor, alias, audit[3])
    return ErasureResult(alias, rep is None, sections, moment)
