"""Users and mentorships: unique e-mail, password checks, assigning and ending mentors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import PASSWORD, pk
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col
from werkzeug.security import check_password_hash

from trainerpath.models import AuditEntry, Mentorship, User
from trainerpath.services.access import can_review, can_view, visible_candidate
from trainerpath.services.errors import Conflict, Forbidden, NotFound, Refusal, ValidationFailed
from trainerpath.services.users import assign_mentor, authenticate, create_user, end_mentorship

pytestmark = pytest.mark.without_app  # services need no Flask app

MakeUser = Callable[..., User]


def count(engine: Engine, model: type[Any]) -> int:
    """How many rows ``model`` has, read in a session of its own."""
    with Session(engine) as fresh:
        return fresh.scalar(select(func.count()).select_from(model)) or 0


def refused(
    session: Session, engine: Engine, service: Callable[..., Any], **kwargs: Any
) -> Refusal:
    """Call a service that must refuse; check no user, mentorship or audit row appeared."""
    session.commit()  # end any read, so the fresh sessions can take SQLite's lock
    models = (User, Mentorship, AuditEntry)
    before = [count(engine, model) for model in models]
    try:
        service(session=session, **kwargs)
    except Refusal as refusal:
        session.rollback()
        assert [count(engine, model) for model in models] == before
        return refusal
    pytest.fail(f"{service.__name__} did not refuse {kwargs}")


def mentorship_actions(session: Session) -> list[str]:
    """The audit trail's mentorship entries, oldest first."""
    stmt = (
        select(col(AuditEntry.action))
        .where(col(AuditEntry.action).startswith("mentorship."))
        .order_by(col(AuditEntry.id))
    )
    return list(session.scalars(stmt))


# -- creating users and signing in ---------------------------------------------------


@pytest.mark.parametrize(
    ("length", "error"),
    [(7, "must be at least 8 characters"), (1025, "must be at most 1024 characters")],
)
def test_a_password_too_short_or_too_long_is_refused_before_hashing(
    session: Session, length: int, error: str
) -> None:
    # The CLI's create-user reaches the service directly: the cap holds there too.
    with pytest.raises(ValidationFailed) as refused:
        create_user(session=session, email="ada@example.org", name="Ada", password="p" * length)
    assert refused.value.errors == {"password": error}
    assert session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.real_password_hashing
def test_new_user_is_stored_with_a_lower_case_email_and_a_hashed_password(
    session: Session,
) -> None:
    user = create_user(
        session=session, email="  Ada.Lovelace@Example.ORG ", name=" Ada ", password=PASSWORD
    )
    session.commit()
    assert (user.email, user.name, user.role, user.is_active) == (
        "ada.lovelace@example.org",
        "Ada",
        "candidate",
        True,
    )
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("scrypt:")  # werkzeug's slow default, not a fast hash
    assert check_password_hash(user.password_hash, PASSWORD)
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.subject, entry.candidate_id) == (
        "user.created",
        f"users/{user.id}",
        user.id,
    )


@pytest.mark.parametrize("email", ["ada@example.org", "ADA@EXAMPLE.ORG", " Ada@Example.org "])
def test_email_is_unique_whatever_its_letter_case(
    session: Session, engine: Engine, make_user: MakeUser, email: str
) -> None:
    make_user(email="ada@example.org")
    refusal = refused(
        session, engine, create_user, email=email, name="Another Ada", password=PASSWORD
    )
    assert isinstance(refusal, Conflict)
    assert refusal.details == {"email": "taken"}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"email": ""}, {"email": "required"}),
        ({"email": "ada.example.org"}, {"email": "must be a valid e-mail address"}),
        ({"email": "ada @example.org"}, {"email": "must be a valid e-mail address"}),
        ({"name": "  "}, {"name": "required"}),
        ({"password": ""}, {"password": "required"}),
        ({"password": "1234567"}, {"password": "must be at least 8 characters"}),
        ({"role": "superuser"}, {"role": "must be one of: candidate, mentor, admin"}),
        (
            {"email": "", "name": "", "password": "short"},
            {
                "email": "required",
                "name": "required",
                "password": "must be at least 8 characters",
            },
        ),
    ],
)
def test_invalid_user_is_refused_field_by_field(
    session: Session, engine: Engine, fields: dict[str, str], errors: dict[str, str]
) -> None:
    data = {"email": "ada@example.org", "name": "Ada", "password": PASSWORD} | fields
    refusal = refused(session, engine, create_user, **data)
    assert isinstance(refusal, ValidationFailed)
    assert refusal.errors == errors


