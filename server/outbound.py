"""Every call out of the server (CRM APIs, chat webhooks) goes through one client with one retry policy: a
timeout on every try, bounded retries with jittered backoff, one overall budget, no redirects followed — and
only to public https addresses unless private ones are allowed (``server/outbound_targets.py``), checked on
every connection.

A webhook is answered while the CRM waits (HubSpot gives up after a few seconds), so the whole fetch is
bounded by ``budget``: a CRM that stays slow or down makes us answer 503 and the CRM redelivers later,
instead of a request that hangs; a chat message that cannot go now is retried later by its sender.
Retried: network errors, timeouts, 429 and 5xx (``Retry-After`` is honoured up to ``max_delay``). Not
retried: other 4xx, which will not get better by asking again.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpcore
import httpx

from server.outbound_targets import CheckedNetworkBackend, ForbiddenTarget, Resolver, host_allowed

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class OutboundError(RuntimeError):
    """The other side refused, or could not be reached within the retries and the budget."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class OutboundClient:
    def __init__(
        self,
        *,
        timeout: float = 2.5,
        attempts: int = 3,
        backoff: float = 0.2,
        max_delay: float = 2.0,
        budget: float = 4.0,
        concurrency: int = 8,
        allow_private: bool = False,
        hosts: Sequence[str] = (),
        resolver: Resolver | None = None,
    ) -> None:
        """``allow_private``: ARENA_OUTBOUND_ALLOW_PRIVATE; ``hosts``: the only hosts this client may call (a CRM's
        own), unless private targets are allowed; ``resolver``: the name lookup (the system's by default)."""
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_delay = max_delay
        self.budget = budget
        self.started = time.monotonic()
        self.limit = asyncio.Semaphore(concurrency)
        self.allow_private = allow_private
        self.hosts = tuple(hosts)
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": "sales-arena/0.1"},
            transport=checked_transport(allow_private=allow_private, resolver=resolver),
        )

    async def __aenter__(self) -> OutboundClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.http.aclose()

    def _refuse(self, url: str) -> None:
        """What can be told from the URL alone; the addresses are checked when connecting."""
        parts = httpx.URL(url)
        if self.allow_private:
            return
        if parts.scheme != "https":
            raise OutboundError(f"refused: only https:// is called ({parts.scheme}://{parts.host})")
        if self.hosts and not host_allowed(parts.host, self.hosts):
            raise OutboundError(f"refused: {parts.host} is not one of {', '.join(self.hosts)}")

    def _left(self) -> float:
        return self.budget - (time.monotonic() - self.started)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("retry-after", "") if response is not None else ""
        if retry_after.isdigit():
            return min(float(retry_after), self.max_delay)
        return min(self.backoff * (2**attempt) * random.uniform(0.5, 1.0), self.max_delay)

    async def get_json(self, url: str, *, headers: dict[str, str]) -> Any | None:
        """The JSON document at ``url``; None when the CRM says it does not exist (404, 204)."""
        return await self.request_json("GET", url, headers=headers)

    async def post_form(self, url: str, *, form: dict[str, str]) -> Any | None:
        """POST a url-encoded form (an OAuth token request) and return the JSON answer."""
        return await self.request_json("POST", url, headers={}, form=form)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        form: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """The answer once it is not a retried status; ``OutboundError`` (with the last status, if any) when the
        tries or the budget run out."""
        problem = "no attempt made"
        response: httpx.Response | None = None
        self._refuse(url)
        async with self.limit:
            for attempt in range(self.attempts):
                left = self._left()
                if left <= 0:
                    break
                response = None
                try:
                    response = await self.http.request(
                        method, url, headers=headers, data=form, content=content, timeout=min(self.timeout, left)
                    )
                except ForbiddenTarget as exc:
                    raise OutboundError(f"refused: {exc}") from None  # asking again will not change the answer
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                else:
                    if response.status_code not in RETRIED_STATUSES:
                        return response
                    problem = f"HTTP {response.status_code}"
                if attempt + 1 < self.attempts:
                    delay = self._delay(attempt, response)
                    if delay >= self._left():
                        break
                    await asyncio.sleep(delay)
        status = response.status_code if response is not None else None
        # No URL in the message: a chat webhook's URL is a credential, and this text is stored and shown.
        raise OutboundError(f"{method}: gave up after {self.attempts} tries ({problem})", status)

    async def request_json(
        self, method: str, url: str, *, headers: dict[str, str], form: dict[str, str] | None = None
    ) -> Any | None:
        """The JSON answer (money kept exact as Decimal); None when the other side says there is nothing (204,
        404); ``OutboundError`` for any other refusal."""
        try:
            response = await self.request(method, url, headers=headers, form=form)
        except OutboundError as exc:
            raise OutboundError(f"{url}: {exc}", exc.status) from None
        if response.status_code in (204, 404):
            return None
        if response.status_code >= 300:
            raise OutboundError(f"{method} {url}: HTTP {response.status_code}", response.status_code)
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise OutboundError(f"{method} {url}: answer is not JSON", response.status_code) from None


def checked_transport(*, allow_private: bool, resolver: Resolver | None = None) -> httpx.AsyncHTTPTransport:
    """httpx's transport on a connection pool whose network layer checks every address it connects to. httpx
    takes no network layer of its own, so its pool is replaced by one built the same way with ours."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)  # no proxy from the environment: we connect ourselves
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=CheckedNetworkBackend(allow_private=allow_private, resolver=resolver),
    )
    return transport
