"""Notifications: written with the change that causes them, read by their recipient, and
mailed to those who want them by e-mail.

``notify`` is the one place a notification is written; every cause below calls it in
the transaction of the change, and it returns the rows it wrote. Nobody is notified of
their own action. A batched kind (``evidence.waiting``) keeps one unread row per mentor
and candidate: an upsert on the partial unique index raises its count, which
``settle_waiting`` keeps at most the number of items that still wait (and marks read
when none does).

Each notification also goes by e-mail, through the outbox in the same transaction, to
the recipients who want its kind by e-mail as it happens (``MailWording`` says how it
reads; by default its title, and its note or feedback). A batched notification is
mailed when it is created, not when its count goes up: thirty items make one mail.
Mails need the app (templates, BASE_URL), which every caller but the pure service
tests has; without one only the in-app notification is written.

Each notification's ``link`` is an app path (``/evidence/teaching-sessions/12/edit``),
built here with the paths of the web routes; a test checks that each one routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import has_app_context
from sqlalchemy import ColumnElement, case, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import (
    UNREAD_WAITING,
    EvidenceBase,
    Feedback,
    Mentorship,
    Notification,
    ReviewStatus,
    Role,
    User,
    utcnow,
)
from trainerpath.notification_kinds import (
    CANDIDATE_UNASSIGNED,
    ENROLLMENT_OUTCOME,
    EVIDENCE_REJECTED,
    EVIDENCE_VERIFIED,
    EVIDENCE_WAITING,
    FEEDBACK_RECEIVED,
    KINDS,
    MENTORSHIP_ASSIGNED,
)
from trainerpath.paging import Page, PageRequest, paginate
from trainerpath.queries import pending_review_counts

from .email_preferences import deliveries
from .errors import NotFound
from .locks import lock_candidates
from .outbox import enqueue_mail

BODY_LIMIT = 500  # characters of a note or feedback kept in the notification
UNREAD_COUNT_LIMIT = 99  # the bell says "99+" beyond this
# The partial unique index each batched kind's upsert conflicts on.
BATCH_INDEX = {EVIDENCE_WAITING: (("candidate_id", "recipient_id"), UNREAD_WAITING)}
assert set(BATCH_INDEX) == {key for key, kind in KINDS.items() if kind.batched}


def _shortened(value: str | None) -> str | None:
    if value is None or len(value) <= BODY_LIMIT:
        return value
    return value[: BODY_LIMIT - 1] + "…"


@dataclass(frozen=True)
class MailWording:
    """How a notification reads as an e-mail.

    ``subject``: the mail's subject (default: the notification's title); ``lines``:
    paragraphs after the headline (default: the body, e.g. the rejection note);
    ``template``: a pair under templates/mail/ with its own ``context``.
    """

    subject: str | None = None
    lines: Sequence[str] | None = None
    action: str | None = None
    template: str = "notification"
    context: Mapping[str, Any] = field(default_factory=dict)


def _queue_mails(
    session: Session, kind: str, rows: Sequence[Notification], wording: MailWording
) -> None:
    """Queue the mail of each new notification for recipients who want ``kind`` now."""
    if not rows or not has_app_context():
        return
    by_recipient = {row.recipient_id: row for row in rows}
    for user, delivery in deliveries(session, by_recipient, kind):
        row = by_recipient[user.id or 0]
        lines = wording.lines if wording.lines is not None else [row.body] if row.body else []
        enqueue_mail(
            session,
            user=user,
            kind=kind,
            subject=wording.subject or row.title,
            template=wording.template,
            context={
                "headline": row.title,
                "lines": lines,
                "action": wording.action,
                **wording.context,
            },
            link=row.link,
            delivery=delivery,
        )


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite alike)."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(Notification)


def notify(
    *,
    session: Session,
    kind: str,
    recipients: Iterable[int],
    actor: User | None,
    subject: str,
    title: str,
    link: str,
    candidate_id: int | None = None,
    body: str | None = None,
    count: int = 1,
    mail: MailWording | None = None,
) -> list[Notification]:
    """Write ``kind`` to each recipient but the actor, in the caller's transaction, and
    queue its mail to those who want it by e-mail now (worded by ``mail``).

    Returns the rows written: new ones, and for a batched kind the unread ones whose
    count went up (by ``count``: an import of many items is one notification). The
    caller commits (or rolls back) them with its change.
    """
    spec = KINDS[kind]
    wanted = sorted({r for r in recipients if actor is None or r != actor.id})
    if not wanted:
        return []
    now = utcnow()
    values: list[dict[str, Any]] = [
        {
            "recipient_id": recipient,
            "kind": kind,
            "candidate_id": candidate_id,
            "subject": subject,
            "title": title[:300],
            "body": _shortened(body),
            "link": link,
            "count": count,
            "created_at": now,
            "updated_at": now,
        }
        for recipient in wanted
    ]
    if not spec.batched:
        rows = [Notification(**value) for value in values]
        session.add_all(rows)
        session.flush()
        _queue_mails(session, kind, rows, mail or MailWording())
        return rows
    if candidate_id is not None:  # settle_waiting locks it too: the same order, no deadlock
        lock_candidates(session, [candidate_id])
    columns, where = BATCH_INDEX[kind]
    stmt = _insert(session).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(columns),
        index_where=text(where),
        set_={
            "count": col(Notification.count) + stmt.excluded.count,
            "subject": stmt.excluded.subject,
            "title": stmt.excluded.title,
            "body": stmt.excluded.body,
            "link": stmt.excluded.link,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    found = list(
        session.scalars(stmt.returning(Notification), execution_options={"populate_existing": True})
    )
    # A row just inserted holds ``count``; a raised one more (settle_waiting never lowers
    # an unread one below 1), so only new rows are mailed.
    _queue_mails(session, kind, [row for row in found if row.count == count], mail or MailWording())
    return found


# -- The causes ----------------------------------------------------------------------


def evidence_link(slug: str, item: EvidenceBase) -> str:
    """The page of an item: its correction form if rejected, else its place in the list."""
    if item.review_status == ReviewStatus.REJECTED:
        return f"/evidence/{slug}/{item.id}/edit"
    return f"/evidence/{slug}?status={item.review_status}#item-{slug}-{item.id}"


def evidence_reviewed(
    session: Session, *, actor: User, slug: str, label: str, summary: str, item: EvidenceBase
) -> list[Notification]:
    """Tell the candidate their item was verified, or rejected with the note."""
    rejected = item.review_status == ReviewStatus.REJECTED
    verb = "rejected" if rejected else "verified"
    what = f"{label.lower()} “{summary}”"
    note = [f"{actor.name}'s note: {item.review_note}"] if item.review_note else []
    return notify(
        session=session,
        kind=EVIDENCE_REJECTED if rejected else EVIDENCE_VERIFIED,
        recipients=[item.candidate_id],
        actor=actor,
        candidate_id=item.candidate_id,
        subject=f"{slug}/{item.id}",
        title=f"{actor.name} {verb} your {what}",
        body=item.review_note,
        link=evidence_link(slug, item),
        mail=MailWording(
            subject=f"Your {what} was {verb}",
            lines=note + (["Correct it and it goes back for review."] if rejected else []),
            action="Correct it" if rejected else "See it in trainerpath",
        ),
    )


def evidence_verified_together(
    session: Session, *, actor: User, candidate_id: int, verified: list[tuple[str, str]]
) -> list[Notification]:
    """Tell the candidate that several of their items were verified at once: one
    notification for the batch (``verified`` holds each item's subject and summary)."""
    summaries = ", ".join(f"“{summary}”" for _subject, summary in verified)
    slugs = {subject.split("/")[0] for subject, _summary in verified}
    # One kind: its verified items; several: the dashboard's evidence, counted per kind.
    link = (
        f"/evidence/{slugs.pop()}?status=verified"
        if len(slugs) == 1
        else "/candidate#evidence-title"
    )
    return notify(
        session=session,
        kind=EVIDENCE_VERIFIED,
        recipients=[candidate_id],
        actor=actor,
        candidate_id=candidate_id,
        subject=verified[0][0],
        title=f"{actor.name} verified {len(verified)} items of your evidence: {summaries}",
        link=link,
    )


def _mentors_of(session: Session, candidate_id: int) -> list[int]:
    stmt = select(col(Mentorship.mentor_id)).where(
        col(Mentorship.candidate_id) == candidate_id, col(Mentorship.ended_at).is_(None)
    )
    return list(session.execute(stmt).scalars())


def evidence_waiting(
    session: Session, *, actor: User, slug: str, item: EvidenceBase, count: int = 1
) -> list[Notification]:
    """Tell each assigned mentor that new or corrected evidence waits (one unread, counted).

    ``count`` items wait since this change (``item`` is one of them): an import counts
    all it created in one notification.
    """
    written = notify(
        session=session,
        kind=EVIDENCE_WAITING,
        recipients=_mentors_of(session, item.candidate_id),
        actor=actor,
        candidate_id=item.candidate_id,
        subject=f"{slug}/{item.id}",
        title=f"New or corrected evidence from {actor.name} waits for your review",
        link="/mentor/reviews?" + urlencode({"candidate": item.candidate_id}),
        count=count,
        mail=MailWording(
            lines=["Further items before you read it are counted in the app, not mailed."],
            action="Review it",
        ),
    )
    settle_waiting(session, item.candidate_id)
    for row in written:
        session.refresh(row)
    return written


def _unread_about(kind: str, candidate_id: int) -> ColumnElement[bool]:
    return (
        (col(Notification.kind) == kind)
        & (col(Notification.candidate_id) == candidate_id)
        & col(Notification.read_at).is_(None)
    )


def settle_waiting(session: Session, candidate_id: int) -> None:
    """Keep the mentors' unread ``evidence.waiting`` counts at most what still waits.

    Called after evidence is logged, corrected, reviewed or deleted: when nothing of the
    candidate waits any more the notifications are marked read, so no bell announces
    work that is done.
    """
    lock_candidates(session, [candidate_id])
    pending = pending_review_counts(session, [candidate_id])[candidate_id]
    if pending == 0:
        resolved(session, kind=EVIDENCE_WAITING, candidate_id=candidate_id)
        return
    session.execute(
        update(Notification)
        .where(_unread_about(EVIDENCE_WAITING, candidate_id), col(Notification.count) > pending)
        .values(count=pending)
        .execution_options(synchronize_session=False)
    )


def resolved(
    session: Session,
    *,
    kind: str,
    candidate_id: int,
    subject: str | None = None,
    recipient_id: int | None = None,
) -> None:
    """Mark read, for everyone (or ``recipient_id``), the unread notifications of ``kind``
    about the candidate (and ``subject``): what they announced has been dealt with, or is
    no longer theirs to deal with."""
    stmt = update(Notification).where(_unread_about(kind, candidate_id))
    if subject is not None:
        stmt = stmt.where(col(Notification.subject) == subject)
    if recipient_id is not None:
        stmt = stmt.where(col(Notification.recipient_id) == recipient_id)
    session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))


