"""Standings stay right when several processes change one candidate's record at once.

Each process logs (or verifies) evidence of the same candidate at the same moment and
commits; whichever commits last must not store a standing that misses what the others
committed. The machinery is in tests/racing.py.

An admin reviews, and the candidate has no mentor: a mentor's unread "evidence waits"
notification would be one row every writer updates, which would make them take turns
by itself, and the test would pass without the candidate's row lock it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import pk
from racing import Job, race
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from trainerpath.models import Enrollment, User
from trainerpath.services import standings
from trainerpath.services.evidence import log_evidence, review_evidence
from trainerpath.services.pathways import enrol

pytestmark = pytest.mark.slow

KIND = "teaching-sessions"


def teach(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """The candidate logs a course they taught."""
    candidate = session.get(User, ids["candidate"])
    assert candidate is not None
    ready()
    log_evidence(
        session=session,
        actor=candidate,
        candidate_id=ids["candidate"],
        kind=KIND,
        data={
            "title": f"CSM {index}",
            "course_type": "scrum_master",
            "first_day": date.today() - timedelta(days=10 + index),
            "days": 2,
            "students": 10 + index,
            "context": "independent",
        },
    )


def verify(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """An admin verifies one of the candidate's pending courses."""
    admin = session.get(User, ids["admin"])
    assert admin is not None
    ready()
    review_evidence(
        session=session, actor=admin, kind=KIND, item_id=ids["item"], decision="verified"
    )


def test_the_last_of_several_concurrent_changes_stores_a_standing_with_all_of_them(
    database_url: str,
    engine: Engine,
    session: Session,
    make_user: Callable[..., User],
    make_evidence: Callable[..., Any],
) -> None:
    admin, candidate = make_user(role="admin"), make_user()
    item = pk(make_evidence(candidate, KIND, status="pending", students=30))
    enrollment = enrol(
        session=session, actor=candidate, candidate_id=pk(candidate), pathway="cst", ruleset="cst@1"
    )
    session.commit()
    ids = {"admin": pk(admin), "candidate": pk(candidate), "item": item}

    outcomes = race(database_url, [Job(__name__, ("teach", "verify", "teach", "teach"), ids)])

    assert [o.name for o in outcomes[0]] == ["ok"] * 4
    with Session(engine) as fresh_session:
        kept = standings.stored_standing(fresh_session, pk(enrollment))
        again = fresh_session.get(Enrollment, enrollment.id)
        assert kept is not None and again is not None
        measured = standings.measure(fresh_session, [again], date.today())[pk(again)]
        assert standings._decoded(kept) == measured
        students = {r.key: (r.current, r.pending) for r in measured.requirements}
        # 30 verified; 10+0, 10+2 and 10+3 logged by processes 0, 2 and 3, pending.
        assert students["students_taught"] == (30, 35)
