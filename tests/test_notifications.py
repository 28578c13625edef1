"""In-app notifications at the service level: each cause writes its notification in the
same transaction, to the right people (never the actor), batched where the kind says so;
recipients read, count and mark only their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import People, pk
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import Enrollment, EvidenceBase, Mentorship, Notification, User
from trainerpath.paging import PageRequest
from trainerpath.services import notifications
from trainerpath.services.errors import NotFound
from trainerpath.services.evidence import (
    correct_evidence,
    delete_evidence,
    log_evidence,
    review_evidence,
)
from trainerpath.services.feedback import leave_feedback
from trainerpath.services.pathways import fire_event
from trainerpath.services.users import assign_mentor, create_user, end_mentorship

pytestmark = pytest.mark.without_app

KIND = "teaching-sessions"
SESSION_FIELDS = {
    "title": "CSM Leeds",
    "course_type": "scrum_master",
    "first_day": "2024-03-04",
    "days": 2,
    "students": 12,
    "context": "independent",
}


def of(session: Session, user: User, kind: str | None = None) -> list[Notification]:
    """The user's notifications (of one kind), newest first, as stored now."""
    session.expire_all()
    stmt = select(Notification).where(col(Notification.recipient_id) == user.id)
    if kind is not None:
        stmt = stmt.where(col(Notification.kind) == kind)
    return list(session.scalars(stmt.order_by(col(Notification.id).desc())))


def log(session: Session, candidate: User, **changes: Any) -> EvidenceBase:
    item = log_evidence(
        session=session,
        actor=candidate,
        candidate_id=pk(candidate),
        kind=KIND,
        data=SESSION_FIELDS | changes,
    )
    session.commit()
    return item


def review(
    session: Session, actor: User, item: EvidenceBase, decision: str, note: str = ""
) -> None:
    review_evidence(
        session=session, actor=actor, kind=KIND, item_id=pk(item), decision=decision, note=note
    )
    session.commit()


# -- Evidence reviewed -----------------------------------------------------------------


def test_a_verified_item_tells_the_candidate_with_a_link_to_their_verified_items(
    session: Session, people: People
) -> None:
    item = log(session, people.candidate)
    review(session, people.mentor, item, "verified")
    (told,) = of(session, people.candidate)
    assert told.kind == "evidence.verified"
    assert (
        told.title == "Mo Mentor verified your teaching session "
        "“CSM Leeds: 12 students, 2 days from 4 Mar 2024”"
    )
    assert told.link == f"/evidence/{KIND}?status=verified#item-{KIND}-{item.id}"
    assert told.subject == f"{KIND}/{item.id}" and told.candidate_id == people.candidate.id
    assert told.read_at is None and told.count == 1


def test_a_rejected_item_tells_the_candidate_the_note_and_links_to_its_correction(
    session: Session, people: People
) -> None:
    item = log(session, people.candidate)
    review(session, people.admin, item, "rejected", "Add the co-trainer's name.")
    (told,) = of(session, people.candidate)
    assert told.kind == "evidence.rejected"
    assert told.title.startswith("Ada Admin rejected your teaching session")
    assert told.body == "Add the co-trainer's name."
    assert told.link == f"/evidence/{KIND}/{item.id}/edit"


def test_a_refused_review_writes_no_notification(session: Session, people: People) -> None:
    item = log(session, people.candidate)
    with pytest.raises(Exception, match="note is required"):
        review(session, people.mentor, item, "rejected", "   ")
    session.rollback()
    assert of(session, people.candidate) == []


def test_a_notification_goes_with_its_transaction_when_it_rolls_back(
    session: Session, people: People
) -> None:
    people.mentor  # noqa: B018 -- assigned before the evidence is logged
    log_evidence(
        session=session,
        actor=people.candidate,
        candidate_id=pk(people.candidate),
        kind=KIND,
        data=SESSION_FIELDS,
    )
    assert len(of(session, people.mentor)) == 1  # flushed in the transaction...
    session.rollback()
    assert of(session, people.mentor) == []  # ...and gone with it


# -- Evidence waiting: batched ---------------------------------------------------------


