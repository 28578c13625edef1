"""Ten processes fire the same event on the same enrollment at once: exactly one wins.

Switching an enrollment's ruleset writes the same way, and races the same way; so do
ending a mentorship, changing a role, deactivating a user and revoking a token (at the
end, run by tests/racing.py).

Each process is a separate interpreter (the "spawn" start method) with its own app,
engine and session, as ten web workers would be. Every process reads the enrollment
first and then waits at a barrier, so all ten hold the same version and race on the
write; the version column must turn every loser into a typed 409 refusal.

Starting ten interpreters is the slow part, so one set of processes runs every race
in RACES, one after the other, each race starting at its own barrier.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import pk
from racing import Job as RaceJob
from racing import one_winner
from racing import race as race_all
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import create_app
from trainerpath.db import get_engine
from trainerpath.models import (
    ApiToken,
    AuditEntry,
    Enrollment,
    Mentorship,
    TransitionRecord,
    User,
)
from trainerpath.services.accounts import change_role, set_active
from trainerpath.services.pathways import fire_event, switch_ruleset
from trainerpath.services.tokens import as_utc, issue_token, revoke_token
from trainerpath.services.users import end_mentorship

pytestmark = pytest.mark.slow

PROCESSES = 10
# Refusals that mean "someone else got there first": 409 in the API.
LOST_THE_RACE = {"Conflict", "InvalidState"}
# Generous, so a slow machine fails with a message instead of hanging the run.
WAIT_SECONDS = 90


@dataclass(frozen=True)
class Race:
    """One event fired by every process on one ``cst@1`` enrollment (pathways.md §4).

    ``switch_ruleset`` is not fired but asked of services.pathways.switch_ruleset, to
    ``switch_to``.
    """

    actor_role: str
    state: str
    event: str
    target: str
    guarded: bool
    switch_to: str | None = None

    @property
    def ruleset_after(self) -> str:
        """The ruleset the enrollment follows once one process has won."""
        return self.switch_to or "cst@1"


RACES = [
    Race("admin", "tac_review", "tac_approve", "interview", guarded=False),
    Race("candidate", "preparing", "submit_application", "tac_review", guarded=True),
    Race("candidate", "preparing", "switch_ruleset", "preparing", False, switch_to="cst@2"),
]


@dataclass(frozen=True)
class Job:
    """What a process does in one race: ``event`` (or the switch) on the enrollment."""

    enrollment_id: int
    actor_id: int
    event: str
    switch_to: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How one process's attempt ended: "ok", or the class of the exception raised."""

    name: str
    message: str


def fire_in_own_process(database_url: str, jobs: list[Job], barrier: Any, results: Any) -> None:
    """Run each race: load the enrollment, wait for the others, fire, commit; report outcomes."""
    outcomes: list[Outcome] = []
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "race", "DATABASE_URL": database_url})
        with app.app_context():
            for job in jobs:
                outcomes.append(fire_at_the_barrier(job, barrier))
    except BaseException as error:  # a crash outside the races is reported too
        outcomes.append(Outcome(type(error).__name__, "".join(traceback.format_exception(error))))
    results.put(outcomes)


def fire_at_the_barrier(job: Job, barrier: Any) -> Outcome:
    """Read the enrollment, wait until every process has, then fire the event and commit."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            enrollment = session.get(Enrollment, job.enrollment_id)
            actor = session.get(User, job.actor_id)
            assert enrollment is not None and actor is not None
            if session.get_bind().dialect.name == "sqlite":
                # The engine begins SQLite transactions with BEGIN IMMEDIATE, so this read
                # holds the write lock: keeping it across the barrier would deadlock. Ending
                # the transaction keeps the loaded (soon stale) enrollment: the worst case.
                session.commit()
            barrier.wait(timeout=WAIT_SECONDS)
            if job.switch_to is not None:
                switch_ruleset(
                    session=session, actor=actor, enrollment=enrollment, ruleset=job.switch_to
                )
            else:
                fire_event(session=session, enrollment=enrollment, event=job.event, actor=actor)
            session.commit()
        except Exception as error:  # every outcome goes back to the parent, crashes included
            session.rollback()
            return Outcome(type(error).__name__, "".join(traceback.format_exception(error)))
    return Outcome("ok", "")


def race(database_url: str, jobs: list[Job]) -> list[list[Outcome]]:
    """Run every job from PROCESSES processes at once; return each job's outcomes."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=fire_in_own_process, args=(database_url, jobs, barrier, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        reports: list[list[Outcome]] = [results.get(timeout=WAIT_SECONDS) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=WAIT_SECONDS)
            if process.is_alive():
                process.kill()
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    crashed = [report[-1].message for report in reports if len(report) != len(jobs)]
    assert not crashed, "\n".join(crashed)
    return [[report[i] for report in reports] for i in range(len(jobs))]


def give_all_cst_evidence(make_evidence: Callable[..., Any], candidate: User) -> None:
    """Store verified evidence that meets every guard of CST submit_application."""
    make_evidence(candidate, "credentials", kind="csp_sm")
    for _ in range(10):
        make_evidence(
            candidate, "teaching-sessions", course_type="scrum_master", days=2, students=10
        )
    make_evidence(candidate, "milestones", kind="course_materials_reviewed")
    make_evidence(candidate, "experience", role="scrum_master")


