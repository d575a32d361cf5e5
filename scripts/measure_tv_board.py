"""How much of the time the office TV shows its board while the demo's simulated deals flow.

``python -m scripts.measure_tv_board [--minutes 10] [--tv-url URL] [--width 1920 --height 1080]``

Without ``--tv-url`` it starts ``scripts/demo.py`` on a free port with a fresh data directory (its own Redis,
server and simulator) and opens the TV page it prints. Debian's Chromium (Playwright) samples the page every
``--every`` seconds: the board counts as visible when no full celebration card covers it. The share is printed
each minute and at the end, with the number of full cards and banners seen.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
TV_LINE = re.compile(r"TV display\s+(\S+)")
SAMPLE = """() => ({
  card: !document.getElementById("celebration").hidden,
  banner: !document.getElementById("banner").hidden,
})"""


@dataclass
class Tally:
    """What the samples saw: how many, how many with the card up, how many with the banner up."""

    samples: int = 0
    covered: int = 0
    banner: int = 0
    cards: int = 0  # distinct full cards (a run of covered samples counts once)
    last_covered: bool = False

    def add(self, card: bool, banner: bool) -> None:
        self.samples += 1
        self.covered += card
        self.banner += banner
        self.cards += card and not self.last_covered
        self.last_covered = card

    @property
    def visible(self) -> float:
        return 1 - self.covered / self.samples if self.samples else 0.0

    def line(self) -> str:
        return (
            f"board visible {self.visible:.1%} ({self.samples - self.covered} of {self.samples} samples); "
            f"{self.cards} full cards, banner up in {self.banner} samples"
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_demo(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    """The demo in a process group of its own, and the TV URL it prints once it is seeded."""
    env = {**os.environ, "ARENA_DATA_DIR": str(data_dir), "ARENA_PORT": str(free_port()), "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "scripts.demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert demo.stdout is not None
    deadline = time.monotonic() + 120
    for line in demo.stdout:
        found = TV_LINE.search(line)
        if found:
            # keep draining the demo's output so it never blocks on a full pipe
            threading.Thread(target=lambda: [None for _ in demo.stdout or ()], daemon=True).start()
            return demo, found.group(1)
        if time.monotonic() > deadline:
            break
    stop_demo(demo)
    raise SystemExit("the demo did not print its TV URL")


def stop_demo(demo: subprocess.Popen[str]) -> None:
    if demo.poll() is None:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)


def measure(url: str, minutes: float, every: float, width: int, height: int, locale: str) -> Tally:
    tally = Tally()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(viewport={"width": width, "height": height}, locale=locale).new_page()
        page.goto(url)
        page.wait_for_selector("#board .row", timeout=60_000)
        began = time.monotonic()
        next_report = began + 60
        while (now := time.monotonic()) < began + minutes * 60:
            state = page.evaluate(SAMPLE)
            tally.add(bool(state["card"]), bool(state["banner"]))
            if now >= next_report:
                print(f"{(now - began) / 60:4.1f} min: {tally.line()}", flush=True)
                next_report += 60
            tally_pause = began + tally.samples * every - time.monotonic()
            page.wait_for_timeout(max(0.0, tally_pause) * 1000)  # the sampling pace, not a wait for a condition
        browser.close()
    return tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--every", type=float, default=0.5, help="seconds between samples")
    parser.add_argument("--tv-url", help="attach to a running demo's TV page instead of starting one")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--locale", default="zh-CN")
    args = parser.parse_args()
    demo = None
    # the demo's Redis may still be writing its files as it stops: what is left of them is not ours to mind
    with tempfile.TemporaryDirectory(prefix="arena-measure-", ignore_cleanup_errors=True) as scratch:
        url = args.tv_url
        if not url:
            demo, url = start_demo(Path(scratch))
        try:
            print(f"sampling {url} every {args.every}s for {args.minutes} min", flush=True)
            tally = measure(url, args.minutes, args.every, args.width, args.height, args.locale)
            print(f"result: {tally.line()}", flush=True)
        finally:
            if demo is not None:
                stop_demo(demo)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
