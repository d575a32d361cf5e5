"""``python -m scripts.events`` run as an operator would: in a subprocess, configured by the environment only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.server import ROOT


def events_cli_with(redis_url: str, shards: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}
    env.update(ARENA_REDIS_URL=redis_url, ARENA_LOG_SHARDS=str(shards))
    return subprocess.run(
        [sys.executable, "-m", "scripts.events", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def summary_of(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
