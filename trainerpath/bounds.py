"""Limits on what a request may carry, stated once for the web pages and the API.

Every id column is a PostgreSQL INTEGER (SQLite stores 64 bits, but the app keeps to
the smaller range on both databases), so an id outside 1..ID_MAX names no row: it is
refused as "not found" before it reaches the database, where it would overflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

ID_MAX = 2**31 - 1
ID_TEXT = re.compile(r"[0-9]{1,10}")
# Hashing is deliberately slow, and slower for long input: refuse longer passwords first.
MAX_PASSWORD = 1024
PASSWORD_TOO_LONG = f"must be at most {MAX_PASSWORD} characters"
# A review's or an event's note: read in a notification, a mail, the audit trail and a
# dossier, so it may not be of any length the body limit allows.
MAX_NOTE = 2000
# An error list names at most this many fields (a body may send thousands of unknown ones).
MAX_LISTED_ERRORS = 20
MAX_FIELD_NAME = 64


def parse_id(text: str | None) -> int | None:
    """The id ``text`` spells (ASCII digits, 1..ID_MAX), or None when it spells none."""
    if text is None or not ID_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= ID_MAX else None


def password_error(password: object) -> str | None:
    """Why a password is refused before it is hashed or checked, or None."""
    if isinstance(password, str) and len(password) > MAX_PASSWORD:
        return PASSWORD_TOO_LONG
    return None


# Whitespace, and the characters that print as nothing (zero-width spaces and joiners,
# the word joiner, a byte order mark): text made of them only is blank.
AROUND_TEXT = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")


def typed_text(text: str) -> str:
    """Text as it was typed: each line break one ``\n``, nothing blank around it.

    Browsers send a textarea's line breaks as CRLF but count each as one character
    against its ``maxlength``; limits are measured on this form, as it is stored.
    """
    return AROUND_TEXT.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def note_text(note: str | None) -> tuple[str | None, str | None]:
    """A note as typed (None when blank), and why it is refused, if it is too long."""
    text = typed_text(note or "") or None
    if text is not None and len(text) > MAX_NOTE:
        return text, f"must be at most {MAX_NOTE} characters"
    return text, None


def field_name(name: str) -> str:
    """A field name short enough to echo back in an error."""
    return name if len(name) <= MAX_FIELD_NAME else name[: MAX_FIELD_NAME - 1] + "…"


def listed_errors(errors: Mapping[str, str]) -> tuple[dict[str, str], int]:
    """The first MAX_LISTED_ERRORS reasons (names shortened) and how many were left out."""
    listed: dict[str, str] = {}
    for name, why in errors.items():
        if len(listed) == MAX_LISTED_ERRORS:
            break
        listed.setdefault(field_name(name), why)
    return listed, max(0, len(errors) - len(listed))


class DigitsConverter(IntegerConverter):
    """``<digits:name>``: Werkzeug's ``int`` for ASCII digits only (its ``\\d`` also takes
    other scripts' digits, so ``/candidates/٤`` was candidate 4)."""

    regex = r"[0-9]+"


class IdConverter(BaseConverter):
    """``<id:name>``: a positive id a row can have; anything else matches no route (404)."""

    regex = ID_TEXT.pattern
    part_isolating = True

    def to_python(self, value: str) -> int:
        """The id, or no match when it is out of range."""
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: object) -> str:
        """The id as digits."""
        return str(int(value))  # type: ignore[call-overload]


def form_id(text: str | None) -> int | None:
    """The id a form or query field chose: None when blank, 0 (no row's id) when unreadable.

    The services then refuse the 0 as they refuse any id that names no row, and the page
    shows their reason next to the field.
    """
    if text is None or not text.strip():
        return None
    value = parse_id(text.strip())
    return 0 if value is None else value
