"""Sending mail with Flask-Mailman: SMTP in production, .eml files by default.

Nothing here decides *what* to send: services write rendered mails to the outbox
(services/outbox.py) and ``delivery.py`` hands each one to the backend set up here.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_mailman import EmailMessage, EmailMultiAlternatives, Mail
from flask_mailman.backends.base import BaseEmailBackend

from trainerpath.models import OutboxMail, utcnow

mail = Mail()


class EmlEmailBackend(BaseEmailBackend):
    """Write each mail to a file of its own (``<time>-<message id>.eml``) instead of sending it.

    The embedded default: no mail server is needed, and the files open in any mail
    program. A file is written under a temporary name and renamed, so a reader never
    sees half a mail.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folder = Path(self.mailman.file_path)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Write the messages; return how many were written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            built = message.message()
            stem = re.sub(r"[^A-Za-z0-9.-]+", "-", str(built["Message-ID"] or "mail")).strip("-")
            stamp = utcnow().strftime("%Y%m%d-%H%M%S")
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(handle, "wb") as output:
                output.write(built.as_bytes())
            os.replace(temporary, self.folder / f"{stamp}-{stem}.eml")
        return len(email_messages)


def init_app(app: Flask) -> None:
    """Set up Flask-Mailman from the MAIL_* settings (``eml`` or ``smtp``)."""
    if not app.config.get("MAIL_FILE_PATH"):
        app.config["MAIL_FILE_PATH"] = str(Path(app.instance_path) / "mail")
    state = mail.init_app(app)
    # Flask-Mailman takes a backend class as readily as a name.
    state.backend = EmlEmailBackend if app.config["MAIL_BACKEND"] == "eml" else "smtp"


def connection() -> BaseEmailBackend:
    """A connection to the configured backend (open it once for many mails)."""
    backend: BaseEmailBackend = mail.get_connection()
    return backend


def message_of(row: OutboxMail, backend: BaseEmailBackend) -> EmailMultiAlternatives:
    """The e-mail of an outbox row: plain text with an HTML alternative, and its headers."""
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=[row.recipient],
        headers={**row.headers, "Message-ID": row.message_id},
        connection=backend,
    )
    message.attach_alternative(row.body_html, "text/html")
    return message