def feedback_received(session: Session, *, actor: User, feedback: Feedback) -> list[Notification]:
    """Tell the candidate a mentor or admin left them feedback."""
    return notify(
        session=session,
        kind=FEEDBACK_RECEIVED,
        recipients=[feedback.candidate_id],
        actor=actor,
        candidate_id=feedback.candidate_id,
        subject=f"feedback/{feedback.id}",
        title=f"{actor.name} left you feedback",
        body=feedback.body,
        link="/candidate#feedback-summary",
        # The mail carries the whole feedback; the notification keeps BODY_LIMIT of it.
        mail=MailWording(lines=[feedback.body], action="Read it in trainerpath"),
    )


def outcome_recorded(
    session: Session,
    *,
    actor: User,
    candidate_id: int,
    enrollment_id: int,
    pathway: str,
    outcome: str,
    sentence: str,
    note: str | None,
) -> list[Notification]:
    """Tell the candidate a mentor or admin fired an event on their enrollment."""
    return notify(
        session=session,
        kind=ENROLLMENT_OUTCOME,
        recipients=[candidate_id],
        actor=actor,
        candidate_id=candidate_id,
        subject=f"enrollments/{enrollment_id}",
        title=f"{actor.name} recorded on your {pathway} enrollment: {sentence}",
        body=note,
        link=f"/candidate#enrollment-{enrollment_id}",
        mail=MailWording(
            subject=f"Your {pathway} enrollment: {outcome}",
            lines=[sentence] + ([f"The note: {note}"] if note else []),
            action="See your dashboard",
        ),
    )


