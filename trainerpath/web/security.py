"""Response security headers, CSRF for the web pages, and the login rate limit."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

from trainerpath.extensions import csrf

# Scripts and styles only from our own static folder: no inline code, no eval, no
# third-party hosts. Pico draws its form icons with data: SVG images.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def is_api_request() -> bool:
    """Whether the request is for the JSON API, which has its own errors and auth."""
    return request.path == "/api" or request.path.startswith("/api/")


def add_security_headers(response: Response) -> Response:
    """Put the security headers on every response (harmless on JSON ones)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static" and response.mimetype == "text/html":
        # Pages show personal records: keep them out of shared caches.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def protect_web_forms() -> None:
    """Check the CSRF token of every unsafe request to the web pages (not the token API)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.method not in current_app.config.get(
        "WTF_CSRF_METHODS", {"POST", "PUT", "PATCH", "DELETE"}
    ):
        return
    if is_api_request():
        return  # the API authenticates with bearer tokens, which a browser never sends
    csrf.protect()


class FailureLimiter:
    """Count failed attempts per key in a sliding window; block a key that fails too often.

    In memory, per process: enough to slow password guessing against one server. Behind
    several worker processes each has its own count (see the README).
    """

    MAX_KEYS = 10_000

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if failures:
            self._failures[key] = failures
        else:
            self._failures.pop(key, None)
        return failures

    def retry_after(self, limits: Mapping[str, int]) -> int:
        """Seconds until no key is over its limit of failures; 0 when none is."""
        with self._lock:
            now = self.clock()
            wait = 0.0
            for key, limit in limits.items():
                failures = self._recent(key, now)
                if len(failures) >= limit:
                    wait = max(wait, failures[-limit] + self.window - now)
            return math.ceil(wait) if wait > 0 else 0

    def fail(self, keys: Iterable[str]) -> None:
        """Record one failed attempt against each key."""
        with self._lock:
            now = self.clock()
            if len(self._failures) > self.MAX_KEYS:
                # Guessing across many e-mail addresses must not grow memory without bound.
                for stale in list(self._failures):
                    self._recent(stale, now)
            for key in keys:
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def forget(self, keys: Iterable[str]) -> None:
        """Clear the keys' failures (after a successful login)."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def login_limits(address: str | None, email: str) -> dict[str, int]:
    """The limiter keys of a login attempt and how many failures each allows per window.

    One address may fail a few times per account, and more in all (an office shares
    one address), before it has to wait.
    """
    per_account = int(current_app.config["LOGIN_MAX_FAILURES"])
    return {f"login:{address}:{email}": per_account, f"address:{address}": per_account * 4}


def login_limiter() -> FailureLimiter:
    """The app's login limiter."""
    limiter: FailureLimiter = current_app.extensions["trainerpath.login_limiter"]
    return limiter


def init_app(app: Flask) -> None:
    """Install the headers, the CSRF check and the login limiter on the app."""
    app.config.setdefault("LOGIN_MAX_FAILURES", 5)
    app.config.setdefault("LOGIN_FAILURE_WINDOW", 15 * 60)
    # Our own before_request hook decides which requests need a token (not /api/).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(protect_web_forms)
    app.after_request(add_security_headers)
    app.extensions["trainerpath.login_limiter"] = FailureLimiter(
        float(app.config["LOGIN_FAILURE_WINDOW"])
    )
