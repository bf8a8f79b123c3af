"""Configuration read from the environment.

Every setting has a default that works on a fresh checkout: SQLite in ``instance/``,
no Redis, a secret key generated once and kept in ``instance/secret_key``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from app import tax

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance")).resolve()


def _secret_key(instance: Path) -> str:
    """Return SECRET_KEY from the environment, or one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class Config:
    """Settings for a running server."""

    def __init__(self, instance: Path = INSTANCE) -> None:
        env = os.environ
        instance.mkdir(parents=True, exist_ok=True)  # the SQLite file, media and job files live here
        self.INSTANCE_PATH = str(instance)
        self.HOST = env.get("HOST", "127.0.0.1")
        self.PORT = int(env.get("PORT", "5000"))
        self.SECRET_KEY = _secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = normalise_db_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'oneshelf.db'}"
        )
        self.REDIS_URL = env.get("REDIS_URL") or None
        # threading for `make run`; the production server sets its own (see app/wsgi.py).
        self.SOCKETIO_ASYNC_MODE = env.get("SOCKETIO_ASYNC_MODE", "threading")
        self.PUBLIC_BASE_URL = (env.get("PUBLIC_BASE_URL") or f"http://{self.HOST}:{self.PORT}").rstrip("/")
        self.DEFAULT_CURRENCY = env.get("DEFAULT_CURRENCY", "CNY")
        self.DEFAULT_PHONE_REGION = env.get("DEFAULT_PHONE_REGION", "CN")
        self.MESSAGE_SENDER = env.get("MESSAGE_SENDER", "outbox")
        self.MEDIA_PATH = str(instance / "media")
        self.JOBS_PATH = str(instance / "jobs")
        self.IMAGES_PATH = str(instance / "images")  # uploaded product images, named by content hash
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Keeps the limits of installations sharing one Redis apart.
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "")
        self.RATELIMIT_HEADERS_ENABLED = True
        # Redis down must not take sign-in down: limits fall back to this process's memory.
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        # The Redis channel the server processes of one installation share.
        self.SOCKETIO_CHANNEL = env.get("SOCKETIO_CHANNEL", "oneshelf")
        # How many proxies in front set X-Forwarded-*: then rate limits see the shopper's address.
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0"))
        self.SIGNIN_RATE_LIMIT = env.get("SIGNIN_RATE_LIMIT", "10 per minute")
        # Wrong passwords per account (staff or member), whatever the address; then it is locked.
        self.SIGNIN_ACCOUNT_LIMIT = env.get("SIGNIN_ACCOUNT_LIMIT", "5 per 15 minutes")
        self.REDEEM_RATE_LIMIT = env.get("REDEEM_RATE_LIMIT", "60 per minute")
        # A staff session ends this many hours after sign-in, used or not (an absolute lifetime).
        self.STAFF_SESSION_HOURS = float(env.get("STAFF_SESSION_HOURS", "12"))
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SECURE = self.PUBLIC_BASE_URL.startswith("https://")
        self.MAX_CONTENT_LENGTH = 32 * 1024 * 1024
        self.WTF_CSRF_TIME_LIMIT = None
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        # Synchronous label PDFs up to this many labels; larger jobs run in the background.
        self.LABELS_SYNC_LIMIT = int(env.get("LABELS_SYNC_LIMIT", "100"))
        # A kiosk screen with nothing happening for this long goes back to its welcome screen.
        self.KIOSK_IDLE_SECONDS = int(env.get("KIOSK_IDLE_SECONDS", "90"))
        self.IMPORT_SYNC_LIMIT = int(env.get("IMPORT_SYNC_LIMIT", "500"))
        # Stock counts from outside systems: reports of up to this many lines are made at once;
        # a line whose drift is above STOCK_DRIFT_ALERT units alerts the store's staff.
        self.STOCK_SNAPSHOT_SYNC_LIMIT = int(env.get("STOCK_SNAPSHOT_SYNC_LIMIT", "1000"))
        self.STOCK_DRIFT_ALERT = int(env.get("STOCK_DRIFT_ALERT", "5"))
        # The job runner (app/jobs/queue.py): Huey on its own SQLite file, or on REDIS_URL.
        self.JOBS_REDIS_URL = env.get("JOBS_REDIS_URL") or self.REDIS_URL
        self.JOBS_BACKEND = env.get("JOBS_BACKEND") or ("redis" if self.JOBS_REDIS_URL else "sqlite")
        self.JOBS_QUEUE = env.get("JOBS_QUEUE", "oneshelf")
        self.JOBS_SQLITE_PATH = env.get("JOBS_SQLITE_PATH") or str(instance / "jobs-queue.db")
        self.JOBS_WORKERS = int(env.get("JOBS_WORKERS", "2"))
        # `make run` / `make serve` run a consumer in the server process unless this is 0.
        self.JOBS_IN_PROCESS = env.get("JOBS_IN_PROCESS", "1") not in ("0", "false", "no")
        # A running job writes a heartbeat this often; one silent for JOBS_STALE_SECONDS is re-run.
        self.JOBS_HEARTBEAT_SECONDS = float(env.get("JOBS_HEARTBEAT_SECONDS", "1"))
        self.JOBS_STALE_SECONDS = float(env.get("JOBS_STALE_SECONDS", "60"))
        self.JOBS_REAP_SECONDS = float(env.get("JOBS_REAP_SECONDS", "15"))
        self.JOBS_MAX_ATTEMPTS = int(env.get("JOBS_MAX_ATTEMPTS", "3"))
        # How often expired holds are released and unpublished outbox events are published.
        self.HOLDS_SWEEP_SECONDS = float(env.get("HOLDS_SWEEP_SECONDS", "5"))
        self.OUTBOX_PUBLISH_SECONDS = float(env.get("OUTBOX_PUBLISH_SECONDS", "5"))
        # The sandbox card gateway: a delay on every call, and a share (0.0-1.0) of charges that fail.
        self.SANDBOX_CARD_LATENCY_MS = int(env.get("SANDBOX_CARD_LATENCY_MS", "0"))
        self.SANDBOX_CARD_FAILURE_RATE = float(env.get("SANDBOX_CARD_FAILURE_RATE", "0"))
        # Card payments are hosted by the sandbox provider (docs/payment-providers.md). Its page
        # shows the test cards while SANDBOX_PAYMENTS is on: by default on a local address
        # (`make run`, the demo, the tests), off on a deployment's public address.
        local = self.PUBLIC_BASE_URL.startswith(("http://127.0.0.1", "http://localhost"))
        self.SANDBOX_PAYMENTS = env.get("SANDBOX_PAYMENTS", "1" if local else "0").lower() in ("1", "true", "yes")
        self.SANDBOX_PAY_URL = (env.get("SANDBOX_PAY_URL") or f"{self.PUBLIC_BASE_URL}/sandbox-pay").rstrip("/")
        # The secret the provider signs its notifications with (HMAC-SHA256); derived if not set.
        self.SANDBOX_PAY_SECRET = (
            env.get("SANDBOX_PAY_SECRET")
            or hmac.new(self.SECRET_KEY.encode(), b"sandbox-pay-notifications", hashlib.sha256).hexdigest()
        )
        # How long the provider's page may be paid; a card order not paid by then is given up.
        self.CARD_PAYMENT_MINUTES = int(env.get("CARD_PAYMENT_MINUTES", "15"))
        # Units in a cart are held this long after its last change (renewed by every change).
        self.CART_HOLD_MINUTES = int(env.get("CART_HOLD_MINUTES", "20"))
        # Paying at the counter: the units stay held this long for the walk there.
        self.COUNTER_HOLD_MINUTES = int(env.get("COUNTER_HOLD_MINUTES", "30"))
        # The router's cost of a parcel: minor units per great-circle km, and the distance
        # counted for a location or an address without coordinates (see fulfilment.router).
        self.ROUTE_PER_KM = float(env.get("ROUTE_PER_KM", "1"))
        self.ROUTE_UNKNOWN_KM = float(env.get("ROUTE_UNKNOWN_KM", "1000"))
        # A parcel ready for collection waits this many days; then its units go back and it is refunded.
        self.COLLECT_DAYS = int(env.get("COLLECT_DAYS", "7"))
        # A card order still waiting for the gateway's answer after this long is settled with it.
        self.PENDING_SETTLE_SECONDS = int(env.get("PENDING_SETTLE_SECONDS", "30"))
        # Points earned per whole currency unit paid, and what one point is worth (minor units).
        self.POINTS_PER_UNIT = int(env.get("POINTS_PER_UNIT", "1"))
        self.POINT_VALUE = int(env.get("POINT_VALUE", "1"))
        # Earned points expire this many days after they were earned (0: never; app.members.points).
        self.POINTS_EXPIRE_DAYS = int(env.get("POINTS_EXPIRE_DAYS", "365"))
        self.POINTS_EXPIRE_SECONDS = float(env.get("POINTS_EXPIRE_SECONDS", "3600"))
        # Concession merchants' cycles close at midnight here (app.settlement.statements).
        self.SETTLEMENT_TIMEZONE = env.get("SETTLEMENT_TIMEZONE", "Asia/Shanghai")
        # Tax included in prices: basis points per product category, others at the default (app.tax).
        self.TAX_RATES = tax.parse_rates(env.get("TAX_RATES", ""))
        self.TAX_DEFAULT_RATE = int(env.get("TAX_DEFAULT_RATE", "1300"))
        # How often the stores' recent days of scan analytics are counted again.
        self.ANALYTICS_ROLLUP_SECONDS = float(env.get("ANALYTICS_ROLLUP_SECONDS", "60"))
        # Days after payment within which bought units may be returned.
        self.RETURN_DAYS = int(env.get("RETURN_DAYS", "7"))
        # The share of exit passes that ask the clerk to check the basket (0 to 1).
        self.EXIT_CHECK_SHARE = float(env.get("EXIT_CHECK_SHARE", "0.1"))
        # Webhooks: how long one delivery may take, and whether endpoints may be private addresses.
        self.WEBHOOK_TIMEOUT_SECONDS = float(env.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
        self.WEBHOOK_ALLOW_PRIVATE = env.get("WEBHOOK_ALLOW_PRIVATE", "").lower() in ("1", "true", "yes")
        # How often the job runner looks for due webhook deliveries (retries, missed ones).
        self.WEBHOOK_SWEEP_SECONDS = float(env.get("WEBHOOK_SWEEP_SECONDS", "5"))
        self.API_TITLE = "Oneshelf API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"


class TestConfig(Config):
    """Settings for the test suite: a given database, no sign-in limits unless asked."""

    __test__ = False  # not a test class, despite the name
    TESTING = True

    def __init__(self, database_url: str, instance: Path, **overrides: object) -> None:
        super().__init__(instance)
        self.SQLALCHEMY_DATABASE_URI = normalise_db_url(database_url)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.PUBLIC_BASE_URL = "http://shop.test"
        self.SANDBOX_PAYMENTS = True
        self.RATELIMIT_ENABLED = False
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.REDIS_URL = None
        self.JOBS_BACKEND, self.JOBS_REDIS_URL = "sqlite", None
        self.WTF_CSRF_ENABLED = True
        self.WEBHOOK_ALLOW_PRIVATE = True  # the test receivers listen on 127.0.0.1
        for name, value in overrides.items():
            setattr(self, name, value)
        if "SANDBOX_PAY_URL" not in overrides:  # the provider's page on the address the tests serve
            self.SANDBOX_PAY_URL = f"{self.PUBLIC_BASE_URL}/sandbox-pay"


def normalise_db_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str, sqlite_wait_seconds: float | None = None) -> dict:
    """Engine options per backend: SQLite waits for a lock (SQLITE_WAIT_SECONDS) before answering 503."""
    if url.startswith("sqlite"):
        wait = (
            sqlite_wait_seconds
            if sqlite_wait_seconds is not None
            else float(os.environ.get("SQLITE_WAIT_SECONDS", "15"))
        )
        return {"connect_args": {"timeout": wait, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
