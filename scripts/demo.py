"""The demo: private Redis + server + a demo org + a live monthly contest + a simulator. Ctrl-C stops all.

Data lives under ``.arena/`` (Redis append-only file, secret key, demo credentials), so a second run
continues where the first stopped. ``ARENA_REDIS_URL`` uses an existing Redis instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from scripts.simulator import run as run_simulator
from server.config import ensure_secret_key, load_settings
from server.embedded_redis import EmbeddedRedis, die_with_parent

ROOT = Path(__file__).resolve().parent.parent

TEAMS = [
    ("east", "华东战队", "#e53935"),
    ("north", "华北战队", "#1e88e5"),
    ("south", "华南战队", "#43a047"),
    ("global", "Global Squad", "#fdd835"),
]
REPS = {
    "east": ["王芳", "李娜", "张伟", "刘洋", "陈静", "Emily Zhang"],
    "north": ["杨磊", "赵敏", "黄强", "周杰", "吴婷", "David Li"],
    "south": ["徐明", "孙丽", "马超", "朱琳", "胡军", "Sophie Chen"],
    "global": ["Alice Wang", "Bob Smith", "Carlos Diaz", "Diana Müller", "林晓", "Ethan Brown"],
}


def credentials(data_dir: Path) -> dict[str, str]:
    """Demo credentials, made once and kept so a restarted demo keeps the same TV URL and keys."""
    path = data_dir / "demo-credentials.json"
    if path.exists():
        return json.loads(path.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "admin_password": secrets.token_urlsafe(9),
        "admin_key": "ak_" + secrets.token_urlsafe(24),
        "ingest_key": "ak_" + secrets.token_urlsafe(24),
    }
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)
    return values


def month_window(now: datetime) -> tuple[datetime, datetime]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def seed(client: httpx.Client, now: datetime) -> tuple[str, list[str]]:
    """Teams, reps and this month's contest (月度销冠赛) through the public API; safe to run twice."""
    rep_ids: list[str] = []
    for team_id, name, color in TEAMS:
        client.put(f"/api/v1/teams/{team_id}", json={"name": name, "color": color}).raise_for_status()
        for index, rep_name in enumerate(REPS[team_id], start=1):
            rep_id = f"{team_id}-{index}"
            body: dict[str, Any] = {"name": rep_name, "team": team_id}
            if rep_name == "林晓":
                body["opted_out"] = True  # shown by initials on the TV
            client.put(f"/api/v1/reps/{rep_id}", json=body).raise_for_status()
            rep_ids.append(rep_id)
    start, end = month_window(now)
    contest_id = f"monthly-{start:%Y-%m}"
    definition = {
        "id": contest_id,
        "name": f"{start:%Y年%-m月}销冠赛",
        "kind": "individual",
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "team_score": "sum",
        "recurrence": "monthly",
        "name_template": "{period} 月度销冠赛",
        "goal": 60000,
        "default_target": 2500,
        "prizes": [
            {"rank": 1, "prize": "月度最佳销售 + ¥5,000"},
            {"rank": [2, 3], "prize": "¥2,000"},
            {"threshold": 3000, "prize": "团队聚餐 Team dinner"},
        ],
        "multipliers": {"category": {"high_margin": 1.5}},
        "rules": [
            {"on": "deal.won", "points_per": 1000},
            {"on": "deal.won", "points": 20, "new_customer_only": True},
            {"on": "call.logged", "points": 1, "cap_per_day": 40},
            {"on": "meeting.held", "points": 5, "cap_per_day": 50},
        ],
    }
    response = client.post("/api/v1/contests", json=definition)
    if response.status_code not in (201, 409):
        response.raise_for_status()
    return contest_id, rep_ids


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def demo_users(client: httpx.Client, rep_ids: list[str], creds: dict[str, str]) -> dict[str, str]:
    """A manager of every team (刘经理) and one rep on a phone (小王, the first rep of 华东战队)."""
    password = creds.get("admin_password", "") + "-team"
    client.put(
        "/api/v1/users/liu",
        json={"role": "manager", "name": "刘经理", "teams": [t for t, _, _ in TEAMS], "password": password},
    ).raise_for_status()
    client.put(
        "/api/v1/users/xiaowang", json={"role": "rep", "name": "小王", "rep": rep_ids[0], "password": password}
    ).raise_for_status()
    return {"manager": "liu", "rep": "xiaowang", "password": password}


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server stopped during start-up (see the messages above)")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit("the server did not become ready in time")


