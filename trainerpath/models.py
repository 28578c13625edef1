"""The tables. Schema changes go through Alembic migrations (trainerpath/migrations)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from sqlalchemy import JSON, CheckConstraint, Column, Index, Table, UniqueConstraint, text
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from trainerpath import clock

# Stable constraint names, identical on SQLite and PostgreSQL, so migrations can name them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def table_of(model: type[SQLModel]) -> Table:
    """The model's table, for reads that want plain rows: no ORM entity built per row."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def utcnow() -> datetime:
    """Return the current time, aware, in UTC (SQLModel stores and returns UTC)."""
    return clock.now()


def aware(moment: datetime) -> datetime:
    """A stored moment with its UTC time zone (SQLite hands back naive ones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Role(StrEnum):
    """What a user is in trainerpath."""

    CANDIDATE = "candidate"
    MENTOR = "mentor"
    ADMIN = "admin"


class ReviewStatus(StrEnum):
    """Where an evidence item is in its review."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


# Tables whose rows are deleted: on SQLite their ids are never handed out again, so an
# old notification, audit entry or link cannot come to name another row (migration 0014).
NEVER_REUSED_IDS = {"sqlite_autoincrement": True}


class User(SQLModel, table=True):
    """A person who signs in: candidate, mentor or admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", Role), name="role"),
        # Lists of people by name (the users table, search suggestions), ties by id.
        Index("ix_users_name_id", "name", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-case
    name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16, default=Role.CANDIDATE.value)
    is_active: bool = Field(default=True)
    # Bumped by logout-everywhere, password change and deactivation: old sessions die.
    session_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    # Set while an invited user has not chosen a password yet (they cannot log in).
    invited_at: datetime | None = Field(default=None)
    # An IANA zone ("Europe/Berlin") the pages show times in; None: UTC, until the first
    # login tells the browser's.
    time_zone: str | None = Field(default=None, max_length=64)


class Viewer(Protocol):
    """Who is looking, as far as what they may see goes: a ``User``, or the id and role
    an API token stands for."""

    @property
    def id(self) -> int | None:
        """The user's id."""

    @property
    def role(self) -> str:
        """The user's role (a ``Role`` value)."""


class Mentorship(SQLModel, table=True):
    """A mentor assigned to a candidate, from started_at until ended_at."""

    __tablename__ = "mentorships"
    __table_args__ = (
        Index("ix_mentorships_mentor_active", "mentor_id", "ended_at"),
        Index("ix_mentorships_candidate", "candidate_id"),
        Index("ix_mentorships_started_id", "started_at", "id"),  # the admin's list
        Index(
            "uq_mentorships_active_pair",
            "mentor_id",
            "candidate_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    mentor_id: int = Field(foreign_key="users.id")
    candidate_id: int = Field(foreign_key="users.id")
    assigned_by: int | None = Field(default=None, foreign_key="users.id")
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = Field(default=None)
    ended_by: int | None = Field(default=None, foreign_key="users.id")


class EvidenceBase(SQLModel):
    """Fields every evidence item has: its owner and its review."""

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="users.id")
    review_status: str = Field(max_length=16, default=ReviewStatus.PENDING.value)
    review_note: str | None = Field(default=None)
    reviewed_by: int | None = Field(default=None, foreign_key="users.id")
    reviewed_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[object, ...]:
        table = cls.__tablename__
        return (
            Index(f"ix_{table}_candidate_status", "candidate_id", "review_status"),
            Index(f"ix_{table}_reviewed_by", "reviewed_by"),
            # The review queue: pending items, the longest waiting first (ties by id).
            Index(f"ix_{table}_status_updated", "review_status", "updated_at", "id"),
            # What waits per candidate and how long (every mentor's waiting items, by
            # age): read from the index alone, pending entries only.
            Index(f"ix_{table}_status_candidate", "review_status", "candidate_id", "updated_at"),
            CheckConstraint(_in("review_status", ReviewStatus), name="review_status"),
            NEVER_REUSED_IDS,
        )


class TeachingSession(EvidenceBase, table=True):
    """A course the candidate taught."""

    __tablename__ = "teaching_sessions"

    title: str = Field(max_length=200)
    course_type: str = Field(max_length=32)
    first_day: date
    days: int
    students: int
    context: str = Field(max_length=32)
    co_trainer: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None)
    # pathways.md §6 (cst@2): what share the candidate delivered, with which materials,
    # and how they inspected and adapted afterwards.
    share_delivered: int = Field(default=100, sa_column_kwargs={"server_default": "100"})
    with_current_materials: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )
    reflection: str = Field(default="", sa_column_kwargs={"server_default": ""})


