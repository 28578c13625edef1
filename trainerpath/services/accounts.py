"""Manage accounts: end sessions, change a password, change a role, deactivate.

Each change that must cut off existing sign-ins bumps ``User.session_version``: the web
session cookie and the remember-me cookie carry the version they were issued with, so
an old cookie no longer matches and is treated as anonymous.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col
from werkzeug.security import check_password_hash, generate_password_hash

from trainerpath.models import Mentorship, Role, User

from . import audit, locks
from .errors import Conflict, Forbidden, InvalidState, NotFound, Refusal, ValidationFailed
from .evidence_kinds import REQUIRED
from .tokens import revoke_user_tokens
from .users import ROLES, password_problem


def end_sessions(*, session: Session, user: User) -> None:
    """Make every existing sign-in of ``user`` (all browsers, remember-me too) invalid."""
    # Incremented in SQL: two requests that read the same version must not both write v+1.
    session.execute(
        update(User)
        .where(col(User.id) == user.id)
        .values(session_version=col(User.session_version) + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(user)


def update_user_as_read(
    session: Session,
    user: User,
    read: dict[str, Any],
    values: dict[str, Any],
    lost: Refusal | None = None,
) -> None:
    """UPDATE the user only while the ``read`` columns still hold what was read, else
    raise ``lost`` (by default a Conflict saying someone else changed the account)."""
    result = session.execute(
        update(User)
        .where(col(User.id) == user.id, *(getattr(User, k) == v for k, v in read.items()))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise lost or Conflict(
            f"Someone else changed {user.name}'s account at the same moment; reload and try again."
        )
    session.refresh(user)


WRONG_CURRENT_PASSWORD = "is not your current password"


def password_change_problems(
    *, user: User, current_password: str, new_password: str
) -> dict[str, str]:
    """Every reason ``change_password`` would refuse these passwords, by field (empty:
    none), for a form that has problems of its own to show beside them."""
    errors: dict[str, str] = {}
    if not isinstance(current_password, str) or not current_password:
        errors["current_password"] = REQUIRED
    elif not check_password_hash(user.password_hash, current_password):
        errors["current_password"] = WRONG_CURRENT_PASSWORD
    if problem := password_problem(new_password):
        errors["new_password"] = problem
    return errors


def change_password(
    *, session: Session, user: User, current_password: str, new_password: str
) -> User:
    """Replace the user's password after checking the current one.

    Other browser sessions end and every API token is revoked: whoever knew the old
    password may have used it to sign in or to mint a token.
    """
    if errors := password_change_problems(
        user=user, current_password=current_password, new_password=new_password
    ):
        raise ValidationFailed(errors)
    # Only over the password just checked: of two changes at once, the second finds it
    # replaced (a Conflict) instead of overwriting the first one's new password.
    update_user_as_read(
        session,
        user,
        {"password_hash": user.password_hash},
        {"password_hash": generate_password_hash(new_password)},
        lost=Conflict(
            "Your password was changed elsewhere at the same moment, so this change was "
            "not made. Sign in with the password set there."
        ),
    )
    end_sessions(session=session, user=user)
    revoke_user_tokens(session=session, user=user)
    audit.record(
        session,
        actor=user,
        candidate_id=user.id if user.role == Role.CANDIDATE else None,
        action="user.password_changed",
        subject=f"users/{user.id}",
    )
    return user


def _other_user(session: Session, actor: User, user_id: int, doing: str) -> User:
    """Return the user an admin acts on; ``doing`` completes "Only an admin can …"."""
    if actor.role != Role.ADMIN:
        raise Forbidden(f"Only an admin can {doing} users.")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound("No such user.")
    if user.id == actor.id:
        # An admin who demotes or deactivates themselves could leave nobody in charge.
        raise InvalidState(f"You cannot {doing} your own account; ask another admin.")
    return user


def _has_active_mentorships(session: Session, user_id: int) -> bool:
    stmt = select(col(Mentorship.id)).where(
        (col(Mentorship.mentor_id) == user_id) | (col(Mentorship.candidate_id) == user_id),
        col(Mentorship.ended_at).is_(None),
    )
    return session.execute(stmt).first() is not None


def change_role(*, session: Session, actor: User, user_id: int, role: str) -> User:
    """Give a user another role (admins only); active mentorships must be ended first."""
    if role not in ROLES:
        raise ValidationFailed({"role": "must be one of: " + ", ".join(ROLES)})
    user = _other_user(session, actor, user_id, "change the role of")
    if user.role == role:
        return user
    assert user.id is not None
    locks.lock_candidates(session, [user.id])  # an assignment of them waits, or this for it
    if _has_active_mentorships(session, user.id):
        raise Conflict(f"End {user.name}'s mentor assignments before changing their role.")
    before = user.role
    update_user_as_read(session, user, {"role": before}, {"role": role})
    audit.record(
        session,
        actor=actor,
        candidate_id=user.id if Role.CANDIDATE in (before, role) else None,
        action="user.role_changed",
        subject=f"users/{user.id}",
        detail=f"{before} → {role}",
    )
    return user


def set_active(*, session: Session, actor: User, user_id: int, active: bool) -> User:
    """Deactivate or reactivate an account (admins only).

    Deactivating ends every session and revokes every API token at once, so that a
    later reactivation does not bring old sign-ins or tokens back.
    """
    user = _other_user(session, actor, user_id, "reactivate" if active else "deactivate")
    if user.is_active == active:
        return user
    update_user_as_read(session, user, {"is_active": not active}, {"is_active": active})
    if not active:
        end_sessions(session=session, user=user)
        revoke_user_tokens(session=session, user=user)
    audit.record(
        session,
        actor=actor,
        candidate_id=user.id if user.role == Role.CANDIDATE else None,
        action="user.reactivated" if active else "user.deactivated",
        subject=f"users/{user.id}",
        detail=user.email,
    )
    return user
