"""Create users, check passwords, and assign or end mentorships."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col
from werkzeug.security import check_password_hash, generate_password_hash

from trainerpath.bounds import password_error, typed_text
from trainerpath.models import Mentorship, Role, User, utcnow
from trainerpath.notification_kinds import EVIDENCE_WAITING

from . import audit, locks, notifications
from .errors import Conflict, Forbidden, NotFound, ValidationFailed
from .evidence_kinds import REQUIRED

# A name, "@", and a domain of two or more non-empty labels: no trailing dot (a second
# account for the same mailbox) and no [address literal].
EMAIL = re.compile(r"^[^@\s]+@[^@\s\[\].]+(?:\.[^@\s\[\].]+)+$")
# What a name may not hold: line breaks and other control characters, and the marks that
# reverse or isolate how the text around them is shown.
NOT_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Characters that print as nothing or only steer the text: a name of these only is blank,
# and none belongs in an e-mail address (it would be a look-alike second account).
UNSEEN = "\u00ad\u061c\u115f\u1160\u200b-\u200f\u2060-\u2064\u3164\ufeff\uffa0"
UNSEEN_CHARACTER = re.compile(f"[{UNSEEN}]")
SHOWN_CHARACTER = re.compile(f"[^\\s{UNSEEN}]")
MIN_PASSWORD = 8
ROLES = tuple(role.value for role in Role)
# Checked when an e-mail is unknown (or its account has no password yet), so a wrong
# e-mail costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
UNUSABLE = "!invited:"  # begins the stored hash of an invited user who has no password yet


def normalise_email(email: str) -> str:
    """E-mail addresses are unique case-insensitively: store them lower-case."""
    return email.strip().lower()


def _user_errors(
    email: object, name: object, password: object, role: object, invited: bool = False
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(email, str) or not email.strip():
        errors["email"] = REQUIRED
    elif (
        not EMAIL.match(email.strip()) or UNSEEN_CHARACTER.search(email) or len(email.strip()) > 254
    ):
        errors["email"] = "must be a valid e-mail address"
    shown = typed_text(name) if isinstance(name, str) else ""  # as it is stored
    if not SHOWN_CHARACTER.search(shown):
        errors["name"] = REQUIRED
    elif NOT_IN_NAMES.search(shown):
        errors["name"] = "must not contain line breaks or other control characters"
    elif len(shown) > 120:
        errors["name"] = "must be at most 120 characters"
    if invited:
        if password not in (None, ""):
            errors["password"] = "must be left out when an invitation is sent"
    elif problem := password_problem(password):
        errors["password"] = problem
    if role not in ROLES:
        errors["role"] = "must be one of: " + ", ".join(ROLES)
    return errors


TAKEN = "taken"


def user_problems(
    session: Session,
    *,
    email: object,
    name: object,
    password: object,
    role: object,
    invited: bool = False,
) -> dict[str, str]:
    """Everything wrong with a new user's details at once, a taken e-mail included
    (``TAKEN``), for forms that report every error together. ``create_user`` still checks
    (and a concurrent request may still take the address first)."""
    errors = _user_errors(email, name, password, role, invited)
    if "email" not in errors and isinstance(email, str) and find_user_by_email(session, email):
        errors["email"] = TAKEN
    return errors


def password_problem(password: object) -> str | None:
    """Why a new password is unacceptable (missing, too short, too long), or None."""
    if not isinstance(password, str) or not password:
        return REQUIRED
    if len(password) < MIN_PASSWORD:
        return f"must be at least {MIN_PASSWORD} characters"
    return password_error(password)  # hashing a huge one costs the server


def find_user_by_email(session: Session, email: str) -> User | None:
    """Return the user with this e-mail address, in any letter case."""
    stmt = select(User).where(func.lower(User.email) == normalise_email(email))
    return session.execute(stmt).scalar_one_or_none()


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    password: str,
    role: str = Role.CANDIDATE.value,
    actor: User | None = None,
) -> User:
    """Create a user with a hashed password; a taken e-mail is a Conflict."""
    if errors := _user_errors(email, name, password, role):
        raise ValidationFailed(errors)
    return _add_user(session, email, name, generate_password_hash(password), role, actor)


def unusable_password_hash() -> str:
    """A stored hash no password matches (werkzeug reads no method in it)."""
    return UNUSABLE + secrets.token_hex(16)


def create_invited_user(
    *,
    session: Session,
    email: str,
    name: str,
    role: str,
    actor: User,
    password: str | None = None,
) -> User:
    """Create a user who has no password yet and cannot log in until they choose one.

    ``password`` must be left out (None or empty): the invited user sets their own.
    """
    if actor.role != Role.ADMIN:
        raise Forbidden("Only an admin can invite users.")
    if errors := _user_errors(email, name, password, role, invited=True):
        raise ValidationFailed(errors)
    user = _add_user(session, email, name, unusable_password_hash(), role, actor, invited=True)
    return user


def _add_user(
    session: Session,
    email: str,
    name: str,
    password_hash: str,
    role: str,
    actor: User | None,
    invited: bool = False,
) -> User:
    if find_user_by_email(session, email) is not None:
        raise Conflict("A user with this e-mail address already exists.", {"email": "taken"})
    user = User(
        email=normalise_email(email),
        name=typed_text(name),
        password_hash=password_hash,
        role=role,
        invited_at=utcnow() if invited else None,
    )
    session.add(user)
    try:
        with session.begin_nested():  # a concurrent request took the address first
            session.flush()
    except IntegrityError:
        raise Conflict(
            "A user with this e-mail address already exists.", {"email": "taken"}
        ) from None
    audit.record(
        session,
        actor=actor,
        candidate_id=user.id if role == Role.CANDIDATE else None,
        action="user.invited" if invited else "user.created",
        subject=f"users/{user.id}",
        detail=f"{user.email} as {role}",
    )
    if role == Role.CANDIDATE:
        notifications.candidate_unassigned(session, actor=actor, candidate=user, new=True)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (same cost either way: an
    unknown e-mail or an invitation not yet taken costs a hash check too, so the time
    taken tells nobody which addresses have accounts)."""
    user = find_user_by_email(session, email) if isinstance(email, str) else None
    if user is None or not isinstance(password, str) or user.password_hash.startswith(UNUSABLE):
        check_password_hash(_DUMMY_HASH, password if isinstance(password, str) else "")
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def _user_with_role(session: Session, user_id: int, role: Role, field: str) -> User:
    user = session.get(User, user_id, populate_existing=True) if isinstance(user_id, int) else None
    if user is None or user.role != role:
        raise ValidationFailed({field: f"must be the id of a {role.value}"})
    return user


