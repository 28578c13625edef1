"""Which notifications a user wants by e-mail: per kind, now, in a digest, or not at all.

Only choices that differ from the default are stored; without a row a kind comes by
e-mail as it happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import EmailDelivery, EmailPreference, Role, User
from trainerpath.notification_kinds import KINDS, NotificationKind, kinds_for

from . import audit
from .errors import ValidationFailed

DEFAULT = EmailDelivery.IMMEDIATE.value


def choices_for(kind: NotificationKind) -> tuple[str, ...]:
    """The deliveries a kind offers: a digest only where the kind allows one."""
    if kind.digest:
        return (EmailDelivery.IMMEDIATE, EmailDelivery.DIGEST, EmailDelivery.OFF)
    return (EmailDelivery.IMMEDIATE, EmailDelivery.OFF)


def email_settings(session: Session, user: User) -> dict[str, str]:
    """The user's delivery for every kind their role receives, defaults filled in."""
    stored = session.execute(
        select(col(EmailPreference.kind), col(EmailPreference.delivery)).where(
            col(EmailPreference.user_id) == user.id
        )
    ).all()
    chosen = dict(stored)
    return {kind.key: chosen.get(kind.key, DEFAULT) for kind in kinds_for(user.role)}


def email_delivery(session: Session, user: User, kind: str) -> str:
    """How ``user`` wants ``kind`` by e-mail: immediate, digest or off."""
    stored = session.execute(
        select(col(EmailPreference.delivery)).where(
            col(EmailPreference.user_id) == user.id, col(EmailPreference.kind) == kind
        )
    ).scalar_one_or_none()
    return stored or DEFAULT


def deliveries(session: Session, user_ids: Iterable[int], kind: str) -> list[tuple[User, str]]:
    """Each of the users with their delivery for ``kind``, in one query."""
    found = session.execute(
        select(User, col(EmailPreference.delivery))
        .outerjoin(
            EmailPreference,
            and_(col(EmailPreference.user_id) == col(User.id), col(EmailPreference.kind) == kind),
        )
        .where(col(User.id).in_(sorted(set(user_ids))))
        .order_by(col(User.id))
    ).all()
    return [(user, delivery or DEFAULT) for user, delivery in found]


def set_email_preferences(
    *, session: Session, user: User, choices: Mapping[str, object]
) -> dict[str, str]:
    """Store the user's choices (kind → delivery) for kinds of their role; return them all.

    A kind the user's role does not receive, or a delivery the kind does not offer, is
    refused field by field and nothing is stored.
    """
    offered = {kind.key: kind for kind in kinds_for(user.role)}
    errors: dict[str, str] = {}
    for key, value in choices.items():
        kind = offered.get(key)
        if kind is None:
            errors[key] = "is not a notification you receive"
        elif value not in choices_for(kind):
            errors[key] = "must be one of: " + ", ".join(choices_for(kind))
    if errors:
        raise ValidationFailed(errors)
    for key, value in choices.items():
        _store(session, user, key, str(value))
    audit.record(
        session,
        actor=user,
        candidate_id=user.id if user.role == Role.CANDIDATE else None,
        action="account.email_preferences",
        subject=f"users/{user.id}",
        detail=", ".join(f"{key}: {value}" for key, value in sorted(choices.items())),
    )
    return email_settings(session, user)


def unsubscribe(*, session: Session, user: User, kind: str) -> None:
    """Stop e-mails of ``kind`` to ``user`` (a one-click unsubscribe link)."""
    if kind not in KINDS:
        raise ValidationFailed({"kind": "is not a notification kind"})
    _store(session, user, kind, EmailDelivery.OFF.value)
    audit.record(
        session,
        actor=user,
        candidate_id=user.id if user.role == Role.CANDIDATE else None,
        action="account.unsubscribed",
        subject=f"users/{user.id}",
        detail=kind,
    )


def _store(session: Session, user: User, kind: str, delivery: str) -> None:
    session.execute(
        delete(EmailPreference).where(
            col(EmailPreference.user_id) == user.id, col(EmailPreference.kind) == kind
        )
    )
    if delivery == DEFAULT:
        return
    assert user.id is not None
    try:
        with session.begin_nested():  # a concurrent request stored a choice first
            session.add(EmailPreference(user_id=user.id, kind=kind, delivery=delivery))
    except IntegrityError:
        session.execute(
            update(EmailPreference)
            .where(col(EmailPreference.user_id) == user.id, col(EmailPreference.kind) == kind)
            .values(delivery=delivery)
        )
