"""Response security headers, CSRF for the web pages, the login limit and proxies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request, session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from trainerpath import ratelimit
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


# Sent only when the cookies are marked secure, i.e. the site is served over HTTPS.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def is_api_request() -> bool:
    """Whether the request is for the JSON API, which has its own errors and auth."""
    return request.path == "/api" or request.path.startswith("/api/")


STATIC_ENDPOINTS = frozenset({"static", "api.static"})


def add_security_headers(response: Response) -> Response:
    """Put the security headers on every response (harmless on JSON ones), keeping any
    a view set itself."""
    wanted = list(SECURITY_HEADERS.items())
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # Browsers then refuse plain HTTP to this site for a year, so no cookie leaks.
        wanted.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
    # Pages, downloads (a dossier, a record, a CSV) and JSON show personal records: no
    # cache, shared or the browser's, keeps them. Static files stay cacheable.
    cached = "no-store" not in response.headers.get("Cache-Control", "")
    if cached and request.endpoint not in STATIC_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    # One pass over the answer's headers, not one per header added (every answer pays).
    present = {name.lower() for name, _value in response.headers}
    response.headers.extend(
        [(name, value) for name, value in wanted if name.lower() not in present]
    )
    return response


def rotate_csrf_secret() -> None:
    """Drop the session's CSRF secret so the next page makes a new one (at login).

    A token copied from the login page before signing in must not work after.
    """
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)


F = TypeVar("F", bound=Callable[..., Any])


def exempt_from_csrf(view: F) -> F:
    """Mark a view whose URL carries its own authority (a signed token) as needing no CSRF token.

    Only for views that act on what the token names and nothing of the session.
    """
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


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
    if getattr(current_app.view_functions.get(request.endpoint or ""), "csrf_exempt", False):
        return
    csrf.protect()


class NulCharacter(BadRequest):
    """A web request whose query or form holds a NUL character."""

    description = (
        "Something you sent holds a NUL character, which no field may hold. "
        "Please remove it and try again."
    )


def _holds_nul(values: MultiDict[str, str]) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def refuse_nul_characters() -> None:
    """Refuse a page's query or form that holds a NUL, which PostgreSQL cannot store and no
    one types (the API refuses it per field, with its own errors)."""
    if is_api_request():
        return
    reads = request.method in ("GET", "HEAD", "OPTIONS")
    if _holds_nul(request.args) or (not reads and _holds_nul(request.form)):
        raise NulCharacter()


def init_app(app: Flask) -> None:
    """Install the headers, the CSRF check, the NUL refusal, the credential guard and
    ProxyFix on the app."""
    # Our own before_request hook decides which requests need a token (not /api/).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(protect_web_forms)
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
    ratelimit.init_app(app)
    proxies = int(app.config.get("PROXY_COUNT", 0))
    if proxies > 0:
        # Trust exactly this many X-Forwarded-* hops: the limiter then counts the client's
        # address, not the proxy's, and a client cannot forge its own.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