def mentor_assigned(
    session: Session, *, actor: User, mentorship: Mentorship, mentor: User, candidate: User
) -> list[Notification]:
    """Tell the mentor (and the candidate) that the mentor now mentors the candidate; the
    admins' news that the candidate had no mentor is then marked read."""
    common: dict[str, Any] = {
        "session": session,
        "kind": MENTORSHIP_ASSIGNED,
        "actor": actor,
        "candidate_id": candidate.id,
        "subject": f"mentorships/{mentorship.id}",
    }
    assert mentor.id is not None and candidate.id is not None
    resolved(session, kind=CANDIDATE_UNASSIGNED, candidate_id=candidate.id)
    return notify(
        recipients=[mentor.id],
        title=f"You now mentor {candidate.name}",
        link=f"/mentor/candidates/{candidate.id}",
        **common,
    ) + notify(
        recipients=[candidate.id],
        title=f"{mentor.name} is now your mentor",
        link="/candidate",
        **common,
    )


def _active_admins(session: Session) -> list[int]:
    stmt = select(col(User.id)).where(col(User.role) == Role.ADMIN.value, col(User.is_active))
    return [user_id for user_id in session.execute(stmt).scalars() if user_id is not None]


def candidate_unassigned(
    session: Session, *, actor: User | None, candidate: User, new: bool
) -> list[Notification]:
    """Tell every admin that a candidate (new, or who lost their last mentor) has no mentor."""
    if not new and _mentors_of(session, candidate.id or 0):
        return []
    situation = "signed up and has" if new else "has"
    return notify(
        session=session,
        kind=CANDIDATE_UNASSIGNED,
        recipients=_active_admins(session),
        actor=actor,
        candidate_id=candidate.id,
        subject=f"users/{candidate.id}",
        title=f"{candidate.name} {situation} no mentor",
        link="/admin/mentorships?" + urlencode({"candidate": candidate.email}),
    )


