"""Scheduled reminders: ``flask send-reminders`` on a given day, end to end.

Each reminder kind is caused for real (evidence, enrollments, the days passing), then
the command runs with ``--today``; the in-app notification is read from the database
and the mail as it arrived at a real SMTP server. Idempotency: the unique key of each
reminder, across runs and across concurrent runs (tests/racing.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import TODAY, People, days_ago, pk
from flask.testing import FlaskCliRunner
from racing import Job, race
from smtp_server import Received
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import EvidenceBase, Notification, OutboxMail, SentReminder, User
from trainerpath.pathways.calendar import window_start
from trainerpath.services import reminders
from trainerpath.services.email_preferences import set_email_preferences
from trainerpath.wording import format_day

BASE = "http://trainerpath.test"
PASSPORT = reminders.PASSPORT


@pytest.fixture
def app_config(mail_app_config: dict[str, Any]) -> dict[str, Any]:
    """Send to the test's SMTP server."""
    return mail_app_config


@pytest.fixture
def run(runner: FlaskCliRunner, session: Session) -> Callable[[date], str]:
    """Run ``send-reminders --today <day>``; return what it printed."""

    def invoke(day: date) -> str:
        session.rollback()  # SQLite: leave the write lock to the command
        result = runner.invoke(args=["send-reminders", "--today", day.isoformat()])
        if result.exception and result.exit_code != 0:
            raise result.exception
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


@dataclass(frozen=True)
class Expected:
    """What a reminder should bring: on which day, to whom, with which words and link."""

    day: date
    recipient: User
    title: str
    link: str
    says: str


Arrange = Callable[..., Expected]


def overdue_review(people: People, make_evidence: Any, _enrol: Any) -> Expected:
    make_evidence(people.candidate, "teaching-sessions", status="pending", title="CSM Leeds")
    return Expected(
        TODAY + timedelta(days=5),
        people.mentor,
        "1 item of evidence waits for your review, 1 of them for more than 3 days",
        "/mentor/reviews",
        "Cara Candidate: Teaching session “CSM Leeds",
    )


def expiring_credential(people: People, make_evidence: Any, enrol: Any) -> Expected:
    enrol(people.candidate, "cst")
    expires = TODAY + timedelta(days=29)
    credential = make_evidence(
        people.candidate, "credentials", kind="csp_sm", issued_on=days_ago(700), expires_on=expires
    )
    return Expected(
        TODAY,
        people.candidate,
        f"Your CSP-SM expires in 29 days, on {expires.day} {expires:%b %Y}",
        f"/evidence/credentials?status=verified#item-credentials-{credential.id}",
        "A requirement relies on it: Certified Scrum Trainer: Active CSP-SM or CSP-PO.",
    )


def unused_passport(people: People, make_evidence: Any, _enrol: Any) -> Expected:
    received = days_ago(10)
    make_evidence(
        people.candidate, "milestones", kind="pspo1_passport_received", achieved_on=received
    )
    deadline = received + timedelta(days=14)
    return Expected(
        TODAY,
        people.candidate,
        f"Take your first PSPO I attempt by {deadline.day} {deadline:%b %Y} to keep the free "
        "retake",
        "/evidence/assessments",
        "10 days ago, and have not logged an attempt since",
    )


def failed_attempt(people: People, make_evidence: Any, _enrol: Any) -> Expected:
    make_evidence(
        people.candidate,
        "assessments",
        status="pending",
        assessment="pspo_1",
        score=80.0,
        taken_on=days_ago(2),
        passport_received_on=days_ago(6),
    )
    return Expected(
        TODAY,
        people.candidate,
        "Your free PSPO I retake is available",
        "/evidence/assessments",
        "scored 80%",
    )


def ageing_events(people: People, make_evidence: Any, enrol: Any) -> Expected:
    enrollment = enrol(people.candidate, "cst", ruleset="cst@2")
    for _ in range(2):
        make_evidence(
            people.candidate,
            "teaching-sessions",
            first_day=days_ago(5 * 365 - 20),  # leaves the 60-month window in about 20 days
            reflection="Shorter timeboxes next time.",
        )
    return Expected(
        TODAY,
        people.candidate,
        "“Qualifying training events” (Certified Scrum Trainer) goes from 2 to 0 qualifying "
        "training events on",
        f"/candidate#enrollment-{enrollment.id}",
        "It needs 10",
    )


def quiet_candidate(people: People, make_evidence: Any, enrol: Any) -> Expected:
    enrol(people.candidate, "pst")
    make_evidence(people.candidate, "experience")
    return Expected(
        TODAY + timedelta(days=61),
        people.candidate,
        "You have logged no evidence for 61 days",
        "/evidence",
        f"Nothing new since {TODAY.day} {TODAY:%b %Y}",
    )