def test_ten_processes_firing_the_same_event_change_the_enrollment_once(
    database_url: str,
    engine: Engine,
    make_user: Callable[..., User],
    make_evidence: Callable[..., Any],
    make_enrollment: Callable[..., Enrollment],
) -> None:
    jobs, enrollments = [], []
    for plan in RACES:
        candidate = make_user()
        actor = candidate if plan.actor_role == "candidate" else make_user(role=plan.actor_role)
        if plan.guarded:
            give_all_cst_evidence(make_evidence, candidate)
        enrollment = make_enrollment(candidate, "cst", ruleset="cst@1", state=plan.state)
        assert enrollment.id is not None and actor.id is not None
        jobs.append(Job(enrollment.id, actor.id, plan.event, plan.switch_to))
        enrollments.append(enrollment)

    outcomes_per_race = race(database_url, jobs)

    for plan, job, enrollment, outcomes in zip(
        RACES, jobs, enrollments, outcomes_per_race, strict=True
    ):
        names = sorted(outcome.name for outcome in outcomes)
        unexpected = [o.message for o in outcomes if o.name not in LOST_THE_RACE | {"ok"}]
        assert not unexpected, f"{plan.event}:\n" + "\n".join(unexpected)
        assert names.count("ok") == 1, f"{plan.event}: {names}"
        with Session(engine) as session:
            stored = session.get(Enrollment, job.enrollment_id)
            assert stored is not None
            assert (stored.state, stored.version, stored.ruleset) == (
                plan.target,
                enrollment.version + 1,
                plan.ruleset_after,
            )
            history = session.execute(
                select(TransitionRecord).where(col(TransitionRecord.enrollment_id) == stored.id)
            ).scalars()
            assert [(h.event, h.from_state, h.to_state, h.actor_id) for h in history] == [
                (plan.event, plan.state, plan.target, job.actor_id)
            ]
            audited = session.execute(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    col(AuditEntry.action) == "enrollment.transition",
                    col(AuditEntry.subject) == f"enrollments/{stored.id}",
                )
            ).scalar_one()
            assert audited == 1, plan.event


# Accounts: ending a mentorship, changing a role, deactivating a user and revoking a
# token read the row and then write it, as reviews do; tests/racing.py runs them.

REVOKED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def end(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """The admin ends the mentorship."""
    admin, mentorship = session.get(User, ids["admin"]), session.get(Mentorship, ids["subject"])
    assert admin is not None and mentorship is not None
    ready()
    end_mentorship(session=session, actor=admin, mentorship_id=ids["subject"])


def promote(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """The admin makes the candidate a mentor (even processes) or an admin (odd ones)."""
    admin, user = session.get(User, ids["admin"]), session.get(User, ids["subject"])
    assert admin is not None and user is not None
    ready()
    change_role(session=session, actor=admin, user_id=ids["subject"], role=ROLE_OF[index % 2])


def deactivate(
    session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]
) -> None:
    """The admin deactivates the user."""
    admin, user = session.get(User, ids["admin"]), session.get(User, ids["subject"])
    assert admin is not None and user is not None
    ready()
    set_active(session=session, actor=admin, user_id=ids["subject"], active=False)


def revoke(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """The token's owner revokes it, each process at its own moment."""
    token = session.get(ApiToken, ids["subject"])
    assert token is not None
    ready()
    revoke_token(session=session, token=token, now=REVOKED_AT + timedelta(minutes=index))


ROLE_OF = ("mentor", "admin")


def audit_rows(session: Session, action: str, subject: str) -> list[str | None]:
    """The details of the audit rows of ``action`` on ``subject``."""
    return list(
        session.execute(
            select(AuditEntry.detail).where(
                col(AuditEntry.action) == action, col(AuditEntry.subject) == subject
            )
        ).scalars()
    )


def test_one_of_several_processes_ending_promoting_deactivating_or_revoking_wins(
    database_url: str,
    engine: Engine,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Mentorship],
    session: Session,
) -> None:
    admin = make_user(role="admin")
    mentorship = assign(make_user(role="mentor"), make_user())
    promoted, deactivated, owner = make_user(), make_user(), make_user()
    token = issue_token(session=session, user=owner).record
    session.commit()
    versions = deactivated.session_version
    subjects = [pk(mentorship), pk(promoted), pk(deactivated), pk(token)]
    mentorship_id, promoted_id, deactivated_id, token_id = subjects
    jobs = [
        RaceJob(__name__, (op,), {"admin": pk(admin), "subject": subject})
        for op, subject in zip(("end", "promote", "deactivate", "revoke"), subjects, strict=True)
    ]
    session.commit()  # reading the ids began a transaction: on SQLite it holds the write lock

    ended, roles, deactivations, revocations = race_all(database_url, jobs)

    failures = []
    with Session(engine) as fresh:
        try:
            one_winner(ended, "end vs end")
            assert audit_rows(fresh, "mentorship.ended", f"mentorships/{mentorship_id}") == [None]
        except AssertionError as failure:
            failures.append(str(failure))
        try:
            role = ROLE_OF[one_winner(roles, "role vs role") % 2]
            assert fresh.get(User, promoted_id).role == role  # type: ignore[union-attr]
            assert audit_rows(fresh, "user.role_changed", f"users/{promoted_id}") == [
                f"candidate → {role}"
            ]
        except AssertionError as failure:
            failures.append(str(failure))
        try:
            one_winner(deactivations, "deactivate vs deactivate")
            user = fresh.get(User, deactivated_id)
            assert user is not None
            assert (user.is_active, user.session_version) == (False, versions + 1)
            assert len(audit_rows(fresh, "user.deactivated", f"users/{deactivated_id}")) == 1
        except AssertionError as failure:
            failures.append(str(failure))
        try:
            winner = one_winner(revocations, "revoke vs revoke")
            stored = fresh.get(ApiToken, token_id)
            assert stored is not None and stored.revoked_at is not None
            assert as_utc(stored.revoked_at) == REVOKED_AT + timedelta(minutes=winner)
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n".join(failures)