def test_new_evidence_tells_each_assigned_mentor_once_and_nobody_else(
    session: Session, people: People, make_user: Callable[..., User], assign: Callable[..., Any]
) -> None:
    second = make_user(role="mentor", name="Sam Second")
    assign(second, people.candidate)
    people.mentor, people.unassigned_mentor  # noqa: B018
    item = log(session, people.candidate)
    for mentor in (people.mentor, second):
        (told,) = of(session, mentor)
        assert told.kind == "evidence.waiting" and told.count == 1
        assert told.title == "New or corrected evidence from Cara Candidate waits for your review"
        assert told.link == f"/mentor/reviews?candidate={people.candidate.id}"
        assert told.subject == f"{KIND}/{item.id}"
    assert of(session, people.unassigned_mentor) == []
    assert of(session, people.candidate) == []  # nobody is told of their own action


def test_two_items_make_one_unread_notification_counting_two(
    session: Session, people: People
) -> None:
    people.mentor  # noqa: B018
    log(session, people.candidate)
    second = log(session, people.candidate, title="PSM Bristol")
    (told,) = of(session, people.mentor)
    assert told.count == 2
    assert told.subject == f"{KIND}/{second.id}"  # the latest item
    assert notifications.message(told).endswith("waits for your review (2 items)")


def test_after_the_mentor_reads_it_a_new_item_starts_a_new_notification(
    session: Session, people: People
) -> None:
    people.mentor  # noqa: B018
    log(session, people.candidate)
    log(session, people.candidate)
    notifications.mark_all_read(session, user=people.mentor)
    session.commit()
    log(session, people.candidate)
    newer, older = of(session, people.mentor)
    assert (newer.count, newer.read_at) == (1, None)
    assert older.count == 2 and older.read_at is not None


def test_reviewing_items_lowers_the_count_and_the_last_review_marks_it_read(
    session: Session, people: People
) -> None:
    people.mentor  # noqa: B018
    first = log(session, people.candidate)
    second = log(session, people.candidate)
    review(session, people.mentor, first, "verified")
    (told,) = of(session, people.mentor)
    assert (told.count, told.read_at) == (1, None)
    review(session, people.admin, second, "rejected", "Dates?")
    (told,) = of(session, people.mentor)
    assert told.read_at is not None  # nothing waits any more
    assert notifications.unread_count(session, people.mentor) == 0


def test_deleting_the_only_waiting_item_marks_the_mentors_notification_read(
    session: Session, people: People
) -> None:
    people.mentor  # noqa: B018
    item = log(session, people.candidate)
    delete_evidence(session=session, actor=people.candidate, kind=KIND, item_id=pk(item))
    session.commit()
    (told,) = of(session, people.mentor)
    assert told.read_at is not None


def test_editing_a_waiting_item_never_counts_more_items_than_wait(
    session: Session, people: People
) -> None:
    people.mentor  # noqa: B018
    item = log(session, people.candidate)
    correct_evidence(
        session=session, actor=people.candidate, kind=KIND, item_id=pk(item), changes={"days": 3}
    )
    session.commit()
    (told,) = of(session, people.mentor)
    assert told.count == 1


def test_correcting_a_rejected_item_tells_the_mentor_and_settles_the_rejection(
    session: Session, people: People
) -> None:
    people.mentor  # noqa: B018
    item = log(session, people.candidate)
    review(session, people.mentor, item, "rejected", "Students?")
    correct_evidence(
        session=session,
        actor=people.candidate,
        kind=KIND,
        item_id=pk(item),
        changes={"students": 14},
    )
    session.commit()
    (rejection,) = of(session, people.candidate)
    assert rejection.read_at is not None  # acted on: no longer announced as new
    waiting = of(session, people.mentor, "evidence.waiting")
    assert [(n.count, n.read_at is None) for n in waiting] == [(1, True), (1, False)]


# -- Feedback, outcomes, mentorships, candidates without a mentor ---------------------------


def test_feedback_tells_the_candidate_what_was_said(session: Session, people: People) -> None:
    leave_feedback(
        session=session, actor=people.mentor, candidate_id=pk(people.candidate), body="Great CSM!"
    )
    session.commit()
    (told,) = of(session, people.candidate)
    assert told.kind == "feedback.received"
    assert (told.title, told.body) == ("Mo Mentor left you feedback", "Great CSM!")
    assert told.link == "/candidate#feedback-summary"


