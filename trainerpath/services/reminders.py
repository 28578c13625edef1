"""Scheduled reminders: what ``flask send-reminders`` tells whom on a given day.

``due_reminders`` reads what is due (it writes nothing); ``send_reminder`` sends one in
the caller's transaction: it inserts the reminder's unique key into ``sent_reminders``
and, only if the key was new, writes the in-app notification and its mail (``notify``).
A second run on the same day, or a concurrent one, finds the keys taken and sends
nothing. The keys (recipient, kind, subject, step) are chosen so that each reminder
goes once:

- ``reminder.review_digest``: a mentor's daily digest of the evidence waiting for their
  review, when an item has waited more than 3 days (step: the day). It lists everything
  waiting, those over 3 days flagged; a mentor who chose a daily digest for
  ``evidence.waiting`` gets it whenever anything waits.
- ``reminder.credential_expiry``: a verified, active credential that a requirement of an
  active enrollment relies on expires in 90, 30 or 7 days (step: the threshold just
  crossed; a day the job did not run does not send an older threshold late).
- ``reminder.pspo_attempt``: a PSPO I passport (a milestone) received 10 and 13 days ago
  with no attempt since (steps 10 and 13; none after the 14 days).
- ``reminder.pspo_retake``: a PSPO I attempt below 85% within 14 days of its passport,
  taken in the last 14 days and not yet followed by another attempt: the retake is free.
- ``reminder.window_ageing``: a windowed requirement of a preparing enrollment loses
  evidence within 60 days (step: the day it leaves, from the standing's ageing).
- ``reminder.inactive``: a preparing candidate has logged no evidence for 60 days (and
  again every 60 days; step: the last day logged and the count of 60-day spells).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import DateTime, and_, func, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from trainerpath.dashboards.common import aware
from trainerpath.dashboards.mentor import waiting_for_review
from trainerpath.models import (
    EVIDENCE_MODELS,
    AssessmentAttempt,
    Credential,
    EmailDelivery,
    Enrollment,
    Mentorship,
    Milestone,
    ReviewStatus,
    Role,
    SentReminder,
    User,
    utcnow,
)
from trainerpath.notification_kinds import EVIDENCE_WAITING
from trainerpath.pathways import Requirement, Ruleset, ruleset_for
from trainerpath.pathways.measure import Population, conditions
from trainerpath.wording import format_number, format_score, unit_for

from . import standings
from .email_preferences import deliveries
from .evidence_kinds import CREDENTIAL_LABELS
from .notifications import MailWording, evidence_link, notify
from .time_zones import local_day

REVIEW_DIGEST = "reminder.review_digest"
CREDENTIAL_EXPIRY = "reminder.credential_expiry"
PSPO_ATTEMPT = "reminder.pspo_attempt"
PSPO_RETAKE = "reminder.pspo_retake"
WINDOW_AGEING = "reminder.window_ageing"
INACTIVE = "reminder.inactive"

WAITING_DAYS = 3  # a mentor is reminded of items waiting longer than this
DIGEST_LIST_LIMIT = 50  # items listed in one digest; the rest are counted
EXPIRY_THRESHOLDS = (90, 30, 7)  # days before a credential expires
PASSPORT = "pspo1_passport_received"  # the milestone kind of a received PSPO I passport
PASSPORT_DAYS = 14  # the first attempt within this keeps the free second one
PASSPORT_REMINDER_DAYS = (10, 13)
FREE_RETAKE_BELOW = 85  # the PSPO I pass mark (pathways.md §1)
AGEING_AHEAD_DAYS = 60
INACTIVE_DAYS = 60
MEASURE_BATCH = 500  # enrollments measured together for the ageing reminders


@dataclass(frozen=True)
class Reminder:
    """One reminder due to one user: its unique key and what it says."""

    kind: str
    user_id: int
    subject: str  # what it is about, as in notifications: "credentials/12"
    step: str  # which reminder about it: "30" (days), "2027-03-01" (a day)
    title: str
    link: str
    candidate_id: int | None = None
    mail: MailWording = field(default_factory=MailWording)


# -- Sending ---------------------------------------------------------------------------


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(SentReminder)


def send_reminder(session: Session, reminder: Reminder, today: date) -> bool:
    """Send ``reminder`` in the caller's transaction unless its key was sent already.

    On PostgreSQL a concurrent run that inserted the same key first makes this wait for
    its commit and then do nothing; on SQLite writers take turns anyway.
    """
    stmt = (
        _insert(session)
        .values(
            user_id=reminder.user_id,
            kind=reminder.kind,
            subject=reminder.subject,
            step=reminder.step,
            sent_on=today,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "subject", "step"])
        .returning(col(SentReminder.id))
    )
    if session.execute(stmt).scalar_one_or_none() is None:
        return False
    notify(
        session=session,
        kind=reminder.kind,
        recipients=[reminder.user_id],
        actor=None,
        candidate_id=reminder.candidate_id,
        subject=reminder.subject,
        title=reminder.title,
        link=reminder.link,
        mail=reminder.mail,
    )
    return True


# -- What is due -----------------------------------------------------------------------


def due_reminders(session: Session, today: date) -> list[Reminder]:
    """Every reminder due on ``today`` (sent ones included: ``send_reminder`` skips them)."""
    return [
        *review_digests(session, today),
        *credential_expiries(session, today),
        *passport_attempts(session, today),
        *free_retakes(session, today),
        *window_ageing(session, today),
        *inactive_candidates(session, today),
    ]


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def review_digests(session: Session, today: date) -> list[Reminder]:
    """Each mentor's digest of the evidence waiting for them, when it is due."""
    mentors = list(
        session.scalars(
            select(User)
            .where(
                col(User.role) == Role.MENTOR.value,
                col(User.is_active),
                col(User.id).in_(
                    select(col(Mentorship.mentor_id)).where(col(Mentorship.ended_at).is_(None))
                ),
            )
            .order_by(col(User.id))
        )
    )
    chosen = deliveries(session, [m.id for m in mentors if m.id], EVIDENCE_WAITING)
    wants_digest = {user.id for user, delivery in chosen if delivery == EmailDelivery.DIGEST}
    found: list[Reminder] = []
    for mentor in mentors:
        waiting = waiting_for_review(session, mentor, today)
        overdue = [item for item in waiting if item.days_waiting > WAITING_DAYS]
        if not overdue and not (waiting and mentor.id in wants_digest):
            continue
        assert mentor.id is not None
        verb = "waits" if len(waiting) == 1 else "wait"
        title = f"{_plural(len(waiting), 'item')} of evidence {verb} for your review"
        if overdue:
            title += f", {len(overdue)} of them for more than {WAITING_DAYS} days"
        items = [
            {
                "candidate": item.candidate.name,
                "kind": item.row.kind.label,
                "title": item.row.summary,
                "days": item.days_waiting,
                "overdue": item.days_waiting > WAITING_DAYS,
            }
            for item in waiting[:DIGEST_LIST_LIMIT]
        ]
        found.append(
            Reminder(
                REVIEW_DIGEST,
                mentor.id,
                "reviews",
                today.isoformat(),
                title,
                "/mentor/reviews",
                mail=MailWording(
                    subject=f"Your review digest: {title}",
                    template="review_digest",
                    action="Open your review queue",
                    context={
                        "items": items,
                        "more": len(waiting) - len(items),
                        "waiting_days": WAITING_DAYS,
                    },
                ),
            )
        )
    return found


