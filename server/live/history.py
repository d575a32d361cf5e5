"""Per-board diff history, bounded, so a screen that reconnects catches up without a snapshot.

Each hub records the span it sent on each tick (from seq → to seq) through its broker
(``server/live/broker.py``). A reconnecting client names the (epoch, seq) it last saw; if the recorded spans
chain from there to now it gets one merged diff, otherwise a fresh snapshot. History is a cache: losing it
costs a snapshot, never correctness. The key names a board in one epoch, so a rescore starts afresh.
"""

from __future__ import annotations

from game import keys
from server.services.boards import BoardSpec

HISTORY_SPANS = 200  # per board
HISTORY_SECONDS = 3600


def key_for(spec: BoardSpec, epoch: int) -> str:
    """Where a board's spans are kept (the XP boards have no epochs)."""
    if spec.kind == "xp":
        return f"{keys.XP_BOARD_PREFIX}history:{spec.which}"
    return keys.ContestKeys(spec.contest_id, epoch).history(spec.board)
