"""Mail leaves through the outbox and arrives at a real SMTP server, never lost, never doubled.

Every test delivers to aiosmtpd on a loopback port (tests/smtp_server.py) and checks
what arrived there: recipients, subject, links, how many times.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from smtp_server import SmtpServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import delivery
from trainerpath.models import EmailDelivery, EmailPreference, OutboxMail, User, utcnow
from trainerpath.services.outbox import enqueue_mail

FEEDBACK = "feedback.received"


@pytest.fixture
def app_config(mail_app_config: dict[str, Any]) -> dict[str, Any]:
    """Send to the test's SMTP server."""
    return mail_app_config


@pytest.fixture
def enqueue(app: Flask, session: Session) -> Callable[..., OutboxMail | None]:
    """Queue a feedback notification for ``user`` and commit: ``enqueue(user, n=1)``."""

    def queue(user: User, n: int = 1, kind: str = FEEDBACK) -> OutboxMail | None:
        with app.app_context():
            row = enqueue_mail(
                session,
                user=user,
                kind=kind,
                subject=f"New feedback #{n} from your mentor",
                template="notification",
                context={"headline": f"Mo Mentor left you feedback #{n}.", "lines": ["Nice."]},
                link="/candidate",
            )
        session.commit()
        return row

    return queue


def deliver(app: Flask, engine: Engine, after: timedelta = timedelta(0)) -> delivery.Report:
    """Run one delivery as a worker would, ``after`` from now."""
    with app.app_context():
        return delivery.deliver_due(app, engine, now=utcnow() + after)


def outbox(engine: Engine) -> list[OutboxMail]:
    """Every outbox row, oldest first, read afresh."""
    with Session(engine) as session:
        return list(session.execute(select(OutboxMail).order_by(col(OutboxMail.id))).scalars())


def test_a_notification_arrives_with_its_recipient_subject_and_links(
    runner: FlaskCliRunner, smtp: SmtpServer, engine: Engine, make_user, enqueue
) -> None:
    cara = make_user(name="Cara Candidate", email="cara@example.org")
    enqueue(cara)

    result = runner.invoke(args=["deliver-mail"])

    assert result.exit_code == 0, result.output
    assert "Sent 1 mail; 0 to retry later; 0 given up." in result.output
    [mail] = smtp.wait_for(1)
    assert mail.recipients == ["cara@example.org"]
    assert mail.subject == "New feedback #1 from your mentor"
    assert "Mo Mentor left you feedback #1." in mail.text
    assert mail.link_to("/candidate") == "http://trainerpath.test/candidate"
    assert 'href="http://trainerpath.test/candidate"' in mail.html
    assert mail.link_to("/account/notifications") == "http://trainerpath.test/account/notifications"
    unsubscribe = mail.link_to("/unsubscribe/")
    assert str(mail.message["List-Unsubscribe"]).strip() == f"<{unsubscribe}>"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [row] = outbox(engine)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert mail.message["Message-ID"] == row.message_id


def test_no_mail_reaches_a_user_who_opted_out_of_that_kind(
    app: Flask, smtp: SmtpServer, engine: Engine, session: Session, make_user, enqueue
) -> None:
    cara = make_user(email="cara@example.org")
    otto = make_user(email="otto@example.org")
    session.add(EmailPreference(user_id=cara.id, kind=FEEDBACK, delivery=EmailDelivery.OFF))
    session.commit()

    assert enqueue(cara) is None
    enqueue(otto)
    deliver(app, engine)

    assert [mail.recipients for mail in smtp.wait_for(1)] == [["otto@example.org"]]
    assert [row.recipient for row in outbox(engine)] == ["otto@example.org"]


def test_a_deactivated_user_gets_no_notification_mail(
    app: Flask, smtp: SmtpServer, engine: Engine, make_user, enqueue
) -> None:
    gone = make_user(is_active=False)

    assert enqueue(gone) is None
    assert outbox(engine) == []


