"""Links that leave the app: full URLs from BASE_URL, and signed tokens for them.

A mail is rendered by a worker or a service, often outside any request, so its links
are built from ``BASE_URL`` rather than from the request's host. The tokens in account
and unsubscribe links are signed with the app's secret key (itsdangerous), each purpose
with its own salt, so a token made for one purpose is refused by every other.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer


def external_url(endpoint: str, **values: Any) -> str:
    """The full URL of ``endpoint`` under BASE_URL, in a request or outside one."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    url: str = adapter.build(endpoint, values, force_external=True)
    return url


def absolute(link: str) -> str:
    """A path of this site (``/candidate``) as a full URL under BASE_URL."""
    if link.startswith(("http://", "https://")):
        return link
    return current_app.config["BASE_URL"].rstrip("/") + "/" + link.lstrip("/")


def host() -> str:
    """The host name of BASE_URL (the right-hand side of our Message-IDs)."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"trainerpath.{purpose}")


def sign(purpose: str, payload: dict[str, Any]) -> str:
    """A URL-safe token carrying ``payload``, signed for ``purpose`` and stamped with the time."""
    return str(_serializer(purpose).dumps(payload))


def unsign(purpose: str, token: str, max_age: int | None = None) -> dict[str, Any] | None:
    """The payload of a token signed for ``purpose``, or None when forged, altered or too old."""
    if not isinstance(token, str) or len(token) > 1000:
        return None
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except BadData:
        return None
    return payload if isinstance(payload, dict) else None
