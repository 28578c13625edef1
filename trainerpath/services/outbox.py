"""Put a mail in the outbox, in the transaction of the change that causes it.

``enqueue_mail`` renders the mail (plain text and HTML from ``templates/mail/``) and
writes one outbox row; ``flask deliver-mail`` sends it later. A notification mail goes
only when the user wants that kind by e-mail now; account mails (password reset,
invitation) always go. Every notification mail carries a link to the user's settings
and a signed one-click unsubscribe link (also as ``List-Unsubscribe`` headers).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import render_template
from sqlalchemy.orm import Session

from trainerpath import links
from trainerpath.models import EmailDelivery, OutboxMail, User
from trainerpath.notification_kinds import KINDS

from .email_preferences import email_delivery

PASSWORD_RESET = "account.password_reset"
INVITATION = "account.invitation"
ACCOUNT_KINDS = frozenset({PASSWORD_RESET, INVITATION})
UNSUBSCRIBE = "unsubscribe"  # the purpose of unsubscribe tokens
MAX_SUBJECT = 255


def unsubscribe_token(user: User, kind: str) -> str:
    """The signed token of a link that stops e-mails of ``kind`` to ``user``."""
    return links.sign(UNSUBSCRIBE, {"u": user.id, "k": kind})


def enqueue_mail(
    session: Session,
    *,
    user: User,
    kind: str,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    link: str,
    delivery: str | None = None,
) -> OutboxMail | None:
    """Write the mail ``template`` to ``user`` into the outbox, or nothing if they opted out.

    ``kind`` is a notification kind (notification_kinds.py) or an account kind;
    ``link`` is the page the mail is about (a path of this site or a full URL);
    ``delivery`` is the user's choice for ``kind`` when the caller has read it already
    (``email_preferences.deliveries``: one query for many recipients).
    Returns the outbox row, or None when no mail is due.
    """
    if kind not in ACCOUNT_KINDS:
        if kind not in KINDS:
            raise ValueError(f"unknown mail kind {kind!r}")
        if delivery is None:
            delivery = email_delivery(session, user, kind)
        if not user.is_active or delivery != EmailDelivery.IMMEDIATE:
            return None
    assert user.id is not None
    headers: dict[str, str] = {}
    values: dict[str, Any] = {
        **context,
        "user": user,
        "link": links.absolute(link),
        "settings_url": links.external_url("settings.notifications"),
        "unsubscribe_url": None,
    }
    if kind not in ACCOUNT_KINDS:
        values["unsubscribe_url"] = links.external_url(
            "settings.unsubscribe", token=unsubscribe_token(user, kind)
        )
        values["kind_label"] = KINDS[kind].label
        # RFC 2369 and RFC 8058: mail programs offer their own one-click unsubscribe.
        headers["List-Unsubscribe"] = f"<{values['unsubscribe_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail = OutboxMail(
        user_id=user.id,
        kind=kind,
        recipient=user.email,
        subject=" ".join(subject.split())[:MAX_SUBJECT],
        body_text=render_template(f"mail/{template}.txt", **values),
        body_html=render_template(f"mail/{template}.html", **values),
        headers=headers,
        message_id=f"<{secrets.token_hex(12)}@{links.host()}>",
    )
    session.add(mail)
    session.flush()
    return mail
