"""Realistic sales activity for demos, soak tests and benchmarks.

Deal sizes are log-normal (many ¥10k deals, a few ¥300k ones), reps differ in skill, about a third of
deals bring a new customer, calls and meetings outnumber deals, and now and then a deal is refunded.
Randomness is seeded, so a run can be replayed.

    python -m scripts.simulator --url http://127.0.0.1:8000 --key <ingest key> --rate 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

CATEGORIES = (("high_margin", 0.25), ("standard", 0.55), ("low_margin", 0.20))


@dataclass
class Simulator:
    reps: Sequence[str]
    seed: int = 7
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.skill = {rep: self.random.uniform(0.5, 1.6) for rep in self.reps}
        self.won: list[dict[str, Any]] = []
        self.counter = 0

    def _id(self, kind: str) -> str:
        self.counter += 1
        return f"sim-{self.run_id}-{kind}-{self.counter}"

    def _rep(self) -> str:
        reps = list(self.reps)
        return self.random.choices(reps, weights=[self.skill[r] for r in reps])[0]

    def event(self, now: datetime) -> dict[str, Any]:
        """One event as a CRM or phone app would send it."""
        roll = self.random.random()
        rep = self._rep()
        stamp = now.isoformat()
        if roll < 0.45:
            return {"id": self._id("call"), "type": "call.logged", "rep": rep, "occurred_at": stamp}
        if roll < 0.60:
            return {"id": self._id("meet"), "type": "meeting.held", "rep": rep, "occurred_at": stamp}
        if roll < 0.62 and self.won:
            original = self.won.pop(self.random.randrange(len(self.won)))
            return {
                "id": self._id("refund"),
                "type": "deal.reversed",
                "rep": original["rep"],
                "ref": original["id"],
                "occurred_at": stamp,
            }
        amount = round(math.exp(self.random.gauss(math.log(30_000), 0.9)) * self.skill[rep] / 100) * 100
        amount = max(1_000, min(amount, 2_000_000))
        category = self.random.choices([c for c, _ in CATEGORIES], weights=[w for _, w in CATEGORIES])[0]
        event = {
            "id": self._id("deal"),
            "type": "deal.won",
            "rep": rep,
            "amount": str(amount),
            "currency": "CNY",
            "category": category,
            "occurred_at": stamp,
        }
        if self.random.random() < 0.33:
            event["new_customer"] = True
        self.won.append(event)
        if len(self.won) > 200:
            self.won.pop(0)
        return event

    def events(self, count: int, start: datetime, spread: timedelta) -> list[dict[str, Any]]:
        """``count`` events spread evenly over ``spread`` from ``start`` (for backfills and benchmarks)."""
        step = spread / max(count, 1)
        return [self.event(start + step * i) for i in range(count)]


async def run(
    url: str, key: str, reps: Sequence[str], rate: float, seed: int, stop: asyncio.Event, zone: Any, report: Any = print
) -> None:
    """Post events at about ``rate`` per second until ``stop`` is set; survives server restarts."""
    simulator = Simulator(reps, seed=seed)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        while not stop.is_set():
            event = simulator.event(datetime.now(zone))
            try:
                response = await client.post("/api/v1/events", json=event)
                if response.status_code != 200:
                    report(f"simulator: {response.status_code} {response.text[:200]}")
                elif event["type"] == "deal.won":
                    report(f"  deal  {event['rep']:<10} ¥{int(event['amount']):>10,}  {event['category']}")
            except httpx.HTTPError as exc:
                report(f"simulator: server not reachable ({exc.__class__.__name__}); retrying")
            delay = simulator.random.expovariate(rate) if rate > 0 else 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(delay, 5.0))


def main() -> None:
    from zoneinfo import ZoneInfo

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="an API key with the ingest scope")
    parser.add_argument("--reps", required=True, help="comma-separated rep ids")
    parser.add_argument("--rate", type=float, default=1.0, help="events per second (average)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timezone", default="Asia/Shanghai")
    args = parser.parse_args()
    stop = asyncio.Event()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.url, args.key, args.reps.split(","), args.rate, args.seed, stop, ZoneInfo(args.timezone)))


if __name__ == "__main__":
    main()
