"""Configuration: defaults, then LOGBOOK_* environment variables, then the mapping a caller passes."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULTS: dict[str, Any] = {
    "ENV": "development",  # development | testing | production
    "SECRET_KEY": None,  # the secret comes from the environment; None is refused in production  # nosec B105
    "DATABASE_URL": None,  # None → SQLite file in the instance folder
    "SESSION_LIFETIME_DAYS": 30,  # offline phones may stay away for weeks; queued work must survive
    "RATELIMIT_STORAGE_URI": "database://",  # shared by every worker: the app's database, or redis://host:6379/0
    "LOGIN_LIMIT_PER_ADDRESS": "20 per 15 minutes",
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
    "LOCKOUT_AFTER_FAILURES": 10,  # failed logins in a row (any time apart) that lock an email address
    "LOCKOUT_MINUTES": 30,  # how long the lock lasts (a password reset ends it at once)
    "PASSWORD_RESET_MINUTES": 60,  # how long a password-reset link works (once)  # nosec B105
    "INVITATION_DAYS": 14,  # how long a new person's invitation link (set a password, once) works
    "STAFF_IMPORT_MAX_BYTES": 5 * 1024 * 1024,  # a staff onboarding file (CSV or XLSX), as uploaded
    "STAFF_IMPORT_MAX_ROWS": 10000,  # data rows in one staff onboarding file
    "SPREADSHEET_IMPORT_MAX_BYTES": 5 * 1024 * 1024,  # a practitioner's past-CPD CSV or XLSX, as uploaded
    "SPREADSHEET_IMPORT_MAX_ROWS": 5000,  # its data rows
    "LEAP2A_IMPORT_MAX_BYTES": 50 * 1024 * 1024,  # a Leap2A package (ZIP) or feed (XML), as uploaded
    "PASSWORD_RESET_LIMIT": "5 per hour",  # reset emails per address asked for, and per caller address  # nosec B105
    "PROXY_FIX": False,  # trust one X-Forwarded-* hop (behind a load balancer)
    "EVIDENCE_URL": None,  # None → folder "evidence" in the instance folder
    "EVIDENCE_MAX_BYTES": 10 * 1024 * 1024,
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
    "RECORD_IMPORT_MAX_FILES": 2000,  # files in a record ZIP
    "RECORD_IMPORT_MAX_BYTES": 100 * 1024 * 1024,  # a record ZIP's files together, decompressed
    "RECORD_JSON_MAX_BYTES": 8 * 1024 * 1024,  # its record.json, decompressed (parsed whole)
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "SQLITE_LOCK_RETRIES": 3,  # after busy_timeout: this many more tries, 0.1 s, 0.2 s, 0.4 s apart
    "DB_RETRY_AFTER_SECONDS": 2,  # Retry-After on a 503 when the database is busy or unreachable
    "SYNC_MAX_BODY_BYTES": 2 * 1024 * 1024,
    "SYNC_RATE_LIMIT": "600 per minute",
    "CHECK_IN_FAILURE_LIMIT": "30 per 10 minutes",  # refused check-ins (wrong or expired codes) per person
    "VERIFY_RATE_LIMIT": "60 per minute",  # /verify look-ups per address
    "VERIFY_MISS_LIMIT": "20 per hour",  # unknown /verify codes per address
    "SYNC_EPOCH": 1,  # bump after restoring a backup: every device then re-pulls from the start
    "MAIL_URL": None,  # None → .eml files in instance/outbox; console://, memory://, smtp://user:pw@host:587?starttls=1
    "MAIL_FROM": "CPD Logbook <no-reply@localhost>",
    "PUBLIC_URL": None,  # base of every link that leaves the request (https://cpd.example.org); see urls.py
    "EXTERNAL_SIGNOFF_DAYS": 7,  # how long an external signer's single-use link works
    "EXTERNAL_SIGNOFF_FAILURE_LIMIT": "10 per hour",  # refused link attempts allowed per address
    "EXTERNAL_SIGNOFF_REQUESTS_PER_DAY": 10,  # external sign-off requests per practitioner in 24 hours (429)
    "SUPERVISION_DEFAULT_FREQUENCY_DAYS": 42,  # when neither an agreement nor a policy says how often
    "INSIGHTS_MIN_CELL": 5,  # insight cells describing fewer people are suppressed (docs/insights.md)
    "JOBS_RUNNER": "thread",  # thread (in-process pool) | rq (Redis queue) | inline (docs/portfolio.md)
    "JOBS_WORKERS": 2,  # threads of the in-process runner
    "JOBS_REDIS_URL": "redis://localhost:6379/0",  # JOBS_RUNNER=rq only
    "JOBS_QUEUE": "logbook",  # JOBS_RUNNER=rq only
    "JOBS_STALE_SECONDS": 900,  # a running job not moved for this long lost its worker: another takes it over
    "PORTFOLIO_INLINE_MAX_ENTRIES": 60,  # a portfolio of more activities is rendered as a background job
    "SIGNING_KEYS_DIR": None,  # None → folder "signing-keys" in the instance folder (docs/security.md)
    "SIGNING_KEY_AUTOCREATE": None,  # None → a first key is made on first need, except in production
    "OIDC_LOGIN_LIMIT": "20 per minute",  # single sign-on starts (and callbacks) per client address
    "OIDC_CLOCK_LEEWAY_SECONDS": 60,  # clock skew allowed on an ID token's exp and iat (docs/sso.md)
    "OIDC_HTTP_TIMEOUT_SECONDS": 10,  # each call to an identity provider (discovery, keys, token)
}

# Keys whose environment value is parsed as JSON (numbers, booleans).
_TYPED = {k for k, v in DEFAULTS.items() if isinstance(v, bool | int)}

# The base of links outside production when LOGBOOK_PUBLIC_URL is unset (`flask run`'s address).
# Never the request's Host: that header is the caller's to choose (logbook/urls.py).
DEV_PUBLIC_URL = "http://127.0.0.1:5000"

INSECURE_SECRET = "dev-only-insecure-secret-key"  # noqa: S105 - refused outside development/testing  # nosec B105


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production without a real secret key)."""


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in DEFAULTS:
        raw = environ.get(f"LOGBOOK_{key}")
        if raw is None:
            continue
        if key in _TYPED:
            try:
                out[key] = json.loads(raw.lower() if raw.lower() in {"true", "false"} else raw)
            except ValueError as exc:
                raise ConfigError(f"LOGBOOK_{key}={raw!r} is not a valid value") from exc
        else:
            out[key] = raw
    return out