class AssessmentAttempt(EvidenceBase, table=True):
    """One attempt at a Scrum.org assessment."""

    __tablename__ = "assessment_attempts"

    assessment: str = Field(max_length=16)
    score: float
    taken_on: date
    passport_received_on: date | None = Field(default=None)


class Credential(EvidenceBase, table=True):
    """A certification the candidate holds."""

    __tablename__ = "credentials"

    kind: str = Field(max_length=16)
    issued_on: date
    expires_on: date | None = Field(default=None)  # as entered
    # The end of validity the rules derive (Scrum Alliance: issued + 2 years);
    # None means it never expires. Kept so "active" is a plain SQL comparison.
    valid_until: date | None = Field(default=None)


class ExperiencePeriod(EvidenceBase, table=True):
    """A period in a Scrum role at an organisation."""

    __tablename__ = "experience_periods"

    role: str = Field(max_length=32)
    organisation: str = Field(max_length=200)
    started_on: date
    ended_on: date | None = Field(default=None)  # None: ongoing


class Milestone(EvidenceBase, table=True):
    """A one-off achievement such as reviewed course materials or TTT attendance."""

    __tablename__ = "milestones"

    kind: str = Field(max_length=40)
    achieved_on: date
    note: str | None = Field(default=None)


class Enrollment(SQLModel, table=True):
    """A candidate following one pathway under one ruleset version."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("candidate_id", "pathway", name="uq_enrollments_candidate_pathway"),
    )

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="users.id", index=True)
    pathway: str = Field(max_length=16)
    ruleset: str = Field(max_length=32)  # e.g. "cst@1"
    track: str | None = Field(default=None, max_length=32)  # for rulesets with tracks
    state: str = Field(max_length=40)
    withdrawn_from: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = Field(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, object]:
        # Optimistic locking: every UPDATE says "WHERE version = <the one I read>".
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class EnrollmentFacts(Protocol):
    """What reading an enrollment needs: an ``Enrollment`` or an ``EnrollmentRow``."""

    @property
    def id(self) -> int | None: ...
    @property
    def candidate_id(self) -> int: ...
    @property
    def pathway(self) -> str: ...
    @property
    def ruleset(self) -> str: ...
    @property
    def track(self) -> str | None: ...
    @property
    def state(self) -> str: ...
    @property
    def withdrawn_from(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


class EnrollmentRow(NamedTuple):
    """An enrollment read for a view only: plain values, no ORM entity built."""

    id: int
    candidate_id: int
    pathway: str
    ruleset: str
    track: str | None
    state: str
    withdrawn_from: str | None
    created_at: datetime
    updated_at: datetime


class TransitionRecord(SQLModel, table=True):
    """One fired event of an enrollment; rows are only ever appended."""

    __tablename__ = "enrollment_history"

    id: int | None = Field(default=None, primary_key=True)
    enrollment_id: int = Field(foreign_key="enrollments.id", index=True)
    event: str = Field(max_length=40)
    from_state: str = Field(max_length=40)
    to_state: str = Field(max_length=40)
    actor_id: int = Field(foreign_key="users.id")
    note: str | None = Field(default=None)
    at: datetime = Field(default_factory=utcnow)


OWN_ACTIVITY = "actor_id = candidate_id"


class AuditEntry(SQLModel, table=True):
    """Who did what to whose record: evidence, reviews, enrollments, mentorships."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_candidate_at", "candidate_id", "at"),
        # The audit page's ORDER BY at DESC, id DESC reads it backwards (both databases);
        # declared ascending because SQLite does not report an index's DESC to Alembic.
        Index("ix_audit_log_at_id", "at", "id"),
        # A candidate's last own activity (the mentor's table): only what they did
        # themselves, which is about half of what is recorded about them.
        Index(
            "ix_audit_log_own_activity",
            "candidate_id",
            "at",
            sqlite_where=text(OWN_ACTIVITY),
            postgresql_where=text(OWN_ACTIVITY),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    candidate_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=40)  # e.g. "evidence.reviewed", "enrollment.transition"
    subject: str = Field(max_length=80)  # e.g. "teaching-sessions/12", "enrollments/3"
    detail: str | None = Field(default=None)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = Field(default=None)


