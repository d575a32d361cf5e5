"""A chat webhook receiver on 127.0.0.1 for the notification tests: answers like WeCom, DingTalk, Feishu,
Slack or Teams (by the first path segment), records every request, and can be told to fail.

``/wecom/<name>`` and ``/dingtalk/<name>`` answer ``{"errcode": 0, "errmsg": "ok"}``, ``/feishu/<name>``
``{"code": 0, "msg": "success"}``, ``/slack/<name>`` ``ok`` and ``/teams/<name>`` ``1``. A path can be given
a queue of failures answered first (status and body), or be made to fail until told otherwise.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.loopback_http import QuietHandler, serving

OK_ANSWERS: dict[str, tuple[str, str]] = {
    "wecom": ("application/json", '{"errcode": 0, "errmsg": "ok"}'),
    "dingtalk": ("application/json", '{"errcode": 0, "errmsg": "ok"}'),
    "feishu": ("application/json", '{"code": 0, "msg": "success", "data": {}}'),
    "slack": ("text/plain", "ok"),
    "teams": ("text/plain", "1"),
}


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    at: float  # time.monotonic() when it arrived

    @property
    def body(self) -> Any:
        return json.loads(self.raw)

    @property
    def text(self) -> str:
        """Everything the message says, as one string (for "does it mention ..." checks)."""
        return json.dumps(self.body, ensure_ascii=False)


@dataclass
class FakeChat:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    failures: dict[str, deque[tuple[int, str]]] = field(default_factory=dict)
    broken: dict[str, tuple[int, str]] = field(default_factory=dict)
    tries: dict[str, int] = field(default_factory=dict)  # every POST per path, failed ones included
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, platform: str, name: str) -> str:
        return f"{self.url}/{platform}/{name}"

    def fail(self, path: str, status: int = 500, times: int = 1, body: str = "oops") -> None:
        with self.lock:
            self.failures.setdefault(path, deque()).extend([(status, body)] * times)

    def break_path(self, path: str, status: int = 500, body: str = "down") -> None:
        with self.lock:
            self.broken[path] = (status, body)

    def repair(self, path: str) -> None:
        with self.lock:
            self.broken.pop(path, None)

    def at(self, path: str) -> list[Received]:
        """Accepted messages posted to ``path`` (failed attempts are not counted)."""
        with self.lock:
            return [r for r in self.received if r.path == path]

    def attempts(self, path: str) -> int:
        with self.lock:
            return self.tries.get(path, 0)


@contextmanager
def running_fake_chat() -> Iterator[FakeChat]:
    fake = FakeChat()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            platform = parts.path.strip("/").split("/")[0]
            with fake.lock:
                fake.tries[parts.path] = fake.tries.get(parts.path, 0) + 1
                queue = fake.failures.get(parts.path)
                failure = queue.popleft() if queue else fake.broken.get(parts.path)
                if failure is None:
                    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                    fake.received.append(Received(parts.path, query, dict(self.headers.items()), raw, time.monotonic()))
            if failure is not None:
                status, body = failure
                self._answer(status, "text/plain", body)
            else:
                content_type, body = OK_ANSWERS.get(platform, ("text/plain", "ok"))
                self._answer(200, content_type, body)

        def _answer(self, status: int, content_type: str, body: str) -> None:
            self.send_body(status, content_type, body.encode())

    with serving(Handler) as url:
        fake.url = url
        yield fake