def _public_url(value: Any, env: str) -> str:
    """LOGBOOK_PUBLIC_URL checked: an http(s) URL with a host and nothing after the path. Production
    refuses to start without it; development and testing fall back to DEV_PUBLIC_URL."""
    if not value:
        if env == "production":
            raise ConfigError(
                "Refusing to start in production without LOGBOOK_PUBLIC_URL (the address people use, "
                "e.g. https://cpd.example.org): every emailed, printed and scanned link is built from it"
            )
        return DEV_PUBLIC_URL
    try:
        parts = urlsplit(str(value).strip())
        host, _port = parts.hostname, parts.port  # .port raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"LOGBOOK_PUBLIC_URL={value!r} is not a URL") from exc
    if parts.scheme not in {"http", "https"} or not host:
        raise ConfigError(f"LOGBOOK_PUBLIC_URL={value!r} must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise ConfigError(f"LOGBOOK_PUBLIC_URL={value!r} must not carry credentials, a query or a fragment")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def build_config(
    instance_path: str, overrides: dict[str, Any] | None, environ: dict[str, str] | None = None
) -> dict[str, Any]:
    """Merge defaults, LOGBOOK_* environment variables and explicit overrides into Flask config."""
    cfg: dict[str, Any] = dict(DEFAULTS)
    environment = dict(os.environ) if environ is None else environ
    cfg.update(_from_env(environment))
    cfg.update(overrides or {})
    env = cfg["ENV"]
    if env not in {"development", "testing", "production"}:
        raise ConfigError(f"ENV must be development, testing or production, not {env!r}")
    if not cfg["SECRET_KEY"]:
        if env == "production":
            raise ConfigError(
                "Refusing to start in production without LOGBOOK_SECRET_KEY "
                "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        cfg["SECRET_KEY"] = INSECURE_SECRET
    elif env == "production" and (cfg["SECRET_KEY"] == INSECURE_SECRET or len(cfg["SECRET_KEY"]) < 32):
        raise ConfigError("LOGBOOK_SECRET_KEY must be a random value of at least 32 characters")
    if env == "production" and environment.get("LOGBOOK_PASSWORD_HASHING", "standard") != "standard":
        raise ConfigError("LOGBOOK_PASSWORD_HASHING is for test suites only; unset it in production")
    cfg["PUBLIC_URL"] = _public_url(cfg["PUBLIC_URL"], env)
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = "sqlite:///" + str(Path(instance_path) / "logbook.sqlite3")
    if not cfg["EVIDENCE_URL"]:
        cfg["EVIDENCE_URL"] = str(Path(instance_path) / "evidence")
    if not cfg["SIGNING_KEYS_DIR"]:
        cfg["SIGNING_KEYS_DIR"] = str(Path(instance_path) / "signing-keys")
    secure = env == "production"
    cfg.update(
        SQLALCHEMY_DATABASE_URI=cfg["DATABASE_URL"],
        # A pooled connection is checked before use, so a restarted database server costs the
        # requests that were in flight (503) and nothing after: no app restart is needed.
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, **cfg.get("SQLALCHEMY_ENGINE_OPTIONS", {})},
        SESSION_COOKIE_NAME="logbook_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        PERMANENT_SESSION_LIFETIME=cfg["SESSION_LIFETIME_DAYS"] * 86400,
        TESTING=env == "testing",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it belongs to
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        RATELIMIT_STORAGE_URI=cfg["RATELIMIT_STORAGE_URI"],
        # When the counters' store is unreachable (Redis restarting), each process counts the same
        # limits in its own memory instead of failing every limited request, and goes back to the
        # shared store once it answers again (checked at growing intervals, 1 s up to 32 s):
        # docs/operations.md, "what degrades how".
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_HEADERS_ENABLED=True,
        API_TITLE="CPD Logbook API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    return cfg


def may_create_on_first_use(config: Mapping[str, Any]) -> bool:
    """Development, testing and demo data make an organisation's first signing key when they first
    need it; production refuses (an operator makes keys on purpose, and backs them up)."""
    setting = config.get("SIGNING_KEY_AUTOCREATE")
    if setting is None:
        return config.get("ENV") != "production"
    if isinstance(setting, str):
        return setting.strip().lower() in {"1", "true", "yes"}
    return bool(setting)


@dataclass(frozen=True)
class KeyRing:
    """Where the organisations' signing keys are kept (SIGNING_KEYS_DIR, outside the database) and
    whether a first key may be made on first need (SIGNING_KEY_AUTOCREATE). Made once per app from
    its settings (`create_app` keeps it in `app.extensions`); the routes and the CLI pass it as
    `ring=` to every service that signs or verifies (logbook/signing/keys.py reads the folder)."""

    folder: Path
    autocreate: bool

    EXTENSION = "logbook.key_ring"  # the key in app.extensions

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> KeyRing:
        """The key ring a built configuration (`app.config`) names."""
        return cls(folder=Path(config["SIGNING_KEYS_DIR"]), autocreate=may_create_on_first_use(config))

    @classmethod
    def of(cls, app: Any) -> KeyRing:
        """The key ring an app was made with (`create_app` keeps it in app.extensions)."""
        ring = app.extensions[cls.EXTENSION]
        if not isinstance(ring, cls):
            raise TypeError(f"app.extensions[{cls.EXTENSION!r}] is not a KeyRing")
        return ring


@dataclass(frozen=True)
class PushSettings:
    """The settings a sync push's appliers need, read from the configuration by the route (or the
    CLI) and passed in: services never read the app's configuration themselves
    (docs/architecture.md, "Settings reach services as arguments")."""

    base_url: str  # PUBLIC_URL: the base of emailed links
    link_days: int  # EXTERNAL_SIGNOFF_DAYS
    external_requests_per_day: int  # EXTERNAL_SIGNOFF_REQUESTS_PER_DAY
    secret_key: str  # SECRET_KEY: check-in codes are signed with it
    ring: KeyRing  # the app's signing keys: a pushed sign-off is sealed with its organisation's key

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, ring: KeyRing) -> PushSettings:
        """The settings as a built configuration (`app.config`) holds them, with the app's key ring."""
        return cls(
            ring=ring,
            base_url=str(config["PUBLIC_URL"]).rstrip("/"),
            link_days=int(config["EXTERNAL_SIGNOFF_DAYS"]),
            external_requests_per_day=int(config["EXTERNAL_SIGNOFF_REQUESTS_PER_DAY"]),
            secret_key=str(config["SECRET_KEY"]),
        )
