"""What an erasure (PIPL art. 47, GDPR art. 17) turns a person's data into, as pure functions: the stable
pseudonym that replaces the rep id everywhere, and the rewriting of one record (an event, a ledger line, a JSON
document) so that it no longer names the person while every number in it stays. ``docs/privacy.md`` has the
design; ``server/services/person_erasure.py`` applies it to what Redis holds."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

PSEUDONYM_PREFIX = "p-"
ERASED_NAME = "已删除 / Erased"  # the directory entry's name once erased, the same in every language
# Keys of JSON documents holding free text someone wrote (kudos and dispute messages, notes, flag explanations)
# or a customer: emptied in a document that names the erased person.
FREE_TEXT = frozenset({"message", "note", "explanation", "customer", "comment", "reason", "text", "resolution"})
# Event record keys that may carry personal details beyond the rep: removed from the erased rep's events.
EVENT_PRIVATE = ("customer", "attrs")
LEDGER_NOTE, LEDGER_CUSTOMER = 5, 8  # positions in a compact ledger line (game/store.py LEDGER_FIELDS)


def pseudonym(secret: str, rep_id: str) -> str:
    """``p-`` + the first 16 hex digits of HMAC-SHA256(secret, rep id): the same rep always gets the same one (an
    erasure run again finishes the same), and it cannot be turned back into the id without the secret."""
    digest = hmac.new(secret.encode(), rep_id.encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:16]


def is_erased(rep_id: str, name: str) -> bool:
    """Whether a directory entry is what an erasure left (asked to erase it, there is nothing to do)."""
    return name == ERASED_NAME and rep_id.startswith(PSEUDONYM_PREFIX)


@dataclass(frozen=True)
class Erasure:
    """Whom to erase: the rep id, its pseudonym and the words that identify the person besides the id (their
    name, CRM user ids, usernames)."""

    rep: str
    alias: str  # the pseudonym
    words: frozenset[str]
    pattern: re.Pattern[str] | None  # any of the words, as a whole word

    @property
    def token(self) -> re.Pattern[str]:
        """The rep id where it stands as a token (``"<rep>"`` in JSON text, ``contest|<rep>|event``, refs)."""
        return re.compile(rf"(?<![\w.-]){re.escape(self.rep)}(?![\w.-])")

    def names_words(self, value: str) -> bool:
        return self.pattern is not None and self.pattern.search(value) is not None

    def names_person(self, value: str) -> bool:
        return self.token.search(value) is not None or self.names_words(value)

    def token_renamed(self, value: str) -> str:
        return self.token.sub(self.alias, value)

    def words_renamed(self, value: str) -> str:
        """A text with the rep id and the person's words written as the pseudonym."""
        renamed = self.token_renamed(value)
        return self.pattern.sub(self.alias, renamed) if self.pattern is not None else renamed


def erasure_of(rep_id: str, secret: str, words: Collection[str]) -> Erasure:
    kept = frozenset(w.strip() for w in words if len(w.strip()) >= 2)  # one letter would blank half the data
    pattern = "|".join(re.escape(w) for w in sorted(kept, key=len, reverse=True))
    compiled = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)") if kept else None
    return Erasure(rep_id, pseudonym(secret, rep_id), kept, compiled)


def mentions(value: Any, erasure: Erasure) -> bool:
    """Whether a JSON value names the person anywhere (the rep id as a value or key, or a word of theirs)."""
    if isinstance(value, str):
        return erasure.names_person(value)
    if isinstance(value, Mapping):
        return any(erasure.names_person(str(k)) or mentions(v, erasure) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(mentions(v, erasure) for v in value)
    return False


def scrubbed(value: Any, erasure: Erasure, *, free_text: bool = True) -> Any:
    """A JSON value with the rep id replaced by the pseudonym (as a value or a key), the person's words removed
    and, when it named them, its free text and customers emptied. With ``free_text`` False (a contest
    definition: its reasons speak of the rules, and its name is required) the person's words in a text are
    replaced by the pseudonym instead, so the text stays and means the same. Numbers and everything else stay."""
    return _scrub(value, erasure, free_text and mentions(value, erasure), keep_text=not free_text)


def _scrub(value: Any, erasure: Erasure, named: bool, *, keep_text: bool = False) -> Any:
    if isinstance(value, str):
        if not erasure.names_words(value):
            return erasure.token_renamed(value)
        return erasure.words_renamed(value) if keep_text else ""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            name = erasure.token_renamed(key) if isinstance(key, str) else key
            if named and key in FREE_TEXT and isinstance(item, str):
                out[name] = ""
            else:
                out[name] = _scrub(item, erasure, named, keep_text=keep_text)
        return out
    if isinstance(value, list | tuple):
        return [_scrub(item, erasure, named, keep_text=keep_text) for item in value]
    return value


def erased_event(record: Mapping[str, Any], erasure: Erasure) -> dict[str, Any]:
    """An event log record of the erased rep: ``rep`` the pseudonym, the customer and free attributes removed;
    id, type, moments, team, amounts and refs (what scoring and dedupe read) unchanged."""
    out = {k: v for k, v in record.items() if k not in EVENT_PRIVATE}
    out["rep"] = erasure.alias
    return out


def erased_ledger_values(values: list[Any]) -> list[Any]:
    """A compact ledger line's values (``game/lua/deal_records.lua``) with the note and the customer emptied."""
    out = list(values)
    for position in (LEDGER_NOTE, LEDGER_CUSTOMER):
        if len(out) > position and isinstance(out[position], str):
            out[position] = ""
    return out