def assign_mentor(
    *, session: Session, actor: User, mentor_id: int, candidate_id: int
) -> Mentorship:
    """Assign a mentor to a candidate (admins only); an active duplicate is a Conflict."""
    if actor.role != Role.ADMIN:
        raise Forbidden("Only an admin can assign mentors.")
    # Both users' rows are locked first: a role change of either waits for this, or this
    # for it, and then reads their roles as that left them.
    locks.lock_candidates(session, [i for i in (mentor_id, candidate_id) if isinstance(i, int)])
    mentor = _user_with_role(session, mentor_id, Role.MENTOR, "mentor_id")
    candidate = _user_with_role(session, candidate_id, Role.CANDIDATE, "candidate_id")
    active = select(col(Mentorship.id)).where(
        col(Mentorship.mentor_id) == mentor.id,
        col(Mentorship.candidate_id) == candidate.id,
        col(Mentorship.ended_at).is_(None),
    )
    if session.execute(active).first() is not None:
        raise Conflict(f"{mentor.name} already mentors {candidate.name}.")
    assert mentor.id is not None and candidate.id is not None
    mentorship = Mentorship(mentor_id=mentor.id, candidate_id=candidate.id, assigned_by=actor.id)
    session.add(mentorship)
    try:
        with session.begin_nested():  # a concurrent request assigned the same pair first
            session.flush()
    except IntegrityError:
        raise Conflict(f"{mentor.name} already mentors {candidate.name}.") from None
    audit.record(
        session,
        actor=actor,
        candidate_id=candidate.id,
        action="mentorship.started",
        subject=f"mentorships/{mentorship.id}",
        detail=f"{mentor.name} mentors {candidate.name}",
    )
    notifications.mentor_assigned(
        session, actor=actor, mentorship=mentorship, mentor=mentor, candidate=candidate
    )
    return mentorship


def end_mentorship(*, session: Session, actor: User, mentorship_id: int) -> Mentorship:
    """End an active mentorship; the mentor loses access at once.

    Ending one that someone else ends at the same moment is a Conflict.
    """
    if actor.role != Role.ADMIN:
        raise Forbidden("Only an admin can end mentorships.")
    mentorship = session.get(Mentorship, mentorship_id)
    if mentorship is None or mentorship.ended_at is not None:
        raise NotFound("No such active mentorship.")
    # Ending a candidate's mentorships one at a time, so the end of the last one (and only
    # that) sees no mentor left and tells the admins.
    locks.lock_candidates(session, [mentorship.candidate_id])
    result = session.execute(
        update(Mentorship)
        .where(col(Mentorship.id) == mentorship.id, col(Mentorship.ended_at).is_(None))
        .values(ended_at=utcnow(), ended_by=actor.id)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict("Someone else ended this mentorship at the same moment.")
    session.refresh(mentorship)
    audit.record(
        session,
        actor=actor,
        candidate_id=mentorship.candidate_id,
        action="mentorship.ended",
        subject=f"mentorships/{mentorship.id}",
    )
    # The mentor's bell no longer counts this candidate's evidence: not theirs to review.
    notifications.resolved(
        session,
        kind=EVIDENCE_WAITING,
        candidate_id=mentorship.candidate_id,
        recipient_id=mentorship.mentor_id,
    )
    candidate = session.get(User, mentorship.candidate_id)
    if candidate is not None:
        notifications.candidate_unassigned(session, actor=actor, candidate=candidate, new=False)
    return mentorship
