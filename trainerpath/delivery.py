"""Deliver the outbox: claim due mails, send them, record what happened.

Three short transactions per mail's life, none held while talking to the mail server:

1. **Claim** a batch of due mails: pick them, then a conditional ``UPDATE`` sets a
   lease (``claimed_until``) and this worker's ``claim`` on those still pending, due and
   not leased. On PostgreSQL they are picked with ``FOR UPDATE SKIP LOCKED``, so
   workers claim different mails without waiting for each other; on SQLite the write
   lock (``BEGIN IMMEDIATE``) makes the claim atomic, and the ``UPDATE``'s condition
   refuses a row someone else leased. The claim counts an attempt.
2. **Send** each mail.
3. **Record**: sent; or, after a failure, pending again with a later ``due_at``
   (exponential backoff), or failed for good after ``MAIL_MAX_ATTEMPTS`` attempts or a
   permanent refusal (5xx for the recipient or the message), keeping the last error.

A worker that dies after claiming (or after sending but before recording) leaves its
rows leased; once the lease expires another worker claims and sends them. So a mail is
never lost, and a crash between sending and recording sends it at most twice.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import mail
from trainerpath.models import OutboxMail, OutboxStatus, utcnow
from trainerpath.services.tokens import as_utc

log = logging.getLogger(__name__)
MAX_ERROR = 1000  # characters of an error kept on the row


@dataclass(frozen=True)
class DeliverySettings:
    """The MAIL_* settings that govern delivery."""

    batch: int
    lease: timedelta
    timeout: int
    max_attempts: int
    retry: int
    retry_max: int

    @classmethod
    def from_app(cls, app: Flask) -> DeliverySettings:
        """Read the settings of ``app``."""
        config = app.config
        return cls(
            batch=config["MAIL_BATCH_SIZE"],
            lease=timedelta(seconds=config["MAIL_LEASE_SECONDS"]),
            timeout=config["MAIL_TIMEOUT"],
            max_attempts=config["MAIL_MAX_ATTEMPTS"],
            retry=config["MAIL_RETRY_SECONDS"],
            retry_max=config["MAIL_RETRY_MAX_SECONDS"],
        )

    def backoff(self, attempts: int) -> timedelta:
        """The wait after ``attempts`` failed attempts: doubling from MAIL_RETRY_SECONDS."""
        return timedelta(seconds=min(self.retry * 2 ** max(attempts - 1, 0), self.retry_max))


@dataclass
class Report:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """How many mails this run claimed and dealt with."""
        return self.sent + self.retrying + self.failed

    def add(self, other: Report) -> None:
        """Add another run's counts to these."""
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.errors += other.errors


def _claimable(now: datetime) -> Any:
    return (
        (col(OutboxMail.status) == OutboxStatus.PENDING.value)
        & (col(OutboxMail.due_at) <= now)
        & or_(col(OutboxMail.claimed_until).is_(None), col(OutboxMail.claimed_until) <= now)
    )