def _active_enrollments(session: Session) -> list[Enrollment]:
    """Enrollments still under way (not withdrawn, not finished) of active candidates."""
    stmt = (
        select(Enrollment)
        .join(User, col(User.id) == col(Enrollment.candidate_id))
        .where(col(User.is_active))
        .order_by(col(Enrollment.id))
    )
    found: list[Enrollment] = []
    for enrollment in session.scalars(stmt):
        ruleset = ruleset_for(enrollment.ruleset)
        if not ruleset.is_withdrawn(enrollment.state) and not ruleset.state(enrollment.state).final:
            found.append(enrollment)
    return found


def _preparing(enrollments: Iterable[Enrollment]) -> list[Enrollment]:
    return [e for e in enrollments if e.state == ruleset_for(e.ruleset).initial_state]


def _credential_needs(ruleset: Ruleset) -> list[tuple[str, Any]]:
    """The ruleset's requirements that a credential meets, with their declarations."""
    return [
        (key, need)
        for key, need in ruleset.requirements.items()
        if getattr(need, "model", None) is Credential
    ]


def _lasts(credential: Credential) -> date:
    """Until when a credential is valid (one without an end, for ever)."""
    return credential.valid_until or date.max


def credential_expiries(session: Session, today: date) -> list[Reminder]:
    """A reminder for each credential a requirement relies on, at each threshold crossed."""
    groups: dict[tuple[str, str | None], list[Enrollment]] = {}
    for enrollment in _active_enrollments(session):
        groups.setdefault((enrollment.ruleset, enrollment.track), []).append(enrollment)
    relied: dict[int, tuple[Credential, str]] = {}  # credential id → it, and who relies on it
    horizon = today + timedelta(days=max(EXPIRY_THRESHOLDS))
    for (ruleset_id, track), enrollments in groups.items():
        ruleset = ruleset_for(ruleset_id)
        people = Population(
            session, tuple(sorted({e.candidate_id for e in enrollments})), today, track
        )
        for _key, need in _credential_needs(ruleset):
            stmt = select(Credential).where(
                col(Credential.candidate_id).in_(people.candidate_ids),
                col(Credential.review_status) == ReviewStatus.VERIFIED.value,
                *conditions(people, need.where),
            )
            # Each candidate's requirement relies on the credential that lasts longest:
            # once a renewal is verified, the one about to expire is relied on no more.
            longest: dict[int, Credential] = {}
            for credential in session.scalars(stmt):
                kept = longest.get(credential.candidate_id)
                if kept is None or _lasts(credential) > _lasts(kept):
                    longest[credential.candidate_id] = credential
            for credential in longest.values():
                assert credential.id is not None
                if credential.valid_until is not None and credential.valid_until <= horizon:
                    relied.setdefault(credential.id, (credential, f"{ruleset.title}: {need.label}"))
    found: list[Reminder] = []
    for credential, requirement in relied.values():
        assert credential.valid_until is not None and credential.id is not None
        days = (credential.valid_until - today).days
        threshold = min((t for t in EXPIRY_THRESHOLDS if days <= t), default=None)
        if days <= 0 or threshold is None:
            continue
        name = CREDENTIAL_LABELS.get(credential.kind, credential.kind)
        title = f"Your {name} expires in {_plural(days, 'day')}, on {_day(credential.valid_until)}"
        found.append(
            Reminder(
                CREDENTIAL_EXPIRY,
                credential.candidate_id,
                f"credentials/{credential.id}",
                str(threshold),
                title,
                evidence_link("credentials", credential),
                candidate_id=credential.candidate_id,
                mail=MailWording(
                    lines=[
                        f"A requirement relies on it: {requirement}.",
                        "Renew it, then log the renewed credential for your mentor to verify.",
                    ],
                    action="See your credentials",
                ),
            )
        )
    return found


