"""Account changes that overlap: a role change and a mentor assignment, the ends of a
candidate's last two mentorships, a new token and a password change or deactivation.

Each test runs one change in a transaction left open, then the other in a second
session on a thread, and commits the first only once the second had time to reach the
database: without the row lock on the user, PostgreSQL let the second read what the
first had not committed yet and both went through (SQLite's writers always take turns).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import PASSWORD, pk
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import ApiToken, Mentorship, Notification, User
from trainerpath.notification_kinds import CANDIDATE_UNASSIGNED
from trainerpath.services.accounts import change_password, change_role, set_active
from trainerpath.services.errors import Refusal
from trainerpath.services.tokens import issue_token
from trainerpath.services.users import assign_mentor, authenticate, end_mentorship

pytestmark = pytest.mark.without_app  # services need no Flask app

Change = Callable[[Session], Any]
# Long enough for the second change to reach its lock (or, without it, to commit).
HEAD_START = 0.5


def overlapping(engine: Engine, first: Change, second: Change) -> str:
    """Run ``first`` without committing, ``second`` in another session meanwhile, then
    commit both; return how ``second`` ended: "ok" or the refusal's class name."""
    outcome: list[str] = []

    def run_second() -> None:
        with Session(engine, expire_on_commit=False) as other:
            try:
                second(other)
                other.commit()
                outcome.append("ok")
            except Refusal as refusal:
                other.rollback()
                outcome.append(type(refusal).__name__)

    with Session(engine, expire_on_commit=False) as session:
        first(session)
        thread = threading.Thread(target=run_second)
        thread.start()
        time.sleep(HEAD_START)
        session.commit()
    thread.join(timeout=30)
    assert outcome, "the second change never ended"
    return outcome[0]


def active_mentorships(engine: Engine, user: User) -> int:
    with Session(engine) as session:
        stmt = select(func.count()).where(
            (col(Mentorship.mentor_id) == user.id) | (col(Mentorship.candidate_id) == user.id),
            col(Mentorship.ended_at).is_(None),
        )
        return int(session.execute(stmt).scalar_one())


def role_of(engine: Engine, user: User) -> str:
    with Session(engine) as session:
        found = session.get(User, pk(user))
        assert found is not None
        return found.role


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user(role="admin")


def test_a_mentor_made_a_candidate_cannot_be_assigned_meanwhile(
    engine: Engine, make_user: Callable[..., User], admin: User
) -> None:
    mentor, candidate = make_user(role="mentor"), make_user()
    outcome = overlapping(
        engine,
        lambda s: change_role(session=s, actor=admin, user_id=pk(mentor), role="candidate"),
        lambda s: assign_mentor(
            session=s, actor=admin, mentor_id=pk(mentor), candidate_id=pk(candidate)
        ),
    )
    assert outcome == "ValidationFailed"  # "must be the id of a mentor"
    assert (role_of(engine, mentor), active_mentorships(engine, mentor)) == ("candidate", 0)


def test_a_mentor_being_assigned_keeps_their_role(
    engine: Engine, make_user: Callable[..., User], admin: User
) -> None:
    mentor, candidate = make_user(role="mentor"), make_user()
    outcome = overlapping(
        engine,
        lambda s: assign_mentor(
            session=s, actor=admin, mentor_id=pk(mentor), candidate_id=pk(candidate)
        ),
        lambda s: change_role(session=s, actor=admin, user_id=pk(mentor), role="candidate"),
    )
    assert outcome == "Conflict"  # "end their mentor assignments first"
    assert (role_of(engine, mentor), active_mentorships(engine, mentor)) == ("mentor", 1)


def test_ending_a_candidates_last_two_mentorships_at_once_tells_the_admins(
    engine: Engine,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Mentorship],
    admin: User,
) -> None:
    other_admin, candidate = make_user(role="admin"), make_user()
    first = assign(make_user(role="mentor"), candidate)
    second = assign(make_user(role="mentor"), candidate)
    outcome = overlapping(
        engine,
        lambda s: end_mentorship(session=s, actor=admin, mentorship_id=pk(first)),
        lambda s: end_mentorship(session=s, actor=admin, mentorship_id=pk(second)),
    )
    assert outcome == "ok"
    with Session(engine) as session:
        told = session.execute(
            select(Notification.title).where(
                col(Notification.recipient_id) == other_admin.id,
                col(Notification.kind) == CANDIDATE_UNASSIGNED,
            )
        ).scalars()
        assert list(told).count(f"{candidate.name} has no mentor") == 1


def usable_tokens(engine: Engine, user: User) -> int:
    with Session(engine) as session:
        stmt = select(func.count()).where(
            col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None)
        )
        return int(session.execute(stmt).scalar_one())


@pytest.mark.parametrize("change", ["password", "deactivation"])
def test_a_token_issued_during_a_password_change_or_deactivation_does_not_outlive_it(
    engine: Engine, make_user: Callable[..., User], admin: User, change: str
) -> None:
    user = make_user()

    def first(session: Session) -> None:
        if change == "password":
            own = session.get(User, pk(user))
            assert own is not None
            change_password(
                session=session, user=own, current_password=PASSWORD, new_password="n" * 12
            )
        else:
            set_active(session=session, actor=admin, user_id=pk(user), active=False)

    def second(session: Session) -> None:
        # Credentials checked before the change commits (a web worker's own snapshot),
        # the token written after: on SQLite the check itself waits, and refuses.
        found = authenticate(session, user.email, PASSWORD)
        if found is not None:
            issue_token(session=session, user=found)

    overlapping(engine, first, second)
    assert usable_tokens(engine, user) == 0
    if change == "deactivation":
        with Session(engine) as session:
            set_active(session=session, actor=admin, user_id=pk(user), active=True)
            session.commit()
        assert usable_tokens(engine, user) == 0


def test_of_two_password_changes_at_once_the_second_is_refused_not_lost(
    engine: Engine, make_user: Callable[..., User]
) -> None:
    user = make_user()

    said: list[str] = []

    def changing_to(new_password: str) -> Change:
        def change(session: Session) -> None:
            own = session.get(User, pk(user))
            assert own is not None
            try:
                change_password(
                    session=session, user=own, current_password=PASSWORD, new_password=new_password
                )
            except Refusal as refusal:
                said.append(refusal.message)
                raise

        return change

    # Without the check that the password is still the one compared, PostgreSQL let the
    # second overwrite the first: both said "changed", and the first's password was lost.
    second = overlapping(engine, changing_to("first-new-pw"), changing_to("second-new-pw"))
    assert second in ("Conflict", "ValidationFailed")  # SQLite's second reads the new one
    if second == "Conflict":  # said to the user themselves, not about "someone else"
        assert said == [
            "Your password was changed elsewhere at the same moment, so this change was not "
            "made. Sign in with the password set there."
        ]
    with Session(engine) as session:
        assert authenticate(session, user.email, "first-new-pw") is not None
        assert authenticate(session, user.email, "second-new-pw") is None