def test_a_refused_mail_is_retried_later_and_then_arrives_once(
    app: Flask, smtp: SmtpServer, engine: Engine, make_user, enqueue
) -> None:
    enqueue(make_user(email="cara@example.org"))
    smtp.refuse("451 4.3.0 Mailbox busy, try again later")

    first = deliver(app, engine)

    assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
    assert smtp.received == []
    [row] = outbox(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "451" in (row.last_error or "") and "Mailbox busy" in (row.last_error or "")
    # Not due again before the first backoff (MAIL_RETRY_SECONDS, 60 s) has passed.
    assert deliver(app, engine, timedelta(seconds=30)).handled == 0
    assert deliver(app, engine, timedelta(seconds=61)).sent == 1
    assert [mail.recipients for mail in smtp.wait_for(1)] == [["cara@example.org"]]
    [row] = outbox(engine)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_nothing_is_lost_while_the_mail_server_is_down(
    app: Flask, smtp: SmtpServer, engine: Engine, make_user, enqueue
) -> None:
    smtp.stop()
    for n in range(3):
        enqueue(make_user(), n)

    down = deliver(app, engine)

    assert (down.sent, down.retrying) == (0, 3)
    assert all("Connection refused" in (row.last_error or "") for row in outbox(engine))
    smtp.start()  # the same port, listening again
    up = deliver(app, engine, timedelta(minutes=2))
    assert up.sent == 3
    assert sorted(mail.subject for mail in smtp.wait_for(3)) == [
        f"New feedback #{n} from your mentor" for n in range(3)
    ]
    assert {row.status for row in outbox(engine)} == {"sent"}


def test_a_worker_claims_one_batch_at_a_time(
    app: Flask, smtp: SmtpServer, engine: Engine, make_user, enqueue
) -> None:
    app.config["MAIL_BATCH_SIZE"] = 2
    for n in range(5):
        enqueue(make_user(), n)

    with app.app_context():
        first = delivery.deliver_batch(app, engine)

    assert first.sent == 2
    assert len(smtp.wait_for(2)) == 2
    assert [row.status for row in outbox(engine)] == [
        "sent",
        "sent",
        "pending",
        "pending",
        "pending",
    ]
    assert all(row.claim is None for row in outbox(engine))


def test_the_wait_between_attempts_doubles() -> None:
    settings = delivery.DeliverySettings(
        batch=1, lease=timedelta(minutes=5), timeout=5, max_attempts=9, retry=60, retry_max=3600
    )
    waits = [settings.backoff(attempts).total_seconds() for attempts in range(1, 9)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_mail_refused_every_time_is_given_up_after_the_last_attempt_and_kept(
    app: Flask, smtp: SmtpServer, engine: Engine, make_user, enqueue
) -> None:
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    enqueue(make_user(email="cara@example.org"))
    smtp.refuse(*["421 4.3.2 Service shutting down"] * 3)

    reports = [deliver(app, engine, timedelta(hours=hours)) for hours in (0, 1, 2)]

    assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    [row] = outbox(engine)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "421" in (row.last_error or "")
    assert deliver(app, engine, timedelta(days=1)).handled == 0
    assert smtp.received == []


def test_a_permanent_refusal_of_the_recipient_is_given_up_at_once(
    app: Flask, smtp: SmtpServer, engine: Engine, make_user, enqueue
) -> None:
    enqueue(make_user(email="cara@example.org"))
    smtp.refuse("550 5.1.1 No such mailbox")

    report = deliver(app, engine)

    assert (report.retrying, report.failed) == (0, 1)
    [row] = outbox(engine)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "No such mailbox" in (row.last_error or "")


def test_a_crash_between_sending_and_recording_sends_the_mail_again_once(
    app: Flask,
    smtp: SmtpServer,
    engine: Engine,
    make_user,
    enqueue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enqueue(make_user(email="cara@example.org"))

    def crash(*_args: Any) -> None:
        raise SystemExit("the worker died before recording")

    with monkeypatch.context() as patched:
        patched.setattr(delivery, "record_sent", crash)
        patched.setattr(delivery, "release", lambda *_args: None)  # a dead worker releases nothing
        with pytest.raises(SystemExit):
            deliver(app, engine)
    assert len(smtp.wait_for(1)) == 1
    # The lease still holds it: nobody sends it before it expires...
    assert deliver(app, engine, timedelta(seconds=60)).handled == 0
    # ...and after it expires it goes once more, then never again.
    assert deliver(app, engine, timedelta(seconds=301)).sent == 1
    assert deliver(app, engine, timedelta(hours=2)).handled == 0
    copies = smtp.wait_for(2)
    assert len(copies) == 2
    assert copies[0].message["Message-ID"] == copies[1].message["Message-ID"]
    [row] = outbox(engine)
    assert (row.status, row.attempts) == ("sent", 2)


def _worker_env(database_url: str, smtp: SmtpServer, **settings: Any) -> dict[str, str]:
    """The environment of a `flask deliver-mail` process on the test database."""
    env = dict(os.environ)
    env.update(
        {
            "TRAINERPATH_DATABASE_URL": database_url,
            "TRAINERPATH_SECRET_KEY": "a-worker-secret",
            **{f"TRAINERPATH_{name}": str(value) for name, value in smtp.settings.items()},
            **{f"TRAINERPATH_{name}": str(value) for name, value in settings.items()},
        }
    )
    return env


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "flask", "--app", "trainerpath", "deliver-mail"]
    with log.open("ab") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_two_workers_at_once_never_send_a_mail_twice(
    app: Flask,
    smtp: SmtpServer,
    engine: Engine,
    database_url: str,
    make_user,
    enqueue,
    tmp_path: Path,
) -> None:
    people = [make_user() for _ in range(4)]
    for n in range(40):
        enqueue(people[n % 4], n)
    # The first mail waits for the other worker, however slowly it starts: a long timeout.
    env = _worker_env(database_url, smtp, MAIL_BATCH_SIZE=3, MAIL_TIMEOUT=90)
    smtp.await_senders(2)  # no mail is accepted until both workers are sending: they overlap
    smtp.inbox.delay = 0.05
    logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]

    workers = [_worker(env, log) for log in logs]
    codes = [worker.wait(timeout=180) for worker in workers]

    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0], outputs
    arrived = smtp.wait_for(40)
    ids = [mail.message["Message-ID"] for mail in arrived]
    rows = outbox(engine)
    assert len(ids) == 40 and len(set(ids)) == 40, outputs
    assert sorted(ids) == sorted(row.message_id for row in rows)
    assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}
    # Each worker sent its own claims, and between them every mail once.
    sent = [int(match[1]) for match in (re.search(r"Sent (\d+) mail", o) for o in outputs) if match]
    assert sum(sent) == 40 and min(sent) > 0, outputs


