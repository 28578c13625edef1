"""Uploads over HTTP: the settings, the larger body limit of upload routes, file answers.

Every request body is held to ``MAX_CONTENT_LENGTH`` (1 MiB) except on the routes
marked ``@accepts_upload``, which accept one file of up to ``UPLOAD_MAX_MB`` plus the
multipart envelope, and those marked ``@accepts_text(limit)`` (CSV imports), whose
body or form field may hold ``limit`` bytes of text. The limit is set before anything
reads the body (the web pages' CSRF check parses the form), so a larger request is
refused from its Content-Length with 413 and never read, let alone written anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from flask import Flask, current_app, request, send_file
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

MIB = 1024 * 1024
ENVELOPE = 64 * 1024  # room for the multipart boundaries, headers and the CSRF field
MAX_PER_ITEM = 20  # files and links on one evidence item
# Served files are never run: no scripts, no plugins, no requests of their own, and
# the browser may not guess another type than the one sent.
FILE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}

F = TypeVar("F", bound=Callable[..., Any])
# A part's quoted file name as sent: up to the quote that ends the parameter.
QUOTED_FILENAME = re.compile(r'(?:^|;)\s*filename="(.*?)"\s*(?:;|$)', re.IGNORECASE)
# What browsers write in its place inside the quotes (the WHATWG form encoding).
PERCENT_ESCAPES = {"%22": '"', "%0A": "\n", "%0D": "\r", "%0a": "\n", "%0d": "\r"}
PERCENT_ESCAPE = re.compile("|".join(PERCENT_ESCAPES))


def sent_filename(sent: FileStorage) -> str:
    """The file name the client sent, backslashes and all.

    Browsers and curl send a name's backslashes as they are (``C:\\Users\\me\\scan.pdf``
    from old browsers), but Werkzeug reads a quoted name as an RFC 2616 string, where a
    backslash escapes the next character, and drops them: read from the part's own
    header, its folders can still be told from its last part. Any other form of the
    name (``filename*=``, unquoted) is Werkzeug's reading.
    """
    found = QUOTED_FILENAME.search(sent.headers.get("Content-Disposition", ""))
    if found is None:
        return sent.filename or ""
    return PERCENT_ESCAPE.sub(lambda escape: PERCENT_ESCAPES[escape.group()], found.group(1))


@dataclass(frozen=True)
class UploadSettings:
    """Where attachments are stored and how much may be stored."""

    root: Path
    max_file_bytes: int = 10 * MIB
    quota_bytes: int = 200 * MIB
    max_per_item: int = MAX_PER_ITEM

    @property
    def max_request_bytes(self) -> int:
        """The largest body an upload route reads: one whole file and its envelope."""
        return self.max_file_bytes + ENVELOPE


def upload_settings(app: Flask | None = None) -> UploadSettings:
    """The upload settings of ``app`` (the current app by default)."""
    app = app or current_app
    configured = app.config.get("UPLOAD_DIR")
    root = Path(configured) if configured else Path(app.instance_path) / "uploads"
    return UploadSettings(
        root=root,
        max_file_bytes=int(app.config["UPLOAD_MAX_MB"]) * MIB,
        quota_bytes=int(app.config["UPLOAD_QUOTA_MB"]) * MIB,
    )


def accepts_upload(view: F) -> F:
    """Mark a view as an upload route: its body may hold one file of the allowed size."""
    view.accepts_upload = True  # type: ignore[attr-defined]
    return view


def accepts_text(limit: int) -> Callable[[F], F]:
    """Mark a view whose body (or one form field of it) may hold up to ``limit`` bytes of
    text, e.g. a CSV file to import."""

    def mark(view: F) -> F:
        view.text_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def _raise_body_limit_for_uploads() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "accepts_upload", False):
        request.max_content_length = upload_settings().max_request_bytes
    text_limit = getattr(view, "text_limit", None)
    if text_limit is not None:
        # A browser sends a form field's line breaks back as CRLF: the text may grow a little.
        request.max_content_length = request.max_form_memory_size = text_limit + ENVELOPE


def megabytes(size: int) -> str:
    """A size in MiB as people read it: 10 MB, 0.4 MB."""
    value = size / MIB
    return f"{value:.0f} MB" if value >= 10 or value.is_integer() else f"{value:.1f} MB"


def file_response(
    stream: IO[bytes], *, content_type: str, size: int, download_name: str, inline: bool
) -> Response:
    """Send a stored file with its real type, as a download unless ``inline``."""
    response = send_file(
        stream,
        mimetype=content_type,
        as_attachment=not inline,
        download_name=download_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.content_length = size
    for name, value in FILE_HEADERS.items():
        response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    """Raise the body limit on upload routes before any other hook reads a body."""
    app.before_request(_raise_body_limit_for_uploads)
