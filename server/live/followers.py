"""Who follows which rep on a board of phones, each phone seeing its own rep's view (``me`` and ``goals`` boards),
and what each phone was last sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from server.live.cpu_meter import PHONE, charging, counted
from server.live.viewer import Viewer
from server.live.wire import WireFrame

View = TypeVar("View")


@dataclass(eq=False)
class Followers(Generic[View]):
    reps: dict[Viewer, str] = field(default_factory=dict)
    followers: dict[str, set[Viewer]] = field(default_factory=dict)  # rep -> its phones
    sent: dict[Viewer, View] = field(default_factory=dict)  # the view each phone was last sent

    def __bool__(self) -> bool:
        return bool(self.reps)

    def add(self, viewer: Viewer, rep: str) -> None:
        self.remove(viewer)
        self.reps[viewer] = rep
        self.followers.setdefault(rep, set()).add(viewer)
        self.followed(rep)

    def remove(self, viewer: Viewer) -> None:
        rep = self.reps.pop(viewer, None)
        self.sent.pop(viewer, None)
        phones = self.followers.get(rep, set()) if rep is not None else None
        if rep is None or phones is None:
            return
        phones.discard(viewer)
        if not phones:
            del self.followers[rep]
            self.unfollowed(rep)

    def offer(self, board: str, offers: list[tuple[Viewer, WireFrame]]) -> None:
        """The frames composed for the phones whose view changed, offered to them (in the flush's write batch);
        their CPU counts as the phones' (``server/live/cpu_meter.py``)."""
        with charging(PHONE):
            for viewer, frame in counted(PHONE, offers):
                viewer.offer_frame(board, frame)

    def followed(self, rep: str) -> None:
        """A phone of ``rep`` joined."""

    def unfollowed(self, rep: str) -> None:
        """The last phone of ``rep`` left."""