class Feedback(SQLModel, table=True):
    """A mentor's (or admin's) note to a candidate, optionally about one enrollment."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_candidate_at", "candidate_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="users.id")
    author_id: int = Field(foreign_key="users.id")
    enrollment_id: int | None = Field(default=None, foreign_key="enrollments.id")
    body: str
    created_at: datetime = Field(default_factory=utcnow)


class AttachmentKind(StrEnum):
    """What an attachment is: a stored file, or a link to proof kept elsewhere."""

    FILE = "file"
    LINK = "link"


class Attachment(SQLModel, table=True):
    """Proof attached to an evidence item: a file stored under ``storage_key``, or a link.

    One table for every evidence kind, named by ``evidence_kind`` (the kind's URL slug)
    and ``evidence_id``: the rules are the same for all kinds, and the per-candidate quota
    and the orphan sweep read one table. There is no foreign key to the item (it lives in
    one of five tables); the services delete an item's attachments with the item.
    """

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_item", "evidence_kind", "evidence_id", "id"),
        Index("ix_attachments_candidate_id", "candidate_id"),
        CheckConstraint(_in("kind", AttachmentKind), name="kind"),
        NEVER_REUSED_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    evidence_kind: str = Field(max_length=32)  # "teaching-sessions", ...
    evidence_id: int
    candidate_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=8, default=AttachmentKind.FILE.value)
    # Files: a random name under the upload directory, never the user's file name.
    storage_key: str | None = Field(default=None, max_length=64, unique=True)
    filename: str | None = Field(default=None, max_length=255)  # as sent, sanitised
    content_type: str | None = Field(default=None, max_length=64)  # decided from the bytes
    size: int | None = Field(default=None)  # bytes
    url: str | None = Field(default=None, max_length=2000)  # links: https only
    uploaded_by: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)


class ReviewRecord(SQLModel, table=True):
    """One review decision on an evidence item; rows are only ever appended.

    The item itself keeps only its latest review; this keeps every one, with the item's
    field values as the reviewer saw them (``snapshot``), so a resubmitted item can show
    what changed since it was rejected. ``submitted_at`` is when the item was last
    submitted (logged, corrected or resubmitted: its ``updated_at`` when reviewed), and
    ``waited_seconds`` how long it waited from then until this decision: turnaround.
    """

    __tablename__ = "evidence_reviews"
    __table_args__ = (
        CheckConstraint("decision IN ('verified', 'rejected')", name="decision"),
        # An item's history, oldest first.
        Index("ix_evidence_reviews_item", "evidence_kind", "evidence_id", "id"),
        # Turnaround: one reviewer's decisions of the last days.
        Index("ix_evidence_reviews_reviewer_at", "reviewer_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    evidence_kind: str = Field(max_length=32)  # "teaching-sessions", ...
    evidence_id: int  # no foreign key: the item lives in one of five tables
    candidate_id: int = Field(foreign_key="users.id", index=True)
    decision: str = Field(max_length=16)
    note: str | None = Field(default=None)
    reviewer_id: int = Field(foreign_key="users.id")
    at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime
    waited_seconds: int
    snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


EVIDENCE_MODELS: dict[str, type[EvidenceBase]] = {
    "teaching-sessions": TeachingSession,
    "assessments": AssessmentAttempt,
    "credentials": Credential,
    "experience": ExperiencePeriod,
    "milestones": Milestone,
}


class Standing(SQLModel, table=True):
    """An enrollment's measured requirements as of one day, so views need not measure.

    Written in the same transaction as any change to the candidate's evidence, reviews
    or enrollments, and again by the first view on a later day (windows, expiry, ageing
    and forecasts move with the day). ``revision`` goes up with every write, so a view
    that measured from an older snapshot cannot overwrite a newer result.
    """

    __tablename__ = "standings"

    enrollment_id: int = Field(primary_key=True, foreign_key="enrollments.id")
    candidate_id: int = Field(foreign_key="users.id", index=True)
    computed_on: date = Field(index=True)  # the first view of a day looks for earlier ones
    # The fingerprint of the code that measured it (pathways.fingerprint): a deployment
    # that changes the measuring makes the day's standings measured again.
    measured_by: str | None = Field(default=None, max_length=16, index=True)
    revision: int = Field(default=1)
    # What was measured: the enrollment's rules and state at the time.
    ruleset: str = Field(max_length=32)
    track: str | None = Field(default=None, max_length=32)
    state: str = Field(max_length=40)
    requirements: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    # While preparing: the standing under the pathway's other rulesets, for switching.
    others: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    reflection_hint: int = Field(default=0)  # cst@2: courses a reflection would make count
    # For the mentor's table, to filter and sort without reading the requirements:
    met: int = Field(default=0)  # how many of ``requirements`` are met
    total: int = Field(default=0)  # how many there are
    shortfall_on: date | None = Field(default=None)  # first day a met one becomes unmet
    shortfall_key: str | None = Field(default=None, max_length=64)  # which one


UNREAD = "read_at IS NULL"
UNREAD_WAITING = "read_at IS NULL AND kind = 'evidence.waiting'"


class Notification(SQLModel, table=True):
    """Something a user is told about in the app, written with the change that caused it.

    ``count`` batches a kind (``evidence.waiting``): while unread, one row per recipient
    and candidate, its count raised by an upsert on the partial unique index.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        # "My notifications, newest first" (read backwards) and "my unread ones" (partial).
        Index("ix_notifications_recipient_updated", "recipient_id", "updated_at", "id"),
        Index(
            "ix_notifications_unread",
            "recipient_id",
            "updated_at",
            "id",
            sqlite_where=text(UNREAD),
            postgresql_where=text(UNREAD),
        ),
        # The batching rule: one unread evidence.waiting per candidate and mentor.
        Index(
            "uq_notifications_unread_waiting",
            "candidate_id",
            "recipient_id",
            unique=True,
            sqlite_where=text(UNREAD_WAITING),
            postgresql_where=text(UNREAD_WAITING),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=40)  # a key of trainerpath.notification_kinds.KINDS
    candidate_id: int | None = Field(default=None, foreign_key="users.id")  # whom it is about
    subject: str = Field(max_length=80)  # as in the audit trail: "teaching-sessions/12"
    title: str = Field(max_length=300)
    body: str | None = Field(default=None)  # e.g. the rejection note
    link: str = Field(max_length=300)  # an app path: "/evidence/teaching-sessions/12/edit"
    count: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = Field(default=None)


class OutboxStatus(StrEnum):
    """Where a mail is on its way out."""

    PENDING = "pending"  # waiting for its (next) attempt
    SENT = "sent"
    FAILED = "failed"  # given up: kept with its last error


class OutboxMail(SQLModel, table=True):
    """A rendered mail waiting to be sent, written in the transaction of its cause.

    A worker claims it by setting ``claimed_until`` (a lease) and ``claim``; a worker
    that dies while it holds the lease leaves it to be claimed again once it expires.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("status", OutboxStatus), name="status"),
        # The claim: pending mails whose time has come, the oldest first.
        Index("ix_outbox_status_due", "status", "due_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    kind: str = Field(max_length=40)
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=255)
    body_text: str
    body_html: str
    headers: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    message_id: str = Field(max_length=255)  # the same on a second send, so it can be told
    status: str = Field(max_length=16, default=OutboxStatus.PENDING.value)
    attempts: int = Field(default=0)
    due_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime | None = Field(default=None)
    claim: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None)


class EmailDelivery(StrEnum):
    """How a user wants one kind of notification by e-mail."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"  # collected into the daily digest (kinds that allow it)
    OFF = "off"


class EmailPreference(SQLModel, table=True):
    """A user's choice for one notification kind; without a row the kind's default holds."""

    __tablename__ = "email_preferences"
    __table_args__ = (CheckConstraint(_in("delivery", EmailDelivery), name="delivery"),)

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    kind: str = Field(max_length=40, primary_key=True)
    delivery: str = Field(max_length=16)


class SentReminder(SQLModel, table=True):
    """A scheduled reminder that was sent: its unique key makes ``send-reminders`` idempotent.

    The key is the recipient, the reminder's kind, what it is about (``credentials/12``)
    and its step (``90`` days before expiry, a day, a date). It is inserted in the
    transaction that writes the reminder's notification and mail, so a run that finds
    the key taken (a second run, or a concurrent one) sends nothing.
    """

    __tablename__ = "sent_reminders"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "kind", "subject", "step", name="uq_sent_reminders_user_kind_subject_step"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=40)  # a ``reminder.*`` key of notification_kinds.KINDS
    subject: str = Field(max_length=80)
    step: str = Field(max_length=40)
    sent_on: date  # the run's day (``--today``)
    created_at: datetime = Field(default_factory=utcnow)
