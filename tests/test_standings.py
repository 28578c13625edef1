"""A stored standing is never shown stale (issue 9).

After every kind of change (evidence logged, corrected, deleted, reviewed; an
enrollment created, switched, moved on) the stored standing equals a fresh
measurement; when the day moves past a credential's expiry or a window's edge, what
the views read is measured again for the new day, never yesterday's row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import pk
from sqlalchemy import select, true, update
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath import clock
from trainerpath.dashboards.candidates_table import CandidateFilters, candidate_table
from trainerpath.models import Enrollment, EvidenceBase, Standing, User
from trainerpath.paging import PageRequest
from trainerpath.pathways import fingerprint
from trainerpath.pathways.calendar import window_start
from trainerpath.pathways.cst_2024 import WINDOW_MONTHS
from trainerpath.queries import transition_histories
from trainerpath.services import standings
from trainerpath.services.evidence import (
    correct_evidence,
    delete_evidence,
    log_evidence,
    review_evidence,
)
from trainerpath.services.pathways import enrol, fire_event, switch_ruleset

pytestmark = pytest.mark.without_app  # services need no Flask app

TODAY = clock.today()


def stored(session: Session, enrollment: Enrollment) -> standings.EnrollmentStanding:
    """The standing as stored, read back in a fresh transaction."""
    assert enrollment.id is not None
    session.expire_all()
    row = standings.stored_standing(session, enrollment.id)
    assert row is not None, "no standing was stored"
    assert (row.ruleset, row.track, row.state) == (
        enrollment.ruleset,
        enrollment.track,
        enrollment.state,
    )
    return standings._decoded(row)


def fresh(
    session: Session, enrollment: Enrollment, day: date = TODAY
) -> standings.EnrollmentStanding:
    """The standing measured now, from the evidence."""
    assert enrollment.id is not None
    return standings.measure(session, [enrollment], day)[enrollment.id]


def as_a_view_reads(session: Session, enrollment: Enrollment) -> standings.EnrollmentStanding:
    """The standing as a view reads it on ``clock.today()``: stored, or measured again."""
    assert enrollment.id is not None
    found = standings.enrollment_with_history(session, enrollment.id)
    assert found is not None
    return standings.standings_of(session, [found.paired])[enrollment.id]


def assert_current(session: Session, enrollment: Enrollment) -> None:
    """The stored standing is today's and equals a fresh measurement."""
    kept = stored(session, enrollment)
    assert kept.day == TODAY
    assert kept == fresh(session, enrollment)
    assert as_a_view_reads(session, enrollment) == kept  # the other rulesets' figures too


def met(standing: standings.EnrollmentStanding) -> dict[str, bool]:
    return {requirement.key: requirement.met for requirement in standing.requirements}


@pytest.fixture
def cst(session: Session, people: Any) -> Enrollment:
    """The candidate enrolled on cst@2 (ScrumMaster track), through the service."""
    enrollment = enrol(
        session=session, actor=people.candidate, candidate_id=people.candidate.id, pathway="cst"
    )
    session.commit()
    return enrollment


def log(session: Session, candidate: User, kind: str, /, **data: Any) -> EvidenceBase:
    item = log_evidence(
        session=session, actor=candidate, candidate_id=candidate.id or 0, kind=kind, data=data
    )
    session.commit()
    return item


def test_enrolling_stores_the_standing_of_the_new_enrollment(
    session: Session, cst: Enrollment
) -> None:
    assert_current(session, cst)
    # Preparing: the standing under the first rules is kept too, for the switch choice.
    assert [other.ruleset for other in stored(session, cst).others] == ["cst@1"]


def test_every_change_to_evidence_and_reviews_is_in_the_standing_when_it_commits(
    session: Session, people: Any, cst: Enrollment
) -> None:
    candidate, mentor = people.candidate, people.mentor
    credential = log(
        session, candidate, "credentials", kind="csp_sm", issued_on=TODAY - timedelta(days=40)
    )
    assert_current(session, cst)
    assert stored(session, cst).requirements[0].pending == 1

    review_evidence(
        session=session,
        actor=mentor,
        kind="credentials",
        item_id=credential.id or 0,
        decision="verified",
    )
    session.commit()
    assert_current(session, cst)
    assert met(stored(session, cst))["csp_active"] is True

    course = log(
        session,
        candidate,
        "teaching-sessions",
        title="CSM",
        course_type="scrum_master",
        first_day=TODAY - timedelta(days=20),
        days=2,
        students=12,
        context="co_trained",
        co_trainer="Rebecca Hart, CST",
    )
    assert_current(session, cst)
    review_evidence(
        session=session,
        actor=mentor,
        kind="teaching-sessions",
        item_id=course.id or 0,
        decision="rejected",
        note="Which organisation?",
    )
    session.commit()
    assert_current(session, cst)
    correct_evidence(
        session=session,
        actor=candidate,
        kind="teaching-sessions",
        item_id=course.id or 0,
        changes={"students": 14},
    )
    session.commit()
    assert_current(session, cst)
    delete_evidence(
        session=session, actor=candidate, kind="teaching-sessions", item_id=course.id or 0
    )
    session.commit()
    assert_current(session, cst)


