"""Password links by e-mail: "forgot password" and invitations.

A link carries a token signed for its purpose (links.py) holding the user's id and a
fingerprint of their current password hash and session version. Choosing a password
changes both, so a link works once; a logout-everywhere or a password change made
meanwhile also ends it. A reset link lives PASSWORD_RESET_MAX_AGE seconds (an hour),
an invitation INVITATION_MAX_AGE_DAYS days (a week).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from trainerpath import links
from trainerpath.models import OutboxMail, Role, User

from . import audit
from .accounts import end_sessions, update_user_as_read
from .errors import InvalidState, NotFound, ValidationFailed
from .outbox import INVITATION, PASSWORD_RESET, enqueue_mail
from .tokens import revoke_user_tokens
from .users import (
    create_invited_user,
    find_user_by_email,
    password_problem,
    unusable_password_hash,
)

RESET = "password-reset"  # token purposes
INVITE = "invitation"
LINK_UNUSABLE = "This link has expired or has already been used."


def fingerprint(user: User) -> str:
    """What a link is bound to: the password hash and session version, hashed."""
    material = f"{user.password_hash}:{user.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:24]


def max_age(purpose: str) -> int:
    """How many seconds a link of ``purpose`` lives."""
    if purpose == INVITE:
        return int(current_app.config["INVITATION_MAX_AGE_DAYS"]) * 86400
    return int(current_app.config["PASSWORD_RESET_MAX_AGE"])


def _lifetime(purpose: str) -> str:
    seconds = max_age(purpose)
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "1 hour" if hours == 1 else f"{hours} hours"
    return f"{round(seconds / 60)} minutes"


def _endpoint(purpose: str) -> str:
    return "recovery.invitation" if purpose == INVITE else "recovery.reset_password"


def link_for(user: User, purpose: str) -> str:
    """The full URL of a password link of ``purpose`` for ``user``."""
    token = links.sign(purpose, {"u": user.id, "f": fingerprint(user)})
    return links.external_url(_endpoint(purpose), token=token)


def request_password_reset(session: Session, *, email: str) -> OutboxMail | None:
    """Mail a reset link to the active account with this address, if there is one.

    Callers answer the same whether or not it exists; the mail is the only difference.
    """
    user = find_user_by_email(session, email) if isinstance(email, str) else None
    if user is None or not user.is_active:
        return None
    return enqueue_mail(
        session,
        user=user,
        kind=PASSWORD_RESET,
        subject="Reset your trainerpath password",
        template="password_reset",
        context={"valid_for": _lifetime(RESET)},
        link=link_for(user, RESET),
    )


def invite_user(
    *,
    session: Session,
    actor: User,
    email: str,
    name: str,
    role: str,
    password: str | None = None,
) -> User:
    """Create a user without a password and mail them a link to choose one (admins only).

    ``password`` must be left out: the invited user chooses their own.
    """
    user = create_invited_user(
        session=session, email=email, name=name, role=role, actor=actor, password=password
    )
    _mail_invitation(session, user, actor)
    return user


def resend_invitation(*, session: Session, actor: User, user_id: int) -> User:
    """Mail a new invitation link to a user who has not chosen a password yet; the
    links mailed before stop working."""
    if actor.role != Role.ADMIN:
        raise NotFound("No such user.")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound("No such user.")
    if user.invited_at is None:
        raise InvalidState(f"{user.name} has already chosen a password.")
    if not user.is_active:
        raise InvalidState(f"{user.name} is deactivated; reactivate them first.")
    # Only the newest link works: the links are bound to the stored hash, so a new one
    # retires those sent before (a lost or forwarded mail). Written only over the hash
    # read: if the invitee chose a password meanwhile, it is theirs.
    update_user_as_read(
        session,
        user,
        {"password_hash": user.password_hash},  # choosing a password replaces it
        {"password_hash": unusable_password_hash()},
        lost=InvalidState(f"{user.name} has already chosen a password."),
    )
    _mail_invitation(session, user, actor)
    audit.record(
        session,
        actor=actor,
        candidate_id=user.id if user.role == Role.CANDIDATE else None,
        action="user.invited",
        subject=f"users/{user.id}",
        detail=f"{user.email}: invitation sent again",
    )
    return user


def _mail_invitation(session: Session, user: User, actor: User) -> None:
    article = "an" if user.role == Role.ADMIN else "a"
    enqueue_mail(
        session,
        user=user,
        kind=INVITATION,
        subject="You are invited to trainerpath",
        template="invitation",
        context={
            "inviter": actor.name,
            "role": f"{article} {user.role}",
            "valid_for": _lifetime(INVITE),
        },
        link=link_for(user, INVITE),
    )


def user_for_link(session: Session, purpose: str, token: str) -> User | None:
    """The user a password link is for, while it is valid: signed, young enough, unused."""
    payload = links.unsign(purpose, token, max_age=max_age(purpose))
    if payload is None or not isinstance(payload.get("u"), int):
        return None
    user = session.get(User, payload["u"])
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(str(payload.get("f", "")), fingerprint(user)):
        return None  # used already, or the password changed since
    if purpose == INVITE and user.invited_at is None:
        return None
    return user


def set_password_from_link(
    *, session: Session, purpose: str, token: str, new_password: str
) -> User:
    """Set the password a link allows; every session ends and every API token is revoked.

    The link stops working: the password hash it is bound to changes. Two submissions
    of one link race on a conditional UPDATE: the second finds the hash changed.
    """
    user = user_for_link(session, purpose, token)
    if user is None:
        raise NotFound(LINK_UNUSABLE)
    if problem := password_problem(new_password):
        raise ValidationFailed({"new_password": problem})
    update_user_as_read(
        session,
        user,
        {"password_hash": user.password_hash},
        {"password_hash": generate_password_hash(new_password), "invited_at": None},
        lost=NotFound(LINK_UNUSABLE),
    )
    end_sessions(session=session, user=user)
    revoke_user_tokens(session=session, user=user)
    audit.record(
        session,
        actor=user,
        candidate_id=user.id if user.role == Role.CANDIDATE else None,
        action="user.invitation_accepted" if purpose == INVITE else "user.password_reset",
        subject=f"users/{user.id}",
    )
    return user
