"""A tiny CRM API on 127.0.0.1 for the integration tests: answers like HubSpot's or Zoho's REST API.

Records are set per path (GET, or POST such as an OAuth token endpoint); a path can also be given a queue
of failures answered first (to exercise retries), and every request is recorded with its headers and body.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.support.loopback_http import QuietHandler, serving


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: str = ""


@dataclass
class FakeCrm:
    url: str = ""
    documents: dict[str, Any] = field(default_factory=dict)  # path -> JSON answered with 200
    failures: dict[str, deque[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, path: str, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self.failures.setdefault(path, deque()).extend([(status, headers or {})] * times)

    def calls(self, path: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


@contextmanager
def running_fake_crm() -> Iterator[FakeCrm]:
    fake = FakeCrm()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            self.do_GET(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())

        def do_GET(self, body: str = "") -> None:
            parts = urlsplit(self.path)
            with fake.lock:
                fake.requests.append(Recorded(self.command, parts.path, parts.query, dict(self.headers.items()), body))
                queue = fake.failures.get(parts.path)
                failure = queue.popleft() if queue else None
                document = fake.documents.get(parts.path)
            if failure is not None:
                status, headers = failure
                self._answer(status, {"status": "error", "message": "try again"}, headers)
            elif document is None:
                self._answer(404, {"status": "error", "message": "Object not found", "category": "OBJECT_NOT_FOUND"})
            else:
                self._answer(200, document)

        def _answer(self, status: int, document: Any, headers: dict[str, str] | None = None) -> None:
            self.send_body(status, "application/json", json.dumps(document).encode(), headers)

    with serving(Handler) as url:
        fake.url = url
        yield fake
