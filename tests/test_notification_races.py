"""The batched ``evidence.waiting`` notification raced from several processes.

However the writes interleave, a mentor has at most one unread waiting notification per
candidate, and every logged item is counted exactly once: the upsert on the partial
unique index raises the count of the unread row or starts a new one after it was read.
The machinery is in tests/racing.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import pk
from racing import Job, race
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import Notification, User
from trainerpath.services.evidence import log_evidence
from trainerpath.services.notifications import mark_all_read

pytestmark = pytest.mark.slow


def log_item(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """The candidate logs a teaching session."""
    candidate = session.get(User, ids["candidate"])
    assert candidate is not None
    ready()
    log_evidence(
        session=session,
        actor=candidate,
        candidate_id=ids["candidate"],
        kind="teaching-sessions",
        data={
            "title": f"Course {index}",
            "course_type": "scrum_master",
            "first_day": "2024-05-06",
            "days": 2,
            "students": 10,
            "context": "independent",
        },
    )


def read_all(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """The mentor marks every notification read."""
    mentor = session.get(User, ids["mentor"])
    assert mentor is not None
    ready()
    mark_all_read(session, user=mentor)


def waiting_rows(engine: Engine, mentor: User) -> list[Notification]:
    with Session(engine) as session:
        stmt = select(Notification).where(
            col(Notification.recipient_id) == mentor.id,
            col(Notification.kind) == "evidence.waiting",
        )
        return list(session.scalars(stmt))


def test_every_item_logged_at_once_is_counted_once_in_one_unread_notification(
    database_url: str,
    engine: Engine,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
) -> None:
    mentor = make_user(role="mentor")
    candidate = make_user()
    assign(mentor, candidate)
    ids = {"mentor": pk(mentor), "candidate": pk(candidate)}
    all_log, log_and_read = race(
        database_url,
        [Job(__name__, ("log_item",), ids), Job(__name__, ("log_item", "read_all"), ids)],
    )
    assert [o.name for o in all_log + log_and_read] == ["ok"] * 8, [
        o.message for o in all_log + log_and_read if o.name != "ok"
    ]
    rows = waiting_rows(engine, mentor)
    assert len([row for row in rows if row.read_at is None]) <= 1
    assert sum(row.count for row in rows) == 4 + 2  # four logs, then two more
