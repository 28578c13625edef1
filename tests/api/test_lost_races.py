"""A transaction PostgreSQL gives up for another's sake (a deadlock) is a conflict (409,
nothing written), on the API and on the pages alike, not a 500."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from conftest import PASSWORD
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from trainerpath.models import EvidenceBase, ReviewStatus

from .conftest import Api, Cast, error_of


def a_real_deadlock(engine: Engine) -> DBAPIError:
    """Two transactions that each hold a row the other one wants: PostgreSQL ends one."""
    caught: list[DBAPIError] = []
    both_hold = threading.Barrier(2)

    def take(first: int, second: int) -> None:
        with engine.connect() as connection:
            try:
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": first})
                both_hold.wait()
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": second})
            except DBAPIError as error:
                caught.append(error)
            connection.rollback()

    threads = [threading.Thread(target=take, args=pair) for pair in ((71, 72), (72, 71))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(caught) == 1, "PostgreSQL ends exactly one of the two"
    return caught[0]


@pytest.fixture
def deadlocked(engine: Engine) -> Callable[..., None]:
    """A stand-in for a service that raises what PostgreSQL raised in a real deadlock."""
    if engine.dialect.name != "postgresql":
        pytest.skip("a deadlock between transactions is PostgreSQL's to detect")
    error = a_real_deadlock(engine)

    def raise_it(**_kwargs: object) -> None:
        raise error

    return raise_it


def test_a_review_that_lost_a_deadlock_is_a_conflict_on_the_api(
    api: Api,
    cast: Cast,
    make_evidence: Callable[..., EvidenceBase],
    deadlocked: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item = make_evidence(cast.candidate, "milestones", "pending")
    monkeypatch.setattr("trainerpath.services.evidence.review_evidence", deadlocked)
    answer = api.post(
        f"/evidence/milestones/{item.id}/review", cast.token("mentor"), {"decision": "verified"}
    )
    assert error_of(answer)[:2] == (409, "conflict")


def test_a_review_that_lost_a_deadlock_is_a_conflict_on_the_page(
    client: FlaskClient,
    cast: Cast,
    make_evidence: Callable[..., EvidenceBase],
    deadlocked: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item = make_evidence(cast.candidate, "milestones", "pending")
    monkeypatch.setattr("trainerpath.web.mentor.review_evidence", deadlocked)
    client.post("/login", data={"email": cast.mentor.email, "password": PASSWORD})
    answer = client.post(
        f"/mentor/reviews/milestones/{item.id}", data={"decision": ReviewStatus.VERIFIED.value}
    )
    assert answer.status_code == 409
    assert "Someone changed this at the same moment" in answer.get_data(as_text=True)