def test_experience_ageing_out_is_told_as_the_day_it_falls_short(
    session: Session,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
) -> None:
    """A duration loses days every day: "goes from 60.3 to 59.9" read as a one-day drop."""
    make_enrollment(people.candidate, "cst", ruleset="cst@2")
    start = window_start(TODAY, 84)
    # Exactly 60 months (1827 days) inside the 84-month window today, one day less tomorrow.
    make_evidence(
        people.candidate, "experience", role="scrum_master",
        started_on=start - timedelta(days=30), ended_on=start + timedelta(days=1827),
    )  # fmt: skip
    (told,) = [r for r in reminders.window_ageing(session, TODAY) if "experience" in r.title]
    assert told.title == (
        "“Scrum experience in the last 84 months” (Certified Scrum Trainer) falls below 60 "
        f"months on {format_day(TODAY + timedelta(days=1))} as older experience leaves its "
        "84-month window"
    )


# Logged at 11:30 UTC on 1 Jan 2026: 1 Jan in Pago Pago, 2 Jan in Kiritimati.
NEW_YEAR_ENROLLED = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
NEW_YEAR_LOGGED = datetime(2026, 1, 1, 11, 30, tzinfo=UTC)


@pytest.fixture
def quiet_since(
    session: Session,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
) -> Callable[[str, datetime, datetime], None]:
    """Arrange a candidate in ``zone``, preparing for PST since ``enrolled``, whose last
    evidence was logged at ``logged``."""

    def arrange(zone: str, enrolled: datetime, logged: datetime) -> None:
        people.candidate.time_zone = zone
        make_enrollment(people.candidate, "pst", created_at=enrolled)
        item = make_evidence(people.candidate, "experience")
        item.created_at = logged
        session.merge(item)
        session.commit()

    return arrange


def test_a_quiet_candidate_is_told_the_day_in_their_own_time_zone(
    session: Session, quiet_since: Callable[[str, datetime, datetime], None]
) -> None:
    """Logged at 08:00 on 2 June in Auckland, 20:00 on 1 June in UTC: their pages say
    2 June, and so does the reminder, counting the days from it."""
    enrolled, logged = (
        datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 6, 1, 20, 0, tzinfo=UTC),
    )
    quiet_since("Pacific/Auckland", enrolled, logged)
    (told,) = reminders.inactive_candidates(session, date(2026, 8, 1))
    assert told.title == "You have logged no evidence for 60 days"
    assert told.mail is not None and told.mail.lines[0].startswith("Nothing new since 2 Jun 2026.")


def test_a_change_of_time_zone_is_not_a_new_quiet_spell_to_remind_of(
    session: Session, people: People, quiet_since: Callable[[str, datetime, datetime], None]
) -> None:
    """Logged at 11:30 UTC on 1 Jan: 1 Jan in Pago Pago, 2 Jan in Kiritimati."""
    quiet_since("Pacific/Pago_Pago", NEW_YEAR_ENROLLED, NEW_YEAR_LOGGED)
    day = date(2026, 3, 4)
    (told,) = reminders.inactive_candidates(session, day)
    assert reminders.send_reminder(session, told, day)
    people.candidate.time_zone = "Pacific/Kiritimati"
    session.merge(people.candidate)
    session.commit()

    (again,) = reminders.inactive_candidates(session, day)
    assert again.mail is not None and "since 2 Jan 2026" in again.mail.lines[0]
    # The same spell: its key was taken, so the same day's second run sends nothing.
    assert not reminders.send_reminder(session, again, day)


def test_a_spell_reminded_of_under_the_keys_of_before_is_not_reminded_of_again(
    session: Session, people: People, quiet_since: Callable[[str, datetime, datetime], None]
) -> None:
    """Before 5 Dec 2026 the key named the spell's first day in the candidate's zone."""
    quiet_since("Pacific/Kiritimati", NEW_YEAR_ENROLLED, NEW_YEAR_LOGGED)  # 2 Jan there
    day = date(2026, 3, 4)
    session.add(
        SentReminder(
            user_id=pk(people.candidate),
            kind=reminders.INACTIVE,
            subject=f"users/{pk(people.candidate)}",
            step="2026-01-02/1",
            sent_on=day - timedelta(days=1),
        )
    )
    session.commit()
    (told,) = reminders.inactive_candidates(session, day)
    assert told.step == "2026-01-02/1"
    assert not reminders.send_reminder(session, told, day)