@pytest.mark.parametrize("email", ["ada@example.org", "ADA@example.org", " ada@EXAMPLE.org"])
def test_authenticate_returns_the_user_for_the_right_password(
    session: Session, make_user: MakeUser, email: str
) -> None:
    user = make_user(email="ada@example.org")
    assert authenticate(session, email, PASSWORD) == user


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@example.org", "wrong horse battery"),
        ("ada@example.org", PASSWORD.upper()),
        ("ada@example.org", ""),
        ("nobody@example.org", PASSWORD),
    ],
    ids=["wrong-password", "wrong-case-password", "empty-password", "unknown-email"],
)
def test_authenticate_refuses_wrong_credentials(
    session: Session, make_user: MakeUser, email: str, password: str
) -> None:
    make_user(email="ada@example.org")
    assert authenticate(session, email, password) is None


def test_deactivated_user_cannot_sign_in(session: Session, make_user: MakeUser) -> None:
    make_user(email="ada@example.org", is_active=False)
    assert authenticate(session, "ada@example.org", PASSWORD) is None


def test_every_refused_login_costs_a_real_hash_check(
    session: Session, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown e-mail, an invitation not taken yet, a wrong password and a deactivated
    account each check a pbkdf2 hash, so the time taken tells nobody which it was."""
    from trainerpath.services import users

    admin = make_user(role="admin", email="ada@example.org")
    users.create_invited_user(
        session=session, email="nia@example.org", name="Nia New", role="mentor", actor=admin
    )
    make_user(email="dee@example.org", is_active=False)
    checked: list[str] = []

    def check(stored: str, password: str) -> bool:
        checked.append(stored.split("$", 1)[0])
        return check_password_hash(stored, password)

    monkeypatch.setattr(users, "check_password_hash", check)
    for email, password in (
        ("nobody@example.org", PASSWORD),
        ("nia@example.org", "anything at all"),
        ("ada@example.org", "wrong horse battery"),
        ("dee@example.org", PASSWORD),
    ):
        assert authenticate(session, email, password) is None
    assert len(checked) == 4
    assert all(method.startswith("pbkdf2:") or method.startswith("scrypt") for method in checked)


# -- mentorships --------------------------------------------------------------------


@pytest.fixture
def trio(make_user: MakeUser) -> tuple[User, User, User]:
    """An admin, a mentor and a candidate with no mentorship yet."""
    return make_user(role="admin"), make_user(role="mentor"), make_user()


def test_admin_assigns_a_mentor_who_then_sees_the_candidate(
    session: Session, trio: tuple[User, User, User]
) -> None:
    admin, mentor, candidate = trio
    assert candidate.id is not None and mentor.id is not None
    assert not can_view(session, mentor, candidate.id)
    mentorship = assign_mentor(
        session=session, actor=admin, mentor_id=pk(mentor), candidate_id=pk(candidate)
    )
    session.commit()
    assert (mentorship.assigned_by, mentorship.ended_at) == (admin.id, None)
    assert can_view(session, mentor, candidate.id)
    assert can_review(session, mentor, candidate.id)
    assert visible_candidate(session, mentor, candidate.id) == candidate
    assert mentorship_actions(session) == ["mentorship.started"]


@pytest.mark.parametrize(
    ("mentor_role", "candidate_role", "errors"),
    [
        ("candidate", "candidate", {"mentor_id": "must be the id of a mentor"}),
        ("admin", "candidate", {"mentor_id": "must be the id of a mentor"}),
        ("mentor", "mentor", {"candidate_id": "must be the id of a candidate"}),
        ("mentor", "admin", {"candidate_id": "must be the id of a candidate"}),
    ],
)
def test_mentorship_needs_a_mentor_and_a_candidate(
    session: Session,
    engine: Engine,
    make_user: MakeUser,
    mentor_role: str,
    candidate_role: str,
    errors: dict[str, str],
) -> None:
    admin = make_user(role="admin")
    refusal = refused(
        session,
        engine,
        assign_mentor,
        actor=admin,
        mentor_id=make_user(role=mentor_role).id,
        candidate_id=make_user(role=candidate_role).id,
    )
    assert isinstance(refusal, ValidationFailed)
    assert refusal.errors == errors


def test_mentorship_with_an_unknown_user_is_a_validation_error(
    session: Session, engine: Engine, trio: tuple[User, User, User]
) -> None:
    admin, mentor, _candidate = trio
    refusal = refused(
        session, engine, assign_mentor, actor=admin, mentor_id=pk(mentor), candidate_id=999_999
    )
    assert isinstance(refusal, ValidationFailed)
    assert refusal.errors == {"candidate_id": "must be the id of a candidate"}


@pytest.mark.parametrize("role", ["mentor", "candidate"])
def test_only_an_admin_assigns_or_ends_mentorships(
    session: Session, engine: Engine, make_user: MakeUser, trio: tuple[User, User, User], role: str
) -> None:
    admin, mentor, candidate = trio
    mentorship = assign_mentor(
        session=session, actor=admin, mentor_id=pk(mentor), candidate_id=pk(candidate)
    )
    session.commit()
    actor = mentor if role == "mentor" else candidate
    assigned = refused(
        session,
        engine,
        assign_mentor,
        actor=actor,
        mentor_id=pk(mentor),
        candidate_id=pk(candidate),
    )
    ended = refused(session, engine, end_mentorship, actor=actor, mentorship_id=pk(mentorship))
    assert (type(assigned), type(ended)) == (Forbidden, Forbidden)


def test_active_duplicate_mentorship_is_a_conflict(
    session: Session, engine: Engine, trio: tuple[User, User, User]
) -> None:
    admin, mentor, candidate = trio
    assign_mentor(session=session, actor=admin, mentor_id=pk(mentor), candidate_id=pk(candidate))
    session.commit()
    refusal = refused(
        session,
        engine,
        assign_mentor,
        actor=admin,
        mentor_id=pk(mentor),
        candidate_id=pk(candidate),
    )
    assert isinstance(refusal, Conflict)


def test_candidate_may_have_several_mentors(
    session: Session, make_user: MakeUser, trio: tuple[User, User, User]
) -> None:
    admin, mentor, candidate = trio
    second = make_user(role="mentor")
    for each in (mentor, second):
        assign_mentor(session=session, actor=admin, mentor_id=pk(each), candidate_id=pk(candidate))
    session.commit()
    assert candidate.id is not None
    assert can_view(session, mentor, candidate.id) and can_view(session, second, candidate.id)


def test_ending_a_mentorship_removes_access_at_once_and_it_can_be_assigned_again(
    session: Session, engine: Engine, trio: tuple[User, User, User]
) -> None:
    admin, mentor, candidate = trio
    assert candidate.id is not None and mentor.id is not None
    first = assign_mentor(
        session=session, actor=admin, mentor_id=pk(mentor), candidate_id=pk(candidate)
    )
    session.commit()

    end_mentorship(session=session, actor=admin, mentorship_id=pk(first))
    session.commit()
    assert (first.ended_by, first.ended_at is not None) == (admin.id, True)
    assert not can_view(session, mentor, candidate.id)
    assert not can_review(session, mentor, candidate.id)
    with pytest.raises(NotFound):
        visible_candidate(session, mentor, candidate.id)
    again = refused(session, engine, end_mentorship, actor=admin, mentorship_id=pk(first))
    assert isinstance(again, NotFound)

    second = assign_mentor(
        session=session, actor=admin, mentor_id=pk(mentor), candidate_id=pk(candidate)
    )
    session.commit()
    assert second.id != first.id
    assert can_view(session, mentor, candidate.id)
    assert mentorship_actions(session) == [
        "mentorship.started",
        "mentorship.ended",
        "mentorship.started",
    ]


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [("candidate", True), ("other_candidate", False), ("admin", True), ("mentor", False)],
)
def test_who_sees_a_candidate_without_mentors(
    session: Session, make_user: MakeUser, trio: tuple[User, User, User], viewer: str, sees: bool
) -> None:
    admin, mentor, candidate = trio
    people = {
        "candidate": candidate,
        "other_candidate": make_user(),
        "admin": admin,
        "mentor": mentor,
    }
    assert candidate.id is not None
    assert can_view(session, people[viewer], candidate.id) is sees
    assert can_review(session, people[viewer], candidate.id) is (sees and viewer == "admin")