def test_an_outcome_a_mentor_records_tells_the_candidate(
    session: Session, people: People, make_enrollment: Callable[..., Enrollment]
) -> None:
    enrollment = make_enrollment(people.candidate, "cst", state="tac_review")
    fire_event(
        session=session,
        enrollment=enrollment,
        event="tac_decline",
        actor=people.mentor,
        note="More co-training first.",
    )
    session.commit()
    (told,) = of(session, people.candidate)
    assert told.kind == "enrollment.outcome"
    assert told.title == (
        "Mo Mentor recorded on your Certified Scrum Trainer enrollment: Declined by the TAC. "
        "Now: Preparing."
    )
    assert told.body == "More co-training first."
    assert told.link == f"/candidate#enrollment-{enrollment.id}"


def test_an_event_the_candidate_fires_notifies_nobody(
    session: Session, people: People, make_enrollment: Callable[..., Enrollment]
) -> None:
    enrollment = make_enrollment(people.candidate, "cst")
    people.mentor  # noqa: B018
    fire_event(session=session, enrollment=enrollment, event="withdraw", actor=people.candidate)
    session.commit()
    assert of(session, people.candidate) == [] and of(session, people.mentor) == []


def test_assigning_a_mentor_tells_the_mentor_and_the_candidate(
    session: Session, people: People, make_user: Callable[..., User]
) -> None:
    mentor = make_user(role="mentor", name="Nia New")
    assign_mentor(
        session=session, actor=people.admin, mentor_id=pk(mentor), candidate_id=pk(people.candidate)
    )
    session.commit()
    (to_mentor,) = of(session, mentor)
    (to_candidate,) = of(session, people.candidate, "mentorship.assigned")
    assert (to_mentor.title, to_mentor.link) == (
        "You now mentor Cara Candidate",
        f"/mentor/candidates/{people.candidate.id}",
    )
    assert (to_candidate.title, to_candidate.link) == ("Nia New is now your mentor", "/candidate")
    assert of(session, people.admin, "mentorship.assigned") == []  # their own action


def test_a_new_candidate_tells_every_active_admin_but_the_one_who_created_them(
    session: Session, make_user: Callable[..., User]
) -> None:
    creator = make_user(role="admin", name="Ada Admin")
    other = make_user(role="admin", name="Oli Other")
    gone = make_user(role="admin", name="Gil Gone", is_active=False)
    candidate = create_user(
        session=session,
        email="new@example.org",
        name="Nora New",
        password="long enough",
        actor=creator,
    )
    session.commit()
    (told,) = of(session, other)
    assert told.kind == "candidate.unassigned"
    assert told.title == "Nora New signed up and has no mentor"
    assert told.link == "/admin/mentorships?candidate=new%40example.org"
    assert told.candidate_id == candidate.id
    assert of(session, creator) == [] and of(session, gone) == []


def test_a_new_mentor_tells_nobody(session: Session, make_user: Callable[..., User]) -> None:
    admin = make_user(role="admin")
    make_user(role="mentor")
    assert of(session, admin) == []


def test_ending_a_candidates_last_mentorship_tells_the_admins(
    session: Session, people: People, make_user: Callable[..., User], assign: Callable[..., Any]
) -> None:
    first = assign(people.mentor, people.other_candidate)
    second = assign(make_user(role="mentor"), people.other_candidate)
    watcher = make_user(role="admin", name="Wes Watcher")
    end_mentorship(session=session, actor=people.admin, mentorship_id=pk(first))
    session.commit()
    assert of(session, watcher) == []  # another mentor remains
    end_mentorship(session=session, actor=people.admin, mentorship_id=pk(second))
    session.commit()
    (told,) = of(session, watcher)
    assert told.title == "Otto Other has no mentor"