def _attempted(since: Any) -> Any:
    """A PSPO I attempt of the same candidate on or after ``since`` (not rejected)."""
    return (
        select(col(AssessmentAttempt.id))
        .where(
            col(AssessmentAttempt.candidate_id) == col(Milestone.candidate_id),
            col(AssessmentAttempt.assessment) == "pspo_1",
            col(AssessmentAttempt.review_status) != ReviewStatus.REJECTED.value,
            col(AssessmentAttempt.taken_on) >= since,
        )
        .exists()
    )


def _active_candidates() -> Any:
    return select(col(User.id)).where(col(User.is_active))


def passport_attempts(session: Session, today: date) -> list[Reminder]:
    """A reminder 10 and 13 days after a PSPO I passport that has seen no attempt yet."""
    first, last = min(PASSPORT_REMINDER_DAYS), PASSPORT_DAYS
    stmt = select(Milestone).where(
        col(Milestone.kind) == PASSPORT,
        col(Milestone.review_status) != ReviewStatus.REJECTED.value,
        col(Milestone.achieved_on) <= today - timedelta(days=first),
        col(Milestone.achieved_on) >= today - timedelta(days=last),
        col(Milestone.candidate_id).in_(_active_candidates()),
        ~_attempted(col(Milestone.achieved_on)),
    )
    found: list[Reminder] = []
    for passport in session.scalars(stmt.order_by(col(Milestone.id))):
        assert passport.id is not None
        days = (today - passport.achieved_on).days
        step = max(d for d in PASSPORT_REMINDER_DAYS if d <= days)
        deadline = passport.achieved_on + timedelta(days=PASSPORT_DAYS)
        found.append(
            Reminder(
                PSPO_ATTEMPT,
                passport.candidate_id,
                f"milestones/{passport.id}",
                str(step),
                f"Take your first PSPO I attempt by {_day(deadline)} to keep the free retake",
                "/evidence/assessments",
                candidate_id=passport.candidate_id,
                mail=MailWording(
                    lines=[
                        f"You received your PSPO I passport on {_day(passport.achieved_on)}, "
                        f"{_plural(days, 'day')} ago, and have not logged an attempt since.",
                        f"A first attempt within {PASSPORT_DAYS} days that scores below "
                        f"{FREE_RETAKE_BELOW}% earns a second attempt at no cost.",
                    ],
                    action="Log your attempt",
                ),
            )
        )
    return found


