"""Review history, bulk verify and turnaround (issue 12, "what a mentor needs").

Each review decision appends a row with the item as the reviewer saw it; a resubmitted
item tells what changed since. Bulk verify verifies what is as the mentor saw it and
names the rest. Turnaround percentiles are checked on a known dataset, on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import People, days_ago, pk
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.dashboards.reviews import item_histories, turnaround_by_mentor, turnaround_of
from trainerpath.models import (
    EvidenceBase,
    Notification,
    ReviewRecord,
    TeachingSession,
    User,
    utcnow,
)
from trainerpath.services import evidence as evidence_service
from trainerpath.services.errors import NotFound
from trainerpath.services.evidence import (
    SeenItem,
    correct_evidence,
    log_evidence,
    review_evidence,
    verify_items,
)

pytestmark = pytest.mark.without_app

COURSE = {
    "title": "Certified ScrumMaster, Leeds",
    "course_type": "scrum_master",
    "first_day": days_ago(20).isoformat(),
    "days": 2,
    "students": 12,
    "context": "independent",
}


def _log(session: Session, candidate: User, **changes: Any) -> EvidenceBase:
    assert candidate.id is not None
    item = log_evidence(
        session=session,
        actor=candidate,
        candidate_id=candidate.id,
        kind="teaching-sessions",
        data=COURSE | changes,
    )
    session.commit()
    return item


def _history(session: Session, item: EvidenceBase) -> list[ReviewRecord]:
    stmt = select(ReviewRecord).where(col(ReviewRecord.evidence_id) == item.id)
    return list(session.scalars(stmt.order_by(col(ReviewRecord.id))))


def test_each_review_appends_a_history_row_and_a_resubmission_shows_what_changed(
    session: Session, people: People
) -> None:
    item = _log(session, people.candidate)
    assert item.id is not None
    review_evidence(
        session=session,
        actor=people.mentor,
        kind="teaching-sessions",
        item_id=item.id,
        decision="rejected",
        note="Only 10 students were on the roster.",
    )
    session.commit()
    correct_evidence(
        session=session,
        actor=people.candidate,
        kind="teaching-sessions",
        item_id=item.id,
        changes={"students": 10, "co_trainer": "Jo Smith"},
    )
    session.commit()

    shown = item_histories(session, "teaching-sessions", [item])[item.id]
    assert shown.resubmitted
    assert [(r.record.decision, r.record.note, r.reviewer) for r in shown.reviews] == [
        ("rejected", "Only 10 students were on the roster.", "Mo Mentor")
    ]
    assert [(c.label, c.before, c.now) for c in shown.changes] == [
        ("Students", "12", "10"),
        ("Co-trainer", "—", "Jo Smith"),
    ]

    review_evidence(
        session=session,
        actor=people.mentor,
        kind="teaching-sessions",
        item_id=item.id,
        decision="verified",
    )
    session.commit()
    rows = _history(session, item)
    assert [(row.decision, row.snapshot["students"]) for row in rows] == [
        ("rejected", 12),
        ("verified", 10),
    ]
    assert all(row.reviewer_id == people.mentor.id for row in rows)
    # The second decision's wait runs from the resubmission, not from the first logging.
    assert rows[1].submitted_at > rows[0].at - timedelta(seconds=1)


def test_bulk_verify_verifies_what_is_as_seen_and_names_the_changed_item(
    session: Session, people: People
) -> None:
    first = _log(session, people.candidate, title="Course A")
    second = _log(session, people.candidate, title="Course B")
    third = _log(session, people.candidate, title="Course C")
    seen = [SeenItem.of("teaching-sessions", item) for item in (first, second, third)]
    assert second.id is not None
    correct_evidence(  # the candidate changes B after the mentor's page showed it
        session=session,
        actor=people.candidate,
        kind="teaching-sessions",
        item_id=second.id,
        changes={"students": 14},
    )
    session.commit()
    tokens = [SeenItem.parse(one.token) for one in seen]
    assert tokens == seen

    outcome = verify_items(session=session, actor=people.mentor, items=seen)
    session.commit()

    assert [name.split(":")[0] for name in outcome.verified] == [
        "Teaching session “Course A",
        "Teaching session “Course C",
    ]
    assert [name.split(":")[0] for name, _why in outcome.left] == ["Teaching session “Course B"]
    statuses = session.execute(
        select(col(TeachingSession.title), col(TeachingSession.review_status)).order_by(
            col(TeachingSession.title)
        )
    ).all()
    assert statuses == [("Course A", "verified"), ("Course B", "pending"), ("Course C", "verified")]
    assert len(session.scalars(select(ReviewRecord)).all()) == 2
    told = session.scalars(
        select(Notification).where(col(Notification.recipient_id) == people.candidate.id)
    ).all()
    assert len(told) == 1  # one notification for the batch, naming both
    assert told[0].title.startswith("Mo Mentor verified 2 items of your evidence: “Course A")
    assert "Course C" in told[0].title and "Course B" not in told[0].title
    assert told[0].link == "/evidence/teaching-sessions?status=verified"


def test_items_of_several_kinds_verified_at_once_link_to_the_dashboards_evidence(
    session: Session, people: People
) -> None:
    course = _log(session, people.candidate, title="Course A")
    milestone = log_evidence(
        session=session,
        actor=people.candidate,
        candidate_id=pk(people.candidate),
        kind="milestones",
        data={"kind": "other", "achieved_on": "2024-01-01"},
    )
    session.commit()
    seen = [SeenItem.of("teaching-sessions", course), SeenItem.of("milestones", milestone)]
    verify_items(session=session, actor=people.mentor, items=seen)
    session.commit()
    (told,) = session.scalars(
        select(Notification).where(col(Notification.recipient_id) == people.candidate.id)
    ).all()
    assert told.link == "/candidate#evidence-title"


def test_an_unassigned_mentor_cannot_bulk_verify_and_nothing_changes(
    session: Session, people: People, assign: Callable[[User, User], Any]
) -> None:
    item = _log(session, people.candidate)
    people.mentor  # noqa: B018 (the candidate has a mentor; it is not this one)
    with pytest.raises(NotFound):
        verify_items(
            session=session,
            actor=people.unassigned_mentor,
            items=[SeenItem.of("teaching-sessions", item)],
        )
    session.rollback()
    session.refresh(item)
    assert item.review_status == "pending"
    assert session.scalars(select(ReviewRecord)).all() == []

    # Mixed with an item of their own, the other candidate's is named as not theirs to
    # review, like a deleted one, and stays pending.
    own = _log(session, people.other_candidate)
    assign(people.unassigned_mentor, people.other_candidate)
    outcome = verify_items(
        session=session,
        actor=people.unassigned_mentor,
        items=[SeenItem.of("teaching-sessions", item), SeenItem.of("teaching-sessions", own)],
    )
    session.commit()
    assert len(outcome.verified) == 1
    assert outcome.left == [
        (
            f"Teaching session no. {item.id}",
            "is no longer waiting for your review (deleted, or no longer your candidate's)",
        )
    ]
    session.refresh(item)
    assert item.review_status == "pending"


def _reviewed(
    session: Session, reviewer: User, candidate: User, waits_hours: list[int], ago_days: int = 1
) -> None:
    """History rows of ``reviewer`` with the given waits, decided ``ago_days`` ago."""
    assert reviewer.id is not None and candidate.id is not None
    at = utcnow() - timedelta(days=ago_days)
    for n, hours in enumerate(waits_hours):
        session.add(
            ReviewRecord(
                evidence_kind="teaching-sessions",
                evidence_id=1000 + n,
                candidate_id=candidate.id,
                decision="verified",
                reviewer_id=reviewer.id,
                at=at,
                submitted_at=at - timedelta(hours=hours),
                waited_seconds=hours * 3600,
                snapshot={},
            )
        )
    session.commit()


def test_turnaround_median_and_p90_on_a_known_dataset(
    session: Session,
    people: People,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_evidence: Callable[..., EvidenceBase],
) -> None:
    mentor, candidate = people.mentor, people.candidate
    # Ten waits (hours): median = (5+6)/2 = 5.5; p90 at position 0.9·9 = 8.1 → 9 + 0.1·(100-9).
    _reviewed(session, mentor, candidate, [1, 2, 3, 4, 5, 6, 7, 8, 9, 100])
    _reviewed(session, mentor, candidate, [500], ago_days=91)  # outside the 90 days
    busy = make_user(role="mentor", name="Bo Busy")
    assign(busy, people.other_candidate)
    _reviewed(session, busy, people.other_candidate, [48, 24, 72])  # median 48, p90 67.2
    for days, status in (
        (1, "pending"),
        (4, "pending"),
        (10, "pending"),
        (20, "pending"),
        (30, "verified"),
    ):
        item = make_evidence(people.other_candidate, "milestones", status=status)
        item.updated_at = utcnow() - timedelta(days=days, hours=1)
        session.commit()

    mine = turnaround_of(session, mentor)
    assert (mine.reviews, mine.median_seconds, mine.p90_seconds) == (
        10,
        19_800,
        65_160,
    )  # 5.5 h and 18.1 h
    assert mine.waiting == (0, 0, 0, 0)

    table = {row.name: row for row in turnaround_by_mentor(session)}
    assert list(table) == ["Bo Busy", "Mo Mentor"]  # the one with the oldest waiting first
    bo = table["Bo Busy"]
    assert (bo.candidates, bo.reviews, bo.median_seconds) == (1, 3, 48 * 3600)
    assert bo.p90_seconds == pytest.approx(67.2 * 3600)
    assert bo.waiting == (1, 1, 1, 1)
    assert table["Mo Mentor"].candidates == 1
    if session.get_bind().dialect.name == "postgresql":
        cont = select(
            func.percentile_cont(0.9).within_group(col(ReviewRecord.waited_seconds))
        ).where(col(ReviewRecord.reviewer_id) == busy.id)
        assert session.execute(cont).scalar_one() == pytest.approx(bo.p90_seconds)


def test_bulk_verify_decides_the_items_in_one_order_whatever_the_forms(
    session: Session, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [_log(session, people.candidate, title=f"Course {n}") for n in "ABC"]
    seen = [SeenItem.of("teaching-sessions", item) for item in reversed(items)]
    decided: list[int] = []
    decide = evidence_service._decide

    def noting(session: Session, *, item: EvidenceBase, **rest: Any) -> Any:
        decided.append(pk(item))
        return decide(session, item=item, **rest)

    monkeypatch.setattr(evidence_service, "_decide", noting)
    outcome = verify_items(session=session, actor=people.mentor, items=seen)
    session.commit()
    # Two reviewers verifying the same items in other orders took the rows in other
    # orders, and PostgreSQL answered one of them with a deadlock (a 500).
    assert decided == sorted(pk(item) for item in items)
    # and the reviewer is told of them in the order of their page
    assert [name.split(":")[0] for name in outcome.verified] == [
        f"Teaching session “Course {n}" for n in "CBA"
    ]
