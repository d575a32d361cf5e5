"""``python -m server``: run Sales Arena with the configuration from the environment.

Without ``ARENA_REDIS_URL`` a private redis-server is started (with an append-only file under the data
directory, so the demo keeps its data across restarts) and stopped when the server stops.
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from server import gc_tuning
from server.api.fast_ingest import IngestFastPath
from server.app import create_app
from server.config import ConfigError, ensure_secret_key, load_settings
from server.embedded_redis import EmbeddedRedis, EmbeddedRedisError
from server.live.connection import WebSocketService
from server.request_log import RequestLogMiddleware, configure_logging
from server.security_headers import SecurityHeadersMiddleware


def main() -> int:
    try:
        settings = ensure_secret_key(load_settings())
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format)
    embedded = None
    deployment = settings.redis
    if deployment.needs_embedded:
        try:
            embedded = EmbeddedRedis(
                data_dir=settings.data_dir / "redis", binary=settings.redis_server, appendonly=True
            ).start()
        except EmbeddedRedisError as exc:
            print(f"cannot start the embedded Redis: {exc}", file=sys.stderr)
            return 2
        deployment = deployment.with_url(embedded.url)
        logging.getLogger("arena").info("embedded redis-server %s on %s", embedded.binary, embedded.url)
    else:
        logging.getLogger("arena").info("redis: %s", deployment.describe())
    try:
        gc_tuning.configure()
        app = create_app(settings, deployment)
        websockets = WebSocketService(app, settings.trusted_proxies, handshake_seconds=settings.ws_handshake_seconds)
        uvicorn.run(
            # outermost: the fast path's answers get the headers and their log line too
            RequestLogMiddleware(SecurityHeadersMiddleware(IngestFastPath(app)), enabled=settings.access_log),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            log_config=None,  # uvicorn's records go through our handler: one format for every line
            # /ws is served by server/live/connection.py, not through ASGI. uvicorn calls what it is given with
            # the protocol's arguments; its types name only a protocol class or a built-in's name.
            ws=websockets,  # type: ignore[arg-type]
            http=websockets.http,  # type: ignore[arg-type]  # watches handshakes before their headers end
            ws_ping_interval=settings.ws_ping_seconds,
            proxy_headers=False,  # the app reads X-Forwarded-For itself: server/client_address.py
            timeout_graceful_shutdown=5,
        )
    except KeyboardInterrupt:
        pass
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