def free_retakes(session: Session, today: date) -> list[Reminder]:
    """A reminder after a failed first PSPO I attempt inside its passport's 14 days.

    Only the first attempt since the passport earns the free retake: a failed retake
    earns no other, so it brings no reminder.
    """
    failed, other = AssessmentAttempt, aliased(AssessmentAttempt)

    def attempts(*when: Any) -> Any:
        """Another PSPO I attempt of the same candidate (not rejected), taken ``when``."""
        return (
            select(col(other.id))
            .where(
                col(other.candidate_id) == col(failed.candidate_id),
                col(other.assessment) == "pspo_1",
                col(other.review_status) != ReviewStatus.REJECTED.value,
                *when,
            )
            .exists()
        )

    later = attempts(
        or_(
            col(other.taken_on) > col(failed.taken_on),
            and_(col(other.taken_on) == col(failed.taken_on), col(other.id) > col(failed.id)),
        )
    )
    earlier_since_passport = attempts(
        col(other.taken_on) >= col(failed.passport_received_on),
        or_(
            col(other.taken_on) < col(failed.taken_on),
            and_(col(other.taken_on) == col(failed.taken_on), col(other.id) < col(failed.id)),
        ),
    )
    stmt = select(failed).where(
        col(failed.assessment) == "pspo_1",
        col(failed.review_status) != ReviewStatus.REJECTED.value,
        col(failed.score) < FREE_RETAKE_BELOW,
        col(failed.passport_received_on).is_not(None),
        col(failed.taken_on) >= today - timedelta(days=PASSPORT_DAYS),
        col(failed.taken_on) <= today,
        col(failed.candidate_id).in_(_active_candidates()),
        ~later,
        ~earlier_since_passport,
    )
    found: list[Reminder] = []
    for attempt in session.scalars(stmt.order_by(col(failed.id))):
        assert attempt.id is not None and attempt.passport_received_on is not None
        if (attempt.taken_on - attempt.passport_received_on).days > PASSPORT_DAYS:
            continue
        found.append(
            Reminder(
                PSPO_RETAKE,
                attempt.candidate_id,
                f"assessments/{attempt.id}",
                "retake",
                "Your free PSPO I retake is available",
                "/evidence/assessments",
                candidate_id=attempt.candidate_id,
                mail=MailWording(
                    lines=[
                        f"Your PSPO I attempt on {_day(attempt.taken_on)} scored "
                        f"{format_score(attempt.score)}%, within {PASSPORT_DAYS} days of your "
                        "passport: your second attempt costs nothing.",
                        "Take it with the same assessment password, then log it here.",
                    ],
                    action="Log your second attempt",
                ),
            )
        )
    return found


DURATION_UNITS = ("months", "years")  # a requirement measured in time, not in items


def _ageing_phrase(requirement: Requirement, after: float, on: date, months: int) -> str:
    """What ageing does to a requirement: a count drops on the day evidence leaves the
    window; a duration loses days every day, so what matters is when it falls short."""
    if requirement.unit in DURATION_UNITS:
        target = f"{format_number(requirement.target)} {requirement.unit}"
        return (
            f"falls below {target} on {_day(on)} as older experience leaves its "
            f"{months}-month window"
        )
    return (
        f"goes from {format_number(requirement.current)} to {format_number(after)} "
        f"{unit_for(after, requirement.unit)} on {_day(on)} as evidence leaves its "
        f"{months}-month window"
    )


