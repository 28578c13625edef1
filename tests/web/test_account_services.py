"""The services behind the web pages: feedback, passwords, roles, deactivation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import PASSWORD
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from trainerpath.models import AuditEntry, Enrollment, Feedback
from trainerpath.services.accounts import change_password, change_role, end_sessions, set_active
from trainerpath.services.errors import (
    Conflict,
    Forbidden,
    InvalidState,
    NotFound,
    Refusal,
    ValidationFailed,
)
from trainerpath.services.feedback import leave_feedback
from trainerpath.services.tokens import issue_token, verify_token

from .conftest import Cast


def audit_actions(session: Session) -> list[str]:
    """The audit trail's actions, oldest first."""
    return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def test_a_mentor_leaves_feedback_for_an_assigned_candidate(session: Session, cast: Cast) -> None:
    feedback = leave_feedback(
        session=session, actor=cast.mentor, candidate_id=cast.candidate.id, body="  Well done.  "
    )
    session.commit()
    assert (feedback.body, feedback.author_id) == ("Well done.", cast.mentor.id)
    assert audit_actions(session)[-1] == "feedback.left"


def test_feedback_may_be_about_one_of_the_candidates_enrollments(
    session: Session, cast: Cast, make_enrollment: Callable[..., Enrollment]
) -> None:
    mine = make_enrollment(cast.candidate, "cst")
    theirs = make_enrollment(cast.other_candidate, "cst")
    feedback = leave_feedback(session=session, actor=cast.admin, candidate_id=cast.candidate.id,
                              body="On CST", enrollment_id=mine.id)  # fmt: skip
    assert feedback.enrollment_id == mine.id
    with pytest.raises(ValidationFailed) as refused:
        leave_feedback(session=session, actor=cast.admin, candidate_id=cast.candidate.id,
                       body="On CST", enrollment_id=theirs.id)  # fmt: skip
    assert refused.value.errors == {"enrollment_id": "must be one of the candidate's enrollments"}


@pytest.mark.parametrize(
    ("who", "body", "refusal"),
    [
        ("other_mentor", "Hi", NotFound),
        ("candidate", "Note to self", Forbidden),
        ("mentor", "   ", ValidationFailed),
        ("mentor", "x" * 5001, ValidationFailed),
    ],
)
def test_feedback_is_refused_when_it_should_be(
    session: Session, cast: Cast, who: str, body: str, refusal: type[Refusal]
) -> None:
    with pytest.raises(refusal):
        leave_feedback(
            session=session, actor=getattr(cast, who), candidate_id=cast.candidate.id, body=body
        )
    session.rollback()
    assert session.execute(select(Feedback)).first() is None


def test_ending_sessions_bumps_the_version(session: Session, cast: Cast) -> None:
    before = cast.candidate.session_version
    end_sessions(session=session, user=cast.candidate)
    assert cast.candidate.session_version == before + 1


def test_changing_the_password_checks_the_old_one_and_ends_sessions(
    session: Session, cast: Cast
) -> None:
    user = cast.candidate
    with pytest.raises(ValidationFailed) as refused:
        change_password(session=session, user=user, current_password="nope", new_password="short")
    assert refused.value.errors == {
        "current_password": "is not your current password",
        "new_password": "must be at least 8 characters",
    }
    version = user.session_version
    change_password(
        session=session, user=user, current_password=PASSWORD, new_password="new pass 1"
    )
    assert check_password_hash(user.password_hash, "new pass 1")
    assert user.session_version == version + 1
    assert audit_actions(session)[-1] == "user.password_changed"


def test_an_admin_changes_a_role_and_it_is_audited(session: Session, cast: Cast) -> None:
    change_role(session=session, actor=cast.admin, user_id=cast.other_candidate.id, role="mentor")
    assert cast.other_candidate.role == "mentor"
    entry = session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
    assert (entry.action, entry.detail) == ("user.role_changed", "candidate → mentor")


@pytest.mark.parametrize(
    ("actor", "target", "role", "refusal"),
    [
        ("mentor", "other_candidate", "mentor", Forbidden),
        ("admin", "admin", "candidate", InvalidState),
        ("admin", "mentor", "candidate", Conflict),
        ("admin", "candidate", "wizard", ValidationFailed),
    ],
)
def test_role_changes_are_refused_when_they_should_be(
    session: Session, cast: Cast, actor: str, target: str, role: str, refusal: type[Refusal]
) -> None:
    user = getattr(cast, target)
    before = user.role
    with pytest.raises(refusal):
        change_role(session=session, actor=getattr(cast, actor), user_id=user.id, role=role)
    assert user.role == before


def test_deactivation_ends_sessions_and_reactivation_does_not(session: Session, cast: Cast) -> None:
    user = cast.candidate
    version = user.session_version
    set_active(session=session, actor=cast.admin, user_id=user.id, active=False)
    assert (user.is_active, user.session_version) == (False, version + 1)
    set_active(session=session, actor=cast.admin, user_id=user.id, active=True)
    assert (user.is_active, user.session_version) == (True, version + 1)
    assert audit_actions(session)[-2:] == ["user.deactivated", "user.reactivated"]


@pytest.mark.parametrize(
    ("actor", "target", "refusal"),
    [("mentor", "candidate", Forbidden), ("admin", "admin", InvalidState)],
)
def test_deactivation_is_refused_when_it_should_be(
    session: Session, cast: Cast, actor: str, target: str, refusal: type[Refusal]
) -> None:
    with pytest.raises(refusal):
        set_active(
            session=session,
            actor=getattr(cast, actor),
            user_id=getattr(cast, target).id,
            active=False,
        )
    assert getattr(cast, target).is_active


def test_deactivating_a_missing_user_is_not_found(session: Session, cast: Cast) -> None:
    with pytest.raises(NotFound):
        set_active(session=session, actor=cast.admin, user_id=99999, active=False)


def test_changing_the_password_revokes_every_api_token(session: Session, cast: Cast) -> None:
    user = cast.candidate
    token = issue_token(session=session, user=user).token
    session.commit()
    assert verify_token(session, token) is not None
    change_password(
        session=session, user=user, current_password=PASSWORD, new_password="new pass 1"
    )
    session.commit()
    assert verify_token(session, token) is None