def main() -> int:
    settings = ensure_secret_key(load_settings())
    if not port_is_free(settings.host, settings.port):
        print(
            f"port {settings.port} on {settings.host} is in use: stop what runs there or set ARENA_PORT",
            file=sys.stderr,
        )
        return 2
    creds = credentials(settings.data_dir)
    embedded: EmbeddedRedis | None = None
    where = settings.redis.describe()
    env = {**os.environ}
    if settings.redis.needs_embedded:
        embedded = EmbeddedRedis(
            data_dir=settings.data_dir / "redis", binary=settings.redis_server, appendonly=True
        ).start()
        where = "embedded, " + embedded.url
        env["ARENA_REDIS_URL"] = embedded.url
    env |= {
        "ARENA_ADMIN_KEY": settings.admin_key or creds["admin_key"],
        "ARENA_INGEST_KEY": settings.ingest_key or creds["ingest_key"],
        "ARENA_ADMIN_PASSWORD": settings.admin_password or creds["admin_password"],
        "ARENA_SECRET_KEY": settings.secret_key,
        "PYTHONUNBUFFERED": "1",
    }
    # The demo's terminal shows the deals as they land: plain log lines, none per request (unless asked for).
    env.setdefault("ARENA_LOG_FORMAT", "text")
    env.setdefault("ARENA_ACCESS_LOG", "0")
    server = subprocess.Popen(
        [sys.executable, "-m", "server"], cwd=ROOT, env=env, start_new_session=True, preexec_fn=die_with_parent
    )
    stop = asyncio.Event()
    try:
        base = settings.base_url
        wait_healthy(base, server)
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {env['ARENA_ADMIN_KEY']}"}, timeout=10
        ) as admin:
            contest_id, rep_ids = seed(admin, datetime.now(settings.zone))
            board = f"contest:{contest_id}"
            display = admin.post(
                "/api/v1/displays",
                json={
                    "name": "销售大厅电视",
                    "playlist": [
                        {"board": board, "kind": "board", "seconds": 25},
                        {"board": f"{board}:teams", "kind": "teams", "seconds": 15},
                        {"board": board, "kind": "thermometer", "seconds": 12},
                        {"board": board, "kind": "wins", "seconds": 12},
                        {"kind": "badges", "seconds": 12},
                        {"board": "xp:month", "kind": "stars", "seconds": 12},
                    ],
                },
            )
            display.raise_for_status()
            people = demo_users(admin, rep_ids, creds)
        tv_url = display.json()["url"]
        print(
            f"""
  Sales Arena demo is running (Redis: {where})

    TV display      {tv_url}
    Leaderboard API {base}/api/v1/contests/{contest_id}/leaderboard
    Console         {base}/admin   user admin / password {env["ARENA_ADMIN_PASSWORD"]}
                    manager liu (刘经理) / password {people["password"]}
    Phone           {base}/m   rep xiaowang (小王) / password {people["password"]}
    Admin API key   {env["ARENA_ADMIN_KEY"]}
    Ingest API key  {env["ARENA_INGEST_KEY"]}

  Post a deal yourself:
    curl -X POST {base}/api/v1/events -H 'Authorization: Bearer {env["ARENA_INGEST_KEY"]}' \\
         -H 'Content-Type: application/json' \\
         -d '{{"id": "my-first-deal", "type": "deal.won", "rep": "east-1", "amount": "88000"}}'

  Simulated deals follow. Ctrl-C stops the simulator, the server and Redis.
""",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                run_simulator(
                    base,
                    env["ARENA_INGEST_KEY"],
                    rep_ids,
                    rate=1.5,
                    seed=int(time.time()),
                    stop=stop,
                    zone=settings.zone,
                )
            )
    except KeyboardInterrupt:
        pass
    finally:
        print("\nstopping…", flush=True)
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if embedded is not None:
            embedded.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