def test_a_mentor_whose_mentorship_ends_no_longer_hears_of_the_candidates_evidence(
    session: Session, people: People, make_user: Callable[..., User], assign: Callable[..., Any]
) -> None:
    """The ended mentor's unread "evidence waiting" is marked read (no longer theirs to
    review); another mentor's stays as it was."""
    people.mentor  # noqa: B018  (assigned before the evidence is logged)
    other_mentor = make_user(role="mentor", name="Meg Mentor")
    assign(other_mentor, people.candidate)
    log(session, people.candidate)
    mentorship = session.scalars(
        select(Mentorship).where(
            Mentorship.mentor_id == people.mentor.id,
            Mentorship.candidate_id == people.candidate.id,
        )
    ).one()
    end_mentorship(session=session, actor=people.admin, mentorship_id=pk(mentorship))
    session.commit()
    (ended,) = of(session, people.mentor, "evidence.waiting")
    assert ended.read_at is not None
    (kept,) = of(session, other_mentor, "evidence.waiting")
    assert kept.read_at is None and kept.count == 1


# -- The recipient's side ----------------------------------------------------------------


def test_mark_read_keeps_the_first_time_and_refuses_someone_elses(
    session: Session, people: People
) -> None:
    leave_feedback(
        session=session, actor=people.mentor, candidate_id=pk(people.candidate), body="Hi"
    )
    session.commit()
    (told,) = of(session, people.candidate)
    first = notifications.mark_read(session, user=people.candidate, notification_id=pk(told))
    session.commit()
    again = notifications.mark_read(session, user=people.candidate, notification_id=pk(told))
    assert first.read_at is not None and again.read_at == first.read_at
    with pytest.raises(NotFound):
        notifications.mark_read(session, user=people.mentor, notification_id=pk(told))


def test_mark_all_read_marks_only_ones_own(session: Session, people: People) -> None:
    people.mentor  # noqa: B018
    log(session, people.candidate)  # the mentor is told
    leave_feedback(
        session=session, actor=people.mentor, candidate_id=pk(people.candidate), body="Hi"
    )
    session.commit()
    assert notifications.mark_all_read(session, user=people.candidate) == 1
    session.commit()
    assert notifications.unread_count(session, people.candidate) == 0
    assert notifications.unread_count(session, people.mentor) == 1


def test_the_list_is_ones_own_newest_first_in_pages_and_can_show_unread_only(
    session: Session, people: People
) -> None:
    for n in range(5):
        leave_feedback(
            session=session, actor=people.mentor, candidate_id=pk(people.candidate), body=f"#{n}"
        )
    log(session, people.candidate)  # the mentor's, not the candidate's
    session.commit()
    first = notifications.notifications_page(session, people.candidate, PageRequest(1, 2))
    assert [n.body for n in first.items] == ["#4", "#3"] and first.total == 5
    last = notifications.notifications_page(session, people.candidate, PageRequest(3, 2))
    assert [n.body for n in last.items] == ["#0"]
    notifications.mark_read(session, user=people.candidate, notification_id=pk(first.items[0]))
    unread = notifications.notifications_page(
        session, people.candidate, PageRequest(1, 50), unread_only=True
    )
    assert [n.body for n in unread.items] == ["#3", "#2", "#1", "#0"]


def test_the_unread_count_stops_one_past_the_limit(session: Session, people: People) -> None:
    for n in range(notifications.UNREAD_COUNT_LIMIT + 5):
        notifications.notify(
            session=session,
            kind="feedback.received",
            recipients=[pk(people.candidate)],
            actor=None,
            subject=f"feedback/{n}",
            title="Hello",
            link="/candidate",
        )
    session.commit()
    assert (
        notifications.unread_count(session, people.candidate)
        == notifications.UNREAD_COUNT_LIMIT + 1
    )


def test_assigning_a_mentor_settles_the_admins_news_that_the_candidate_had_none(
    session: Session, make_user: Callable[..., User]
) -> None:
    admin = make_user(role="admin", name="Ada Admin")
    candidate = make_user(name="Nora New")
    (news,) = of(session, admin)
    assert news.kind == "candidate.unassigned" and news.read_at is None
    assign_mentor(
        session=session,
        actor=admin,
        mentor_id=pk(make_user(role="mentor")),
        candidate_id=pk(candidate),
    )
    session.commit()
    (news,) = of(session, admin)
    assert news.read_at is not None