# -- The recipient's side --------------------------------------------------------------


def message(notification: Notification) -> str:
    """The notification in a sentence, with the count of a batched one."""
    if notification.count > 1:
        return f"{notification.title} ({notification.count} items)"
    return notification.title


def _own(user: User) -> ColumnElement[bool]:
    return col(Notification.recipient_id) == user.id


def notifications_page(
    session: Session, user: User, wanted: PageRequest, unread_only: bool = False
) -> Page[Notification]:
    """One page of the user's own notifications, newest (or latest counted) first."""
    stmt = select(Notification).where(_own(user))
    if unread_only:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    stmt = stmt.order_by(col(Notification.updated_at).desc(), col(Notification.id).desc())
    return paginate(session, stmt, wanted)


def unread_count(session: Session, user: User) -> int:
    """How many of the user's notifications are unread, counted up to one past the limit."""
    unread = (
        select(col(Notification.id))
        .where(_own(user), col(Notification.read_at).is_(None))
        .limit(UNREAD_COUNT_LIMIT + 1)
    )
    return int(session.execute(select(func.count()).select_from(unread.subquery())).scalar_one())


def own_notification(session: Session, *, user: User, notification_id: int) -> Notification:
    """One of the user's own notifications, left as it is; else NotFound."""
    found = session.execute(
        select(Notification).where(col(Notification.id) == notification_id, _own(user))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("No such notification.")
    return found


def mark_read(session: Session, *, user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (the first time is kept); else NotFound."""
    found = session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, _own(user))
        .values(
            read_at=case(
                (col(Notification.read_at).is_(None), utcnow()), else_=col(Notification.read_at)
            )
        )
        .returning(Notification)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("No such notification.")
    return found


def mark_all_read(session: Session, *, user: User) -> int:
    """Mark every unread notification of the user's read; return how many there were."""
    result = session.execute(
        update(Notification)
        .where(_own(user), col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))
