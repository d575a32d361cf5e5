"""Every call out of the server (CRM APIs, chat webhooks) goes through one client with one retry policy: a
timeout on every try, bounded retries with jittered backoff, one overall budget, no redirects followed.

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
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx

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
    ) -> None:
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_delay = max_delay
        self.budget = budget
        self.started = time.monotonic()
        self.limit = asyncio.Semaphore(concurrency)
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, headers={"User-Agent": "sales-arena/0.1"}
        )

    async def __aenter__(self) -> OutboundClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.http.aclose()

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
