"""Configuration: defaults, then instance/config.py, then TRAINERPATH_* variables."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from limits.storage import SCHEMES
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_SECRET_KEY = "dev-insecure-change-me"


class Defaults:
    """The settings every app starts from."""

    SECRET_KEY = DEFAULT_SECRET_KEY
    DATABASE_URL: str | None = None  # None: a SQLite file in the instance folder
    TOKEN_TTL_DAYS = 30
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    # Credential checks (trainerpath/ratelimit.py) and the proxies in front of the app.
    RATELIMIT_STORAGE_URL = "memory://"  # several processes or servers: redis://host:6379/0
    LOGIN_MAX_FAILURES = 5  # per account and address, within the window
    LOGIN_ACCOUNT_MAX_FAILURES = 20  # per account, from any address
    LOGIN_ADDRESS_MAX_FAILURES = 100  # per address, across accounts; then slowed
    LOGIN_ADDRESS_SLOWDOWN = 10  # seconds between attempts of a slowed address
    LOGIN_FAILURE_WINDOW = 15 * 60  # seconds
    SIGNUP_MAX_PER_ADDRESS = 10  # new accounts from one address within an hour
    PROXY_COUNT = 0  # reverse proxies that set X-Forwarded-For/-Proto/-Host
    # Bodies larger than this are refused with 413 before they are read (uploads excepted).
    MAX_CONTENT_LENGTH = 1024 * 1024
    # Where people reach the app: the links in e-mails start with it.
    BASE_URL = "http://127.0.0.1:5000"
    # E-mail (Flask-Mailman). "eml" writes each mail to MAIL_FILE_PATH as a .eml file and
    # needs no server; "smtp" sends through MAIL_SERVER.
    MAIL_BACKEND = "eml"
    MAIL_FILE_PATH: str | None = None  # None: instance/mail
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 30  # seconds per SMTP operation
    MAIL_DEFAULT_SENDER = "trainerpath <noreply@localhost>"
    # Delivery from the outbox (flask deliver-mail).
    MAIL_MAX_ATTEMPTS = 10  # then the mail is kept as failed, with its last error
    MAIL_RETRY_SECONDS = 60  # the first wait after a failure; it doubles each time
    MAIL_RETRY_MAX_SECONDS = 3600  # the longest wait between two attempts
    MAIL_LEASE_SECONDS = 300  # a claimed mail returns to the queue if its worker dies
    MAIL_BATCH_SIZE = 20  # mails claimed at once
    MAIL_POLL_SECONDS = 5  # --loop: the pause when nothing is due
    # Account links sent by e-mail.
    PASSWORD_RESET_MAX_AGE = 3600  # seconds
    INVITATION_MAX_AGE_DAYS = 7
    # Proof attached to evidence (trainerpath/uploads.py): where files go, how large one
    # may be and how much one candidate may store, in MiB.
    UPLOAD_DIR: str | None = None  # None: <instance>/uploads
    UPLOAD_MAX_MB = 10
    UPLOAD_QUOTA_MB = 200
    # The admin's turnaround table aggregates every waiting item and review: each worker
    # computes it at most once in this many seconds (0: on every view).
    TURNAROUND_CACHE_SECONDS = 60


class ConfigError(SystemExit):
    """A setting that makes serving unsafe; its message is one line for people.

    Uncaught, it ends the process with status 4, which gunicorn reads as "the app failed
    to load" and stops, instead of booting a new worker every second; the message is
    printed by ``refuse_unsafe_secret``, since Python prints none for a numeric status.
    """

    STATUS = 4

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = self.STATUS


# Settings that are text: an environment value is taken as written, never read as JSON
# (a numeric secret key or password would otherwise become a number).
TEXT_SETTINGS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "RATELIMIT_STORAGE_URL",
    "BASE_URL",
    "MAIL_FILE_PATH",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "UPLOAD_DIR",
)


# Settings whose value is never repeated in a message (a key, or a URL with a password).
SECRET_SETTINGS = frozenset({"SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URL"})


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config in order: defaults, instance file, environment, test overrides."""
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("TRAINERPATH")
        for name in TEXT_SETTINGS:
            written = os.environ.get(f"TRAINERPATH_{name}")
            if written is not None:
                app.config[name] = written
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("DATABASE_URL"):
        db_file = Path(app.instance_path) / "trainerpath.db"
        app.config["DATABASE_URL"] = f"sqlite:///{db_file}"


MAX_TOKEN_TTL_DAYS = 3650


def _whole(value: Any, low: int, high: float = float("inf")) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _database_url(value: Any) -> bool:
    try:
        backend = make_url(value).get_backend_name() if isinstance(value, str) else None
    except (ArgumentError, ValueError):
        return False
    return backend in ("sqlite", "postgresql")


def _storage_url(value: Any) -> bool:
    return isinstance(value, str) and value.partition("://")[0] in SCHEMES and "://" in value


def _http_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and "//" in value