def window_ageing(session: Session, today: date) -> list[Reminder]:
    """A reminder for each windowed requirement that loses evidence within 60 days."""
    preparing = _preparing(_active_enrollments(session))
    horizon = today + timedelta(days=AGEING_AHEAD_DAYS)
    found: list[Reminder] = []
    for start in range(0, len(preparing), MEASURE_BATCH):
        batch = preparing[start : start + MEASURE_BATCH]
        measured = standings.measure(session, batch, today)
        for enrollment in batch:
            assert enrollment.id is not None
            title_of = ruleset_for(enrollment.ruleset).title
            for requirement in measured[enrollment.id].requirements:
                window = requirement.window
                drop = next(
                    (
                        a
                        for a in requirement.ageing
                        if a.on <= horizon and a.current < requirement.current
                    ),
                    None,
                )
                if window is None or drop is None:
                    continue
                title = f"“{requirement.label}” ({title_of}) " + _ageing_phrase(
                    requirement, drop.current, drop.on, window.months
                )
                found.append(
                    Reminder(
                        WINDOW_AGEING,
                        enrollment.candidate_id,
                        f"enrollments/{enrollment.id}/{requirement.key}",
                        drop.on.isoformat(),
                        title,
                        f"/candidate#enrollment-{enrollment.id}",
                        candidate_id=enrollment.candidate_id,
                        mail=MailWording(
                            lines=[
                                f"It needs {format_number(requirement.target)} "
                                f"{unit_for(requirement.target, requirement.unit)}; "
                                f"it has {format_number(requirement.current)} today.",
                                "Log newer evidence to stay on target.",
                            ],
                            action="See your dashboard",
                        ),
                    )
                )
    return found


def _last_logged(session: Session, candidate_ids: Sequence[int]) -> dict[int, datetime]:
    """When each candidate last logged evidence of any kind (one statement)."""
    parts: list[Any] = [
        select(
            col(model.candidate_id).label("candidate_id"),
            func.max(col(model.created_at)).label("at"),
        )
        .where(col(model.candidate_id).in_(candidate_ids))
        .group_by(col(model.candidate_id))
        for model in EVIDENCE_MODELS.values()
    ]
    logged = union_all(*parts).subquery()
    stmt = select(logged.c.candidate_id, func.max(logged.c.at, type_=DateTime)).group_by(
        logged.c.candidate_id
    )
    found: dict[int, datetime] = {}
    for candidate_id, at in session.execute(stmt):
        found[candidate_id] = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return found  # (SQLite's max over a union is text)


def _quiet_spell(last: datetime, step: int, reminded: set[str]) -> str:
    """The key of a quiet spell's ``step``th reminder: the spell's first day in UTC, so a
    change of time zone is not a new spell. Keys written before 5 Dec 2026 named the day
    in the candidate's zone, at most a day off: such a key, if sent, is the spell's."""
    start = aware(last).date()
    for day in (start, start - timedelta(days=1), start + timedelta(days=1)):
        if (key := f"{day.isoformat()}/{step}") in reminded:
            return key
    return f"{start.isoformat()}/{step}"


def inactive_candidates(session: Session, today: date) -> list[Reminder]:
    """A reminder to each preparing candidate who has logged nothing for 60 days."""
    preparing = sorted(_preparing(_active_enrollments(session)), key=lambda e: e.candidate_id)
    candidate_ids = sorted({e.candidate_id for e in preparing})
    logged = _last_logged(session, candidate_ids) if candidate_ids else {}
    # The days are the candidate's own, in their time zone, as their pages show them.
    zones: dict[int | None, str | None] = {
        user_id: zone
        for user_id, zone in session.execute(
            select(col(User.id), col(User.time_zone)).where(col(User.id).in_(candidate_ids))
        )
    }
    reminded: dict[int, set[str]] = {}
    for user_id, step in session.execute(
        select(col(SentReminder.user_id), col(SentReminder.step)).where(
            col(SentReminder.kind) == INACTIVE, col(SentReminder.user_id).in_(candidate_ids)
        )
    ):
        reminded.setdefault(user_id, set()).add(step)
    found: list[Reminder] = []
    for candidate_id, enrollments in groupby(preparing, key=lambda e: e.candidate_id):
        enrolled = max(e.created_at for e in enrollments)
        last = max(enrolled, logged.get(candidate_id, enrolled), key=aware)
        since = local_day(last, zones.get(candidate_id))
        days = (today - since).days
        if days < INACTIVE_DAYS:
            continue
        what = "logged no evidence" if candidate_id in logged else "logged no evidence yet"
        found.append(
            Reminder(
                INACTIVE,
                candidate_id,
                f"users/{candidate_id}",
                _quiet_spell(last, days // INACTIVE_DAYS, reminded.get(candidate_id, set())),
                f"You have {what} for {days} days",
                "/evidence",
                candidate_id=candidate_id,
                mail=MailWording(
                    lines=[
                        f"Nothing new since {_day(since)}. Courses taught, assessments, "
                        "credentials, experience and milestones all move your pathway on.",
                    ],
                    action="Log evidence",
                ),
            )
        )
    return found