CAUSES: dict[str, Arrange] = {
    reminders.REVIEW_DIGEST: overdue_review,
    reminders.CREDENTIAL_EXPIRY: expiring_credential,
    reminders.PSPO_ATTEMPT: unused_passport,
    reminders.PSPO_RETAKE: failed_attempt,
    reminders.WINDOW_AGEING: ageing_events,
    reminders.INACTIVE: quiet_candidate,
}


def notifications(engine: Engine, kind: str) -> list[Notification]:
    with Session(engine) as session:
        stmt = select(Notification).where(col(Notification.kind) == kind)
        return list(session.scalars(stmt.order_by(col(Notification.id))))


def outbox_size(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(OutboxMail)).scalar_one())


@pytest.mark.parametrize("kind", list(CAUSES))
def test_each_reminder_is_a_notification_and_a_mail_with_its_link(
    kind: str,
    engine: Engine,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
    run: Callable[[date], str],
    mailed: Callable[[int], list[Received]],
) -> None:
    people.mentor  # noqa: B018 -- the candidate has a mentor in every case
    expected = CAUSES[kind](people, make_evidence, make_enrollment)

    printed = run(expected.day)

    assert f"{kind}: 1" in printed
    (told,) = notifications(engine, kind)
    assert told.recipient_id == expected.recipient.id
    assert told.title.startswith(expected.title) and told.link == expected.link
    (mail,) = [m for m in mailed(1) if expected.title in m.subject]
    assert mail.recipients == [expected.recipient.email]
    assert mail.link_to(BASE + expected.link) == BASE + expected.link
    assert expected.says in mail.text


def test_running_twice_a_day_sends_nothing_new_and_each_expiry_threshold_goes_once(
    engine: Engine,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
    run: Callable[[date], str],
    mailed: Callable[[int], list[Received]],
) -> None:
    make_enrollment(people.candidate, "cst")
    make_evidence(
        people.candidate,
        "credentials",
        kind="csp_po",
        issued_on=days_ago(10),
        expires_on=TODAY + timedelta(days=95),
    )
    expiry = reminders.CREDENTIAL_EXPIRY

    assert f"{expiry}:" not in run(TODAY)  # 95 days: nothing yet
    assert f"{expiry}: 1" in run(TODAY + timedelta(days=10))  # 85 days: the 90-day one
    again = run(TODAY + timedelta(days=10))
    assert "Sent 0 reminders" in again
    assert f"{expiry}: 1" in run(TODAY + timedelta(days=70))  # 25: the 30-day one, not 90
    assert f"{expiry}:" not in run(TODAY + timedelta(days=71))
    assert f"{expiry}: 1" in run(TODAY + timedelta(days=90))  # 5: the 7-day one

    told = [n.title for n in notifications(engine, expiry)]
    assert [title.split(",")[0] for title in told] == [
        "Your CSP-PO expires in 85 days",
        "Your CSP-PO expires in 25 days",
        "Your CSP-PO expires in 5 days",
    ]
    arrived = [m.subject for m in mailed(outbox_size(engine)) if "CSP-PO" in m.subject]
    assert len(arrived) == 3


