"""Reviews, corrections and deletes of one evidence item raced from several processes.

Verified evidence is immutable whatever the timing: of the processes that read the same
pending item and then verify, correct or delete it, exactly one wins, every other gets
Conflict (409 ``conflict``: a concurrent change won the race) and writes nothing, not
even an audit row. The machinery is in tests/racing.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import pk
from racing import Job, Outcome, one_winner, race
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import AuditEntry, TeachingSession, User
from trainerpath.services.evidence import correct_evidence, delete_evidence, review_evidence

pytestmark = pytest.mark.slow

KIND = "teaching-sessions"
TITLE = "Certified ScrumMaster"


def verify(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """The mentor verifies the item."""
    mentor = session.get(User, ids["mentor"])
    item = session.get(TeachingSession, ids["item"])  # held, so the service gets it stale
    assert mentor is not None and item is not None
    ready()
    review_evidence(
        session=session, actor=mentor, kind=KIND, item_id=ids["item"], decision="verified"
    )


def patch(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """The candidate corrects the item's title."""
    candidate = session.get(User, ids["candidate"])
    item = session.get(TeachingSession, ids["item"])  # held, so the service gets it stale
    assert candidate is not None and item is not None
    ready()
    correct_evidence(
        session=session,
        actor=candidate,
        kind=KIND,
        item_id=ids["item"],
        changes={"title": f"Changed by process {index}"},
    )


def remove(session: Session, ids: dict[str, int], index: int, ready: Callable[[], None]) -> None:
    """The candidate deletes the item."""
    candidate = session.get(User, ids["candidate"])
    item = session.get(TeachingSession, ids["item"])  # held, so the service gets it stale
    assert candidate is not None and item is not None
    ready()
    delete_evidence(session=session, actor=candidate, kind=KIND, item_id=ids["item"])


def audited(engine: Engine, item_id: int) -> list[str]:
    """The audit actions written about the item after it was logged, oldest first."""
    with Session(engine) as session:
        return list(
            session.execute(
                select(AuditEntry.action)
                .where(col(AuditEntry.subject) == f"{KIND}/{item_id}")
                .order_by(col(AuditEntry.id))
            ).scalars()
        )


def stored(engine: Engine, item_id: int) -> TeachingSession | None:
    """The item as it is in the database now."""
    with Session(engine) as session:
        return session.get(TeachingSession, item_id)


def both_verify(engine: Engine, item_id: int, outcomes: list[Outcome]) -> None:
    """One verify wins: the item is verified once."""
    one_winner(outcomes, "verify vs verify")
    item = stored(engine, item_id)
    assert item is not None and item.review_status == "verified"
    assert audited(engine, item_id) == ["evidence.verified"]


def both_delete(engine: Engine, item_id: int, outcomes: list[Outcome]) -> None:
    """One delete wins: the item is gone, deleted once."""
    one_winner(outcomes, "delete vs delete")
    assert stored(engine, item_id) is None
    assert audited(engine, item_id) == ["evidence.deleted"]


def verify_and_patch(engine: Engine, item_id: int, outcomes: list[Outcome]) -> None:
    """Verified with the values the mentor read, or corrected and still pending."""
    index = one_winner(outcomes, "verify vs patch")
    item = stored(engine, item_id)
    assert item is not None
    if outcomes[index].op == "verify":
        assert (item.review_status, item.title) == ("verified", TITLE)
        assert audited(engine, item_id) == ["evidence.verified"]
    else:
        assert (item.review_status, item.title) == ("pending", f"Changed by process {index}")
        assert audited(engine, item_id) == ["evidence.corrected"]


def verify_and_delete(engine: Engine, item_id: int, outcomes: list[Outcome]) -> None:
    """Verified and kept, or deleted while pending: never a deleted verified item."""
    winner = outcomes[one_winner(outcomes, "verify vs delete")]
    item = stored(engine, item_id)
    if winner.op == "verify":
        assert item is not None and item.review_status == "verified"
        assert audited(engine, item_id) == ["evidence.verified"]
    else:
        assert item is None
        assert audited(engine, item_id) == ["evidence.deleted"]


# Each race: the operations its processes take turns at, and what must hold afterwards.
RACES: dict[str, tuple[tuple[str, ...], Callable[[Engine, int, list[Outcome]], None]]] = {
    "verify vs verify": (("verify",), both_verify),
    "delete vs delete": (("remove",), both_delete),
    "verify vs patch": (("verify", "patch"), verify_and_patch),
    "verify vs delete": (("verify", "remove"), verify_and_delete),
}


def test_one_of_several_processes_reviewing_changing_or_deleting_an_item_wins(
    database_url: str,
    engine: Engine,
    make_user: Callable[..., User],
    assign: Callable[[User, User], Any],
    make_evidence: Callable[..., Any],
) -> None:
    mentor = make_user(role="mentor")
    jobs, items = [], []
    for ops, _check in RACES.values():
        candidate = make_user()
        assign(mentor, candidate)
        item = pk(make_evidence(candidate, KIND, status="pending", title=TITLE))
        items.append(item)
        jobs.append(
            Job(__name__, ops, {"mentor": pk(mentor), "candidate": pk(candidate), "item": item})
        )

    outcomes = race(database_url, jobs)

    failures = []
    for (name, (_ops, check)), item_id, raced in zip(RACES.items(), items, outcomes, strict=True):
        try:
            check(engine, item_id, raced)
        except AssertionError as failure:  # report every race that went wrong, not the first
            failures.append(f"{name}: {failure}")
    assert not failures, "\n".join(failures)
