"""How many websocket connections one client address may hold, so one host cannot exhaust the server."""

from __future__ import annotations

from collections import Counter


class ConnectionLimiter:
    """Websocket connections per client address, bounded so one host cannot exhaust the server."""

    def __init__(self, per_ip: int) -> None:
        self.per_ip = per_ip
        self.counts: Counter[str] = Counter()

    def admit(self, ip: str) -> bool:
        if self.counts[ip] >= self.per_ip:
            return False
        self.counts[ip] += 1
        return True

    def release(self, ip: str) -> None:
        self.counts[ip] -= 1
        if self.counts[ip] <= 0:
            del self.counts[ip]