@pytest.mark.slow
def test_a_worker_killed_mid_batch_leaves_its_mails_to_be_sent_after_the_lease(
    app: Flask,
    smtp: SmtpServer,
    engine: Engine,
    database_url: str,
    make_user,
    enqueue,
    tmp_path: Path,
) -> None:
    for n in range(3):
        enqueue(make_user(), n)
    smtp.hold()  # the first mail stops in the middle of its DATA
    log = tmp_path / "worker.log"
    worker = _worker(_worker_env(database_url, smtp), log)
    assert smtp.inbox.held.wait(60), log.read_text()

    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    smtp.release()

    claimed = outbox(engine)
    assert [(row.status, row.attempts, row.claimed_until is not None) for row in claimed] == [
        ("pending", 1, True)
    ] * 3
    assert deliver(app, engine).handled == 0  # leased to the dead worker
    time.sleep(0.2)
    report = deliver(app, engine, timedelta(seconds=301))  # MAIL_LEASE_SECONDS has passed
    assert report.sent == 3
    arrived = smtp.wait_for(3)
    assert sorted(mail.subject for mail in arrived) == [
        f"New feedback #{n} from your mentor" for n in range(3)
    ]
    assert {row.status for row in outbox(engine)} == {"sent"}


def test_without_a_mail_server_mails_are_written_as_eml_files(
    app_config: dict[str, Any], engine: Engine, make_user, tmp_path: Path
) -> None:
    from email import message_from_bytes, policy

    from trainerpath import create_app

    offline = create_app({**app_config, "MAIL_BACKEND": "eml", "MAIL_FILE_PATH": str(tmp_path)})
    cara = make_user(email="cara@example.org")
    with offline.app_context(), Session(engine) as session:
        enqueue_mail(
            session,
            user=session.get(User, cara.id),  # type: ignore[arg-type]
            kind=FEEDBACK,
            subject="New feedback",
            template="notification",
            context={"headline": "Feedback waits."},
            link="/candidate",
        )
        session.commit()
        assert delivery.deliver_due(offline, engine).sent == 1
    offline.extensions["trainerpath.engine"].dispose()

    [written] = list(tmp_path.glob("*.eml"))
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == "cara@example.org"
    assert message["Subject"] == "New feedback"
    assert "http://trainerpath.test/candidate" in message.get_body(("plain",)).get_content()
