"""Awards as they are kept in Redis (one JSON record per badge instance), read in one place.

A record that cannot be read (written by hand, or by a bug) is skipped with a warning rather than raised:
one bad record must not blank a TV's badge wall, a rep's phone or the badge worker for everyone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

log = logging.getLogger("arena.badges")


def read_awards(held: Mapping[bytes | str, bytes | str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(instance key, record) for each readable award of one rep's badge hash."""
    for key, raw in held.items():
        name = key.decode() if isinstance(key, bytes) else key
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("badge"), str):
            log.warning("unreadable award %r skipped", name)
            continue
        yield name, record