def test_a_refused_change_leaves_the_stored_standing_as_it_was(
    session: Session, people: Any, cst: Enrollment
) -> None:
    before = stored(session, cst)
    log_evidence(
        session=session,
        actor=people.candidate,
        candidate_id=people.candidate.id,
        kind="credentials",
        data={"kind": "csp_sm", "issued_on": TODAY - timedelta(days=3)},
    )
    session.rollback()
    assert stored(session, cst) == before


def test_switching_rules_and_firing_events_store_the_new_standing(
    session: Session, people: Any, cst: Enrollment
) -> None:
    candidate, admin = people.candidate, people.admin
    switch_ruleset(session=session, actor=candidate, enrollment=cst, ruleset="cst@1")
    session.commit()
    assert_current(session, cst)
    assert [other.ruleset for other in stored(session, cst).others] == ["cst@2"]

    switch_ruleset(
        session=session, actor=candidate, enrollment=cst, ruleset="cst@2", track="product_owner"
    )
    session.commit()
    assert_current(session, cst)

    fire_event(session=session, enrollment=cst, event="withdraw", actor=admin, note="Paused")
    session.commit()
    assert cst.state == "withdrawn"
    assert_current(session, cst)
    assert stored(session, cst).others == []  # no switching while withdrawn


def test_a_change_made_outside_the_services_is_measured_when_it_commits(
    session: Session, people: Any, cst: Enrollment, make_evidence: Callable[..., EvidenceBase]
) -> None:
    make_evidence(
        people.candidate, "credentials", kind="csp_sm", issued_on=TODAY - timedelta(days=9)
    )
    assert_current(session, cst)
    assert met(stored(session, cst))["csp_active"] is True