MAIL_CHECKS: list[tuple[str, Callable[[Any], bool], str]] = [
    ("BASE_URL", _http_url, "an http:// or https:// address"),
    ("MAIL_BACKEND", lambda v: v in ("eml", "smtp"), "eml or smtp"),
    ("MAIL_PORT", lambda v: _whole(v, 1, 65535), "a port number from 1 to 65535"),
    ("MAIL_USE_TLS", lambda v: isinstance(v, bool), "true or false"),
    ("MAIL_USE_SSL", lambda v: isinstance(v, bool), "true or false"),
    ("MAIL_TIMEOUT", lambda v: _whole(v, 1), "a whole number of seconds, at least 1"),
    ("MAIL_MAX_ATTEMPTS", lambda v: _whole(v, 1), "a whole number, at least 1"),
    ("MAIL_RETRY_SECONDS", lambda v: _whole(v, 1), "a whole number of seconds, at least 1"),
    ("MAIL_RETRY_MAX_SECONDS", lambda v: _whole(v, 1), "a whole number of seconds, at least 1"),
    ("MAIL_LEASE_SECONDS", lambda v: _whole(v, 1), "a whole number of seconds, at least 1"),
    ("MAIL_BATCH_SIZE", lambda v: _whole(v, 1, 1000), "a whole number from 1 to 1000"),
    ("MAIL_POLL_SECONDS", lambda v: _whole(v, 1), "a whole number of seconds, at least 1"),
    ("PASSWORD_RESET_MAX_AGE", lambda v: _whole(v, 60), "a whole number of seconds, at least 60"),
    ("INVITATION_MAX_AGE_DAYS", lambda v: _whole(v, 1, 365), "a whole number of days, 1 to 365"),
]


def setting_problems(config: Mapping[str, Any]) -> list[str]:
    """What is wrong with the settings the app reads as numbers, switches, URLs or its
    secret key, in words (a secret setting's value is not repeated)."""
    checks: list[tuple[str, Callable[[Any], bool], str]] = [
        ("SECRET_KEY", lambda v: isinstance(v, str | bytes), "text"),
        (
            "DATABASE_URL",
            _database_url,
            "a sqlite:///<file> or postgresql+psycopg://user@host/database URL",
        ),
        (
            "RATELIMIT_STORAGE_URL",
            _storage_url,
            "memory:// or a redis://host:port/db URL (a storage the limits library knows)",
        ),
        (
            "TOKEN_TTL_DAYS",
            lambda v: _whole(v, 1, MAX_TOKEN_TTL_DAYS),
            f"a whole number of days from 1 to {MAX_TOKEN_TTL_DAYS}",
        ),
        ("MAX_CONTENT_LENGTH", lambda v: _whole(v, 1024), "a whole number of bytes, at least 1024"),
        ("LOGIN_MAX_FAILURES", lambda v: _whole(v, 1), "a whole number, at least 1"),
        ("LOGIN_ACCOUNT_MAX_FAILURES", lambda v: _whole(v, 1), "a whole number, at least 1"),
        ("LOGIN_ADDRESS_MAX_FAILURES", lambda v: _whole(v, 1), "a whole number, at least 1"),
        ("LOGIN_ADDRESS_SLOWDOWN", lambda v: _whole(v, 1), "a whole number of seconds, at least 1"),
        ("LOGIN_FAILURE_WINDOW", lambda v: _whole(v, 1), "a whole number of seconds, at least 1"),
        ("SIGNUP_MAX_PER_ADDRESS", lambda v: _whole(v, 1), "a whole number, at least 1"),
        ("PROXY_COUNT", lambda v: _whole(v, 0), "a whole number, 0 or more"),
        ("UPLOAD_MAX_MB", lambda v: _whole(v, 1, 1024), "a whole number of MiB from 1 to 1024"),
        ("UPLOAD_QUOTA_MB", lambda v: _whole(v, 1), "a whole number of MiB, at least 1"),
        ("TURNAROUND_CACHE_SECONDS", lambda v: _whole(v, 0, 3600), "a whole number, 0 to 3600"),
        ("SESSION_COOKIE_SECURE", lambda v: isinstance(v, bool), "true or false"),
        ("REMEMBER_COOKIE_SECURE", lambda v: isinstance(v, bool), "true or false"),
        *MAIL_CHECKS,
    ]
    problems = [
        f"TRAINERPATH_{name} must be {wanted}"
        + ("" if name in SECRET_SETTINGS else f", not {config[name]!r}")
        for name, valid, wanted in checks
        if name in config and not valid(config[name])
    ]
    if config.get("MAIL_USE_TLS") is True and config.get("MAIL_USE_SSL") is True:
        problems.append("TRAINERPATH_MAIL_USE_TLS and TRAINERPATH_MAIL_USE_SSL exclude each other")
    return problems


def refuse_bad_settings(app: Flask) -> None:
    """Say on stderr in one line which settings are unusable, and exit, if any are."""
    problems = setting_problems(app.config)
    if not problems:
        return
    refusal = ConfigError("trainerpath: refusing to start: " + "; ".join(problems) + ".")
    print(refusal, file=sys.stderr, flush=True)
    raise refusal


def has_safe_secret(app: Flask) -> bool:
    """Whether the app may sign sessions: a real secret key, or debug or testing."""
    secret = app.config.get("SECRET_KEY")
    return app.debug or app.testing or bool(secret and secret != DEFAULT_SECRET_KEY)


def refuse_unsafe_secret(app: Flask) -> None:
    """Say on stderr in one line why the app will not start, and exit, without a real key."""
    if has_safe_secret(app):
        return
    refusal = ConfigError(
        "trainerpath: refusing to start without a secret key: set TRAINERPATH_SECRET_KEY "
        "or SECRET_KEY in instance/config.py (`make run` writes one for you)."
    )
    print(refusal, file=sys.stderr, flush=True)
    raise refusal