def test_one_failing_reminder_does_not_hold_back_the_others(
    engine: Engine,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
    runner: FlaskCliRunner,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each reminder is sent in its own transaction: one that fails is rolled back and
    logged, the others go, and the command says so (exit status 1, for cron's mail)."""
    overdue = overdue_review(people, make_evidence, make_enrollment)  # the mentor's digest
    make_enrollment(people.candidate, "cst")
    make_evidence(
        people.candidate,
        "credentials",
        kind="csp_sm",
        issued_on=days_ago(700),
        expires_on=overdue.day + timedelta(days=29),
    )
    send = reminders.send_reminder

    def failing_digest(session: Session, reminder: Any, day: date) -> bool:
        if reminder.kind == reminders.REVIEW_DIGEST:
            raise RuntimeError("the digest broke")
        return send(session, reminder, day)

    monkeypatch.setattr(reminders, "send_reminder", failing_digest)
    session.rollback()
    result = runner.invoke(args=["send-reminders", "--today", overdue.day.isoformat()])
    assert result.exit_code == 1
    assert f"{reminders.CREDENTIAL_EXPIRY}: 1" in result.output
    assert "1 failed" in result.output
    assert len(notifications(engine, reminders.CREDENTIAL_EXPIRY)) == 1
    assert notifications(engine, reminders.REVIEW_DIGEST) == []


def test_a_mentor_who_chose_the_digest_gets_new_items_in_it_and_no_mail_each_time(
    session: Session,
    engine: Engine,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    run: Callable[[date], str],
    mailed: Callable[[int], list[Received]],
) -> None:
    mentor = session.get(User, pk(people.mentor))
    assert mentor is not None
    set_email_preferences(session=session, user=mentor, choices={"evidence.waiting": "digest"})
    session.commit()
    make_evidence(people.candidate, "milestones", status="pending", kind="ttt_attended")

    assert mailed(0) == []
    run(TODAY + timedelta(days=1))

    (digest,) = mailed(1)
    assert digest.recipients == [people.mentor.email]
    assert "1 item of evidence waits for your review" in digest.subject
    assert "more than 3 days" not in digest.subject
    assert "Cara Candidate: Milestone “Train the Trainer attended" in digest.text
    assert "<td>Cara Candidate</td>" in digest.html


def test_no_reminder_for_a_rejected_passport_or_an_attempt_already_taken(
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    run: Callable[[date], str],
) -> None:
    make_evidence(
        people.candidate, "milestones", kind="pspo1_passport_received", achieved_on=days_ago(13)
    )
    make_evidence(people.candidate, "assessments", score=90.0, taken_on=days_ago(3))
    other = people.other_candidate
    make_evidence(
        other,
        "milestones",
        status="rejected",
        kind="pspo1_passport_received",
        achieved_on=days_ago(13),
    )
    make_evidence(
        other, "assessments", score=70.0, taken_on=days_ago(3), passport_received_on=days_ago(20)
    )  # outside the passport's 14 days: no free retake

    assert "Sent 0 reminders" in run(TODAY)


def test_a_renewed_credential_stops_the_old_ones_expiry_reminders(
    engine: Engine,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
    run: Callable[[date], str],
) -> None:
    """The requirement relies on the credential that lasts longest: once the renewal is
    verified, the expiring one is relied on no more (while it is pending, it still is)."""
    make_enrollment(people.candidate, "cst")
    make_evidence(
        people.candidate,
        "credentials",
        kind="csp_sm",
        issued_on=days_ago(700),
        expires_on=TODAY + timedelta(days=40),
    )
    renewal = {"kind": "csp_sm", "issued_on": days_ago(1)}
    make_evidence(people.candidate, "credentials", status="pending", **renewal)
    expiry = reminders.CREDENTIAL_EXPIRY
    assert f"{expiry}: 1" in run(TODAY)  # the 90-day one: the renewal is not verified yet
    make_evidence(people.candidate, "credentials", **renewal)
    assert f"{expiry}:" not in run(TODAY + timedelta(days=12))  # 28 days: no 30-day one
    assert f"{expiry}:" not in run(TODAY + timedelta(days=35))  # 5 days: no 7-day one
    assert len(notifications(engine, expiry)) == 1


def test_a_failed_free_retake_earns_no_other(
    engine: Engine,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    run: Callable[[date], str],
) -> None:
    """pathways.md: a first attempt below 85% within 14 days of the passport gets a
    second attempt at no cost; one, not a series."""
    passport = days_ago(8)
    first = {"assessment": "pspo_1", "passport_received_on": passport, "status": "pending"}
    make_evidence(people.candidate, "assessments", score=70.0, taken_on=days_ago(6), **first)
    assert f"{reminders.PSPO_RETAKE}: 1" in run(days_ago(5))
    make_evidence(people.candidate, "assessments", score=75.0, taken_on=days_ago(2), **first)
    assert f"{reminders.PSPO_RETAKE}:" not in run(TODAY)
    assert len(notifications(engine, reminders.PSPO_RETAKE)) == 1


# -- Two runs at once ---------------------------------------------------------------------


def send_all(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """A run of send-reminders: read what is due, then send each (one transaction)."""
    day = date.fromordinal(ids["day"])
    due = reminders.due_reminders(session, day)
    ready()
    for reminder in due:
        reminders.send_reminder(session, reminder, day)


@pytest.mark.slow
def test_concurrent_runs_send_each_reminder_once(
    database_url: str,
    engine: Engine,
    people: People,
    make_evidence: Callable[..., EvidenceBase],
    make_enrollment: Callable[..., Any],
) -> None:
    people.mentor  # noqa: B018
    for arrange in (overdue_review, expiring_credential, failed_attempt):
        arrange(people, make_evidence, make_enrollment)
    day = TODAY + timedelta(days=5)  # 5 days waiting, 24 to expiry, 7 since the failure
    (outcomes,) = race(database_url, [Job(__name__, ("send_all",), {"day": day.toordinal()})])

    assert [o.name for o in outcomes] == ["ok"] * len(outcomes), [o.message for o in outcomes]
    with Session(engine) as session:
        keys = session.execute(select(func.count()).select_from(SentReminder)).scalar_one()
        told = session.execute(select(func.count()).select_from(Notification)).scalar_one()
        queued = session.execute(select(func.count()).select_from(OutboxMail)).scalar_one()
    assert (keys, told, queued) == (3, 3, 3)  # the digest, the expiry, the retake: once each