def test_the_day_a_credential_expires_the_views_read_it_as_expired(
    session: Session, people: Any, cst: Enrollment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A CSP lasts two years: issued two years ago tomorrow, it is active through today.
    issued = TODAY.replace(year=TODAY.year - 2) + timedelta(days=1)
    make = log(session, people.candidate, "credentials", kind="csp_sm", issued_on=issued)
    review_evidence(
        session=session,
        actor=people.mentor,
        kind="credentials",
        item_id=make.id or 0,
        decision="verified",
    )
    session.commit()
    assert met(stored(session, cst))["csp_active"] is True

    tomorrow = TODAY + timedelta(days=2)
    monkeypatch.setattr(clock, "today", lambda: tomorrow)
    read = as_a_view_reads(session, cst)
    assert read.day == tomorrow
    assert read == fresh(session, cst, tomorrow)
    assert met(read)["csp_active"] is False
    session.commit()  # outside a request, the view's session keeps what it measured
    session.expire_all()
    row = session.get(Standing, cst.id)
    assert row is not None and row.computed_on == tomorrow


def test_a_course_leaving_the_window_is_no_longer_counted_the_next_day(
    session: Session, people: Any, cst: Enrollment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 60-month window of cst@2: a course on its first day leaves it tomorrow.
    first_day = window_start(TODAY, WINDOW_MONTHS)
    course = log(
        session,
        people.candidate,
        "teaching-sessions",
        title="CSM",
        course_type="scrum_master",
        first_day=first_day,
        days=2,
        students=12,
        context="co_trained",
        co_trainer="Rebecca Hart, CST",
        share_delivered=50,
        reflection="I now close with a retrospective.",
    )
    review_evidence(
        session=session,
        actor=people.mentor,
        kind="teaching-sessions",
        item_id=course.id or 0,
        decision="verified",
    )
    session.commit()
    today_count = {r.key: r.current for r in stored(session, cst).requirements}["qualifying_events"]
    assert today_count == 1

    later = TODAY + timedelta(days=40)
    monkeypatch.setattr(clock, "today", lambda: later)
    read = as_a_view_reads(session, cst)
    assert {r.key: r.current for r in read.requirements}["qualifying_events"] == 0
    assert read == fresh(session, cst, later)


def test_a_standing_stored_for_another_state_is_measured_again(
    session: Session, cst: Enrollment
) -> None:
    # Even a row that missed a change (written by hand here) is never shown.
    session.execute(
        update(Standing).where(col(Standing.enrollment_id) == cst.id).values(state="tac_review")
    )
    session.commit()
    assert as_a_view_reads(session, cst) == fresh(session, cst)


def test_a_standing_measured_by_other_code_is_measured_again(
    session: Session, cst: Enrollment, people: Any
) -> None:
    """A deployment that changes the measuring or its words leaves no standing of the
    day as the old code stored it: the view, the mentor's summary and the daily refresh
    all see the other fingerprint."""
    measured = [r.as_json() for r in fresh(session, cst).requirements]
    wrong = [r | {"message": "as the old code said it", "met": True} for r in measured]
    session.execute(
        update(Standing)
        .where(col(Standing.enrollment_id) == cst.id)
        .values(measured_by="0" * 16, requirements=wrong, met=99)
    )
    session.commit()
    assert people.candidate.id in standings.outdated_candidates(session, TODAY)
    assert as_a_view_reads(session, cst) == fresh(session, cst)
    found = session.execute(
        select(Enrollment, *standings.SUMMARY_COLUMNS)
        .join(Standing, col(Standing.enrollment_id) == col(Enrollment.id))
        .where(col(Enrollment.id) == cst.id)
    ).one()
    summary = standings.summaries_of(session, [(found[0], found[1:])], TODAY)[cst.id or 0]
    assert summary.met == sum(met(fresh(session, cst)).values())
    standings.refresh(session, standings.outdated_candidates(session, TODAY), TODAY)
    session.commit()
    assert_current(session, cst)
    assert standings.outdated_candidates(session, TODAY) == []


def test_the_candidates_table_measures_a_standing_of_other_code_before_sorting(
    session: Session, cst: Enrollment
) -> None:
    """The table sorts and filters by the stored figures, so its daily refresh also
    finds a standing of the day that other code measured."""
    session.execute(
        update(Standing)
        .where(col(Standing.enrollment_id) == cst.id)
        .values(measured_by="f" * 16, met=99)
    )
    session.commit()
    standings.refresh_stale(session, true(), TODAY)
    session.commit()
    row = session.execute(
        select(Standing.measured_by, Standing.met).where(col(Standing.enrollment_id) == cst.id)
    ).one()
    assert tuple(row) == (fingerprint.MEASURED_BY, sum(met(fresh(session, cst)).values()))
    assert_current(session, cst)


def test_the_candidates_table_sorted_by_name_measures_only_its_pages_stale_standings(
    session: Session,
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first view of a day measured every candidate's standing before showing 20
    (17 s on 10,000 candidates); only an order or a filter by the figures needs them all."""
    admin = make_user(role="admin")
    for _ in range(6):
        candidate = make_user()
        enrol(session=session, actor=candidate, candidate_id=pk(candidate), pathway="cst")
    session.commit()
    measured: list[int] = []
    measure = standings.measure

    def counting(session: Session, enrollments: Any, today: date) -> Any:
        measured.append(len(enrollments))
        return measure(session, enrollments, today)

    monkeypatch.setattr(standings, "measure", counting)
    tomorrow = TODAY + timedelta(days=1)  # every stored standing is of yesterday now
    two = PageRequest(per_page=2)

    shown = candidate_table(session, admin, CandidateFilters(), two, tomorrow)
    assert measured == [2] and len(shown.items) == 2
    assert all(row.total for row in shown.items)  # their figures, measured for tomorrow
    candidate_table(session, admin, CandidateFilters(sort="progress"), two, tomorrow)
    assert measured[1:] == [4]  # the other four, all before sorting by them
    session.commit()
    assert standings.outdated_candidates(session, tomorrow) == []


def test_the_fingerprint_follows_the_measuring_code(tmp_path: Path) -> None:
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("MESSAGE = 'needed'\n")
    second.write_text("X = 1\n")
    before = fingerprint.fingerprint((first, second))
    assert before == fingerprint.fingerprint((first, second))
    first.write_text("MESSAGE = 'is needed'\n")
    assert fingerprint.fingerprint((first, second)) != before
    assert len(fingerprint.MEASURED_BY) == fingerprint.LENGTH
    assert {path.name for path in fingerprint.SOURCES} >= {"vocabulary.py", "standings.py"}


def test_a_view_that_measured_an_older_snapshot_does_not_overwrite_a_newer_standing(
    session: Session, people: Any, cst: Enrollment
) -> None:
    row = session.execute(
        select(Standing).where(col(Standing.enrollment_id) == cst.id)
    ).scalar_one()
    read_revision = row.revision
    old = fresh(session, cst)
    log(
        session, people.candidate, "credentials", kind="csp_sm", issued_on=TODAY - timedelta(days=5)
    )
    newer = stored(session, cst)
    assert newer != old

    session.commit()  # a view reads without holding SQLite's write lock
    engine = session.get_bind()
    values = standings._stored_values(cst, old)
    standings._write_back(engine, [(values, read_revision)])  # type: ignore[arg-type]
    assert stored(session, cst) == newer


def test_an_enrollment_is_read_with_its_history_as_the_history_reads_alone(
    session: Session, people: Any, cst: Enrollment
) -> None:
    assert cst.id is not None
    (fresh_one,) = standings.enrollments_with_history(session, people.candidate.id)
    assert fresh_one.paired[0].id == cst.id
    assert (fresh_one.history, fresh_one.actor_names) == ([], {})

    admin = people.admin
    fire_event(session=session, enrollment=cst, event="withdraw", actor=admin, note="Paused")
    session.commit()
    fire_event(session=session, enrollment=cst, event="resume", actor=people.candidate)
    session.commit()

    history, names = transition_histories(session, [cst.id])
    found = standings.enrollment_with_history(session, cst.id)
    assert found is not None
    assert [entry.event for entry in found.history] == ["withdraw", "resume"]
    assert found.history == history[cst.id]  # the same values, times included
    assert (
        found.actor_names
        == names
        == {admin.id: admin.name, people.candidate.id: people.candidate.name}
    )
    assert standings.enrollment_with_history(session, cst.id + 1000) is None
