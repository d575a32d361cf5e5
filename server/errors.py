"""The error a caller should see, raised wherever it is found out (a service, a handler) and answered by the
HTTP layer as ``{"error": message, "errors": [...]}``. Its status names the kind: 403 not allowed, 404
missing, 409 in conflict with the current state, 413 too large, 422 invalid."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError


class ApiError(Exception):
    """An error answered as ``{"error": message, "errors": [...]}`` with an HTTP status."""

    def __init__(self, status: int, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []


# Redis cannot be reached, or cannot write just now: the caller should come back later (503), not report a bug.
STORAGE_OUTAGES: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, ReadOnlyError)
STORAGE_RETRY_SECONDS = 5