def give_up_abandoned(session: Session, settings: DeliverySettings, now: datetime) -> int:
    """Fail the mails whose last allowed attempt was claimed by a worker that never returned."""
    result = session.execute(
        update(OutboxMail)
        .where(_claimable(now), col(OutboxMail.attempts) >= settings.max_attempts)
        .values(
            status=OutboxStatus.FAILED.value,
            claimed_until=None,
            claim=None,
            last_error="Given up: the worker of the last attempt stopped before it finished.",
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim(
    engine: Engine, settings: DeliverySettings, now: datetime
) -> tuple[str, list[OutboxMail]]:
    """Lease a batch of due mails to this worker; return the claim and the mails, oldest first."""
    token = secrets.token_hex(8)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        give_up_abandoned(session, settings, now)
        due = (
            select(col(OutboxMail.id))
            .where(_claimable(now))
            .order_by(col(OutboxMail.due_at), col(OutboxMail.id))
            .limit(settings.batch)
            # PostgreSQL: skip rows another worker is claiming; SQLite renders no clause.
            .with_for_update(skip_locked=True)
        )
        # Picked first, then updated: PostgreSQL may run a locking subquery inside an
        # UPDATE's IN (...) once per row, and so claim far more than a batch.
        picked = list(session.execute(due).scalars())
        if not picked:
            return token, []
        session.execute(
            update(OutboxMail)
            .where(col(OutboxMail.id).in_(picked), _claimable(now))
            .values(
                claimed_until=now + settings.lease,
                claim=token,
                attempts=col(OutboxMail.attempts) + 1,
            )
            .execution_options(synchronize_session=False)
        )
        claimed = session.execute(
            select(OutboxMail)
            .where(col(OutboxMail.claim) == token)
            .order_by(col(OutboxMail.due_at), col(OutboxMail.id))
        ).scalars()
        return token, list(claimed)


def _ours(mail_id: int | None, token: str) -> Any:
    return (col(OutboxMail.id) == mail_id) & (col(OutboxMail.claim) == token)


def record_sent(engine: Engine, row: OutboxMail, token: str, now: datetime) -> None:
    """Mark a mail sent (if this worker's claim still holds it)."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMail)
            .where(_ours(row.id, token))
            .values(
                status=OutboxStatus.SENT.value,
                sent_at=now,
                claimed_until=None,
                claim=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )


def is_permanent(error: BaseException) -> bool:
    """Whether the server refused this mail for good: 5xx for its recipient or its content.

    Anything else (a server that is down, 4xx, a refused sender or login, which are
    problems of the setup rather than of this mail) is worth another attempt.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False


def describe(error: BaseException) -> str:
    """An error in one line, as kept on the row."""
    text = f"{type(error).__name__}: {error}".replace("\n", " ")
    return text[:MAX_ERROR]


def record_failure(
    engine: Engine,
    row: OutboxMail,
    token: str,
    error: BaseException,
    settings: DeliverySettings,
    now: datetime,
) -> bool:
    """Keep the error; retry later, or give up. Return whether the mail is given up."""
    give_up = is_permanent(error) or row.attempts >= settings.max_attempts
    values: dict[str, Any] = {"claimed_until": None, "claim": None, "last_error": describe(error)}
    if give_up:
        values["status"] = OutboxStatus.FAILED.value
    else:
        values["due_at"] = now + settings.backoff(row.attempts)
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMail)
            .where(_ours(row.id, token))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return give_up


def release(engine: Engine, token: str) -> None:
    """Give back the mails of a claim that were not tried (their attempt is not counted)."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMail)
            .where(col(OutboxMail.claim) == token)
            .values(claimed_until=None, claim=None, attempts=col(OutboxMail.attempts) - 1)
            .execution_options(synchronize_session=False)
        )


def deliver_batch(app: Flask, engine: Engine, now: datetime | None = None) -> Report:
    """Claim one batch of due mails and send each; call inside an app context."""
    settings = DeliverySettings.from_app(app)
    token, rows = claim(engine, settings, now or utcnow())
    report = Report()
    if not rows:
        return report
    backend = mail.connection()
    try:
        for row in rows:
            # A lease about to run out could let another worker send this mail too.
            assert row.claimed_until is not None
            if utcnow() + timedelta(seconds=settings.timeout) >= as_utc(row.claimed_until):
                break
            try:
                backend.open()
                backend.send_messages([mail.message_of(row, backend)])
            except Exception as error:  # any failure of one mail must not stop the batch
                _close_quietly(backend)
                if record_failure(engine, row, token, error, settings, now or utcnow()):
                    report.failed += 1
                else:
                    report.retrying += 1
                report.errors.append(f"{row.recipient}: {describe(error)}")
                log.warning("mail %s to %s failed: %s", row.id, row.recipient, describe(error))
            else:
                record_sent(engine, row, token, now or utcnow())
                report.sent += 1
    finally:
        _close_quietly(backend)
        release(engine, token)  # whatever the loop did not reach
    return report


def _close_quietly(backend: Any) -> None:
    try:
        backend.close()
    except Exception:  # closing a broken connection may fail as well; it is closed anyway
        backend.connection = None


def deliver_due(
    app: Flask, engine: Engine, now: datetime | None = None, stop: threading.Event | None = None
) -> Report:
    """Deliver batch after batch until nothing is due (or ``stop`` is set)."""
    total = Report()
    while stop is None or not stop.is_set():
        report = deliver_batch(app, engine, now)
        total.add(report)
        if report.handled == 0:
            break
    return total
