"""services.pathways.switch_ruleset against pathways.md §6 "Switching".

A switch moves a ``preparing`` enrollment to another ruleset (or track) of its pathway,
writes one ``switch_ruleset`` history row from preparing to preparing whose note names
both rulesets, and changes nothing else. The rulesets come from the hand copy of the
spec in test_pathway_machines.py, so every registered ruleset is switched to and from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import People
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col
from test_pathway_machines import SPECS, Spec

from trainerpath.models import AuditEntry, Enrollment, TransitionRecord, User
from trainerpath.pathways import ruleset_for
from trainerpath.services.errors import (
    Forbidden,
    GuardUnmet,
    InvalidState,
    NotFound,
    Refusal,
    ValidationFailed,
)
from trainerpath.services.pathways import fire_event, history_label, history_of, switch_ruleset

pytestmark = pytest.mark.without_app  # services need no Flask app

MakeEnrollment = Callable[..., Enrollment]


@dataclass(frozen=True)
class Snapshot:
    """What a switch may change (ruleset, track, version, trail) and what it may not."""

    state: str
    ruleset: str
    track: str | None
    withdrawn_from: str | None
    version: int
    history: int
    audit: int


def snapshot(engine: Engine, enrollment_id: int) -> Snapshot:
    """Read the enrollment and its trail in a session of its own."""
    with Session(engine) as fresh:
        enrollment = fresh.get(Enrollment, enrollment_id)
        assert enrollment is not None
        history = fresh.scalar(
            select(func.count())
            .select_from(TransitionRecord)
            .where(col(TransitionRecord.enrollment_id) == enrollment_id)
        )
        audit = fresh.scalar(select(func.count()).select_from(AuditEntry))
        return Snapshot(
            enrollment.state,
            enrollment.ruleset,
            enrollment.track,
            enrollment.withdrawn_from,
            enrollment.version,
            history or 0,
            audit or 0,
        )


def switch(session: Session, enrollment: Enrollment, actor: User, ruleset: Any, **track: Any):
    """Switch the enrollment as ``actor`` and commit; the history row written."""
    record = switch_ruleset(
        session=session, actor=actor, enrollment=enrollment, ruleset=ruleset, **track
    )
    session.commit()
    return record


def refused(
    session: Session,
    engine: Engine,
    enrollment: Enrollment,
    actor: User,
    ruleset: Any,
    **track: Any,
) -> Refusal:
    """Ask for a switch that must be refused; check it changed nothing; return the refusal."""
    assert enrollment.id is not None
    # Keep the id: after the rollback, reading it would reload the row and, on SQLite,
    # take the write lock the snapshot's own session needs.
    enrollment_id = enrollment.id
    session.commit()  # end the read, so the snapshot's session may take SQLite's lock
    before = snapshot(engine, enrollment_id)
    try:
        switch_ruleset(
            session=session, actor=actor, enrollment=enrollment, ruleset=ruleset, **track
        )
    except Refusal as refusal:
        session.rollback()  # what the view does with a refusal
        assert snapshot(engine, enrollment_id) == before, "a refused switch changed something"
        return refusal
    pytest.fail(f"switching to {ruleset!r} by a {actor.role} was not refused")


def enrol(
    make_enrollment: MakeEnrollment, candidate: User, spec: Spec, **fields: Any
) -> Enrollment:
    """Enrol the candidate under the spec's ruleset (on its default track)."""
    return make_enrollment(candidate, spec.pathway, ruleset=spec.ruleset_id, **fields)


def _pairs() -> list[Any]:
    return [
        pytest.param(source, target, id=f"{source.ruleset_id}-to-{target.ruleset_id}")
        for source in SPECS.values()
        for target in SPECS.values()
        if source.pathway == target.pathway and source is not target
    ]


def _names_both(note: str | None, source: str, target: str) -> bool:
    """Whether the note reads "source → target", each maybe followed by its track."""
    track = r"( \(\w+\))?"
    pattern = rf"{re.escape(source)}{track} → {re.escape(target)}{track}"
    return re.fullmatch(pattern, note or "") is not None


# -- a switch -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["candidate", "admin"])
@pytest.mark.parametrize(("source", "target"), _pairs())
def test_switching_writes_one_history_row_and_changes_nothing_else(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    source: Spec,
    target: Spec,
    role: str,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, source)
    actor = people.acting_as(role)  # created before the snapshot: users are audited too
    assert enrollment.id is not None
    before = snapshot(engine, enrollment.id)

    switch(session, enrollment, actor, target.ruleset_id)

    after = snapshot(engine, enrollment.id)
    assert after == Snapshot(
        state="preparing",
        ruleset=target.ruleset_id,
        track=target.tracks[0] if target.tracks else None,  # the default track
        withdrawn_from=None,
        version=before.version + 1,
        history=1,
        audit=before.audit + 1,
    )
    [record] = history_of(session, enrollment)
    assert (record.event, record.from_state, record.to_state, record.actor_id) == (
        "switch_ruleset",
        "preparing",
        "preparing",
        actor.id,
    )
    assert _names_both(record.note, source.ruleset_id, target.ruleset_id), record.note


@pytest.mark.parametrize(("source", "target"), _pairs())
def test_after_a_switch_the_enrollment_is_measured_by_its_new_rules(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    source: Spec,
    target: Spec,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, source)
    switch(session, enrollment, people.candidate, target.ruleset_id)
    submit = next(row for row in target.rows if row.event == "submit_application")
    with pytest.raises(GuardUnmet) as refusal:
        fire_event(
            session=session,
            enrollment=enrollment,
            event="submit_application",
            actor=people.candidate,
        )
    assert refusal.value.details["unmet"] == list(submit.guards)  # nothing logged: all unmet


def test_switching_to_cst_2_on_the_product_owner_track(
    session: Session, engine: Engine, people: People, make_enrollment: MakeEnrollment
) -> None:
    enrollment = make_enrollment(people.candidate, "cst", ruleset="cst@1")
    record = switch(session, enrollment, people.candidate, "cst@2", track="product_owner")
    assert enrollment.id is not None
    stored = snapshot(engine, enrollment.id)
    assert (stored.ruleset, stored.track) == ("cst@2", "product_owner")
    assert record.note == "cst@1 → cst@2 (product_owner)"


def test_switching_back_to_a_ruleset_without_tracks_drops_the_track(
    session: Session, engine: Engine, people: People, make_enrollment: MakeEnrollment
) -> None:
    enrollment = make_enrollment(people.candidate, "cst", ruleset="cst@2", track="product_owner")
    record = switch(session, enrollment, people.admin, "cst@1")
    assert enrollment.id is not None
    stored = snapshot(engine, enrollment.id)
    assert (stored.ruleset, stored.track) == ("cst@1", None)
    assert record.note == "cst@2 (product_owner) → cst@1"


@pytest.mark.parametrize(
    ("track", "other"), [("scrum_master", "product_owner"), ("product_owner", "scrum_master")]
)
def test_the_same_ruleset_with_another_track_changes_only_the_track(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    track: str,
    other: str,
) -> None:
    enrollment = make_enrollment(people.candidate, "cst", ruleset="cst@2", track=track)
    assert enrollment.id is not None
    before = snapshot(engine, enrollment.id)
    record = switch(session, enrollment, people.candidate, "cst@2", track=other)
    after = snapshot(engine, enrollment.id)
    assert (after.ruleset, after.track, after.state, after.history) == (
        "cst@2",
        other,
        "preparing",
        1,
    )
    assert after.version == before.version + 1
    assert (record.event, record.from_state, record.to_state) == (
        "switch_ruleset",
        "preparing",
        "preparing",
    )
    assert record.note == f"cst@2: {track} → {other}"  # names both tracks


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_a_switch_reads_in_the_timeline_of_any_ruleset(spec: Spec) -> None:
    label = ruleset_for(spec.ruleset_id).history_label("switch_ruleset")
    assert label and label != "switch_ruleset"


def test_a_row_from_before_a_switch_of_rules_keeps_its_words() -> None:
    """cst@2 has no TAC decline: the row a cst@1 enrollment wrote before switching reads
    in cst@1's words, not as the event's identifier."""
    cst_2 = ruleset_for("cst@2")
    assert "tac_decline" not in cst_2.history
    assert history_label(cst_2, "tac_decline", "Materials not aligned") == "Declined by the TAC"
    assert history_label(cst_2, "formal_review_pass", None) == cst_2.history_label(
        "formal_review_pass"
    )


# -- refusals ------------------------------------------------------------------------


def _not_preparing() -> list[Any]:
    return [
        pytest.param(
            source, target, state, id=f"{source.ruleset_id}-{state}-to-{target.ruleset_id}"
        )
        for source, target in (param.values for param in _pairs())
        for state in source.states
        if state != "preparing"
    ]


@pytest.mark.parametrize(("source", "target", "state"), _not_preparing())
def test_switching_is_refused_outside_preparing(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    source: Spec,
    target: Spec,
    state: str,
) -> None:
    withdrawn_from = "preparing" if state == "withdrawn" else None
    enrollment = enrol(
        make_enrollment, people.candidate, source, state=state, withdrawn_from=withdrawn_from
    )
    refusal = refused(session, engine, enrollment, people.candidate, target.ruleset_id)
    assert isinstance(refusal, InvalidState), refusal
    assert refusal.code == "invalid_state"


@pytest.mark.parametrize(("source", "target"), _pairs())
def test_a_mentor_may_not_switch(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    source: Spec,
    target: Spec,
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, source)
    refusal = refused(session, engine, enrollment, people.mentor, target.ruleset_id)
    assert isinstance(refusal, Forbidden)
    assert refusal.code == "forbidden"


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS)
def test_people_who_cannot_see_the_candidate_get_not_found(
    session: Session, engine: Engine, people: People, make_enrollment: MakeEnrollment, spec: Spec
) -> None:
    enrollment = enrol(make_enrollment, people.candidate, spec)
    other = next(s for s in SPECS.values() if s.pathway == spec.pathway and s is not spec)
    for stranger in (people.unassigned_mentor, people.other_candidate):
        refusal = refused(session, engine, enrollment, stranger, other.ruleset_id)
        assert isinstance(refusal, NotFound)


def _unfitting() -> list[Any]:
    """For every ruleset, rulesets it cannot switch to: unknown, or of another pathway."""
    params = []
    for spec in SPECS.values():
        foreign = [s.ruleset_id for s in SPECS.values() if s.pathway != spec.pathway]
        for ruleset in [*foreign, f"{spec.pathway}@99", "cst", "", None, 2]:
            params.append(pytest.param(spec, ruleset, id=f"{spec.ruleset_id}-to-{ruleset!r}"))
    return params


@pytest.mark.parametrize("role", ["candidate", "mentor"])
@pytest.mark.parametrize(("spec", "ruleset"), _unfitting())
def test_an_unknown_or_other_pathway_ruleset_is_refused_before_the_role(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    spec: Spec,
    ruleset: Any,
    role: str,
) -> None:
    # A mentor may not switch at all, yet hears first that the ruleset does not fit.
    enrollment = enrol(make_enrollment, people.candidate, spec)
    refusal = refused(session, engine, enrollment, people.acting_as(role), ruleset)
    assert isinstance(refusal, ValidationFailed), refusal
    assert set(refusal.errors) == {"ruleset"}
    assert refusal.errors["ruleset"].startswith("must be one of: ")


def test_the_ruleset_is_checked_before_the_state(
    session: Session, engine: Engine, people: People, make_enrollment: MakeEnrollment
) -> None:
    enrollment = make_enrollment(people.candidate, "cst", ruleset="cst@1", state="tac_review")
    refusal = refused(session, engine, enrollment, people.candidate, "pst@2")
    assert isinstance(refusal, ValidationFailed)
    assert set(refusal.errors) == {"ruleset"}


def _unchanged() -> list[Any]:
    """Every ruleset on its default track, asked for again; and cst@2's tracks."""
    every = [(s.ruleset_id, s.tracks[0] if s.tracks else None, {}) for s in SPECS.values()]
    return [
        *every,
        ("cst@2", "scrum_master", {"track": "scrum_master"}),
        ("cst@2", "product_owner", {}),  # no track asked: the enrollment keeps its own
        ("cst@2", "product_owner", {"track": "product_owner"}),
    ]


@pytest.mark.parametrize(("ruleset", "track", "asked"), _unchanged())
def test_the_same_ruleset_and_track_is_refused_as_unchanged(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    ruleset: str,
    track: str | None,
    asked: dict[str, str],
) -> None:
    spec = SPECS[ruleset]
    enrollment = make_enrollment(people.candidate, spec.pathway, ruleset=ruleset, track=track)
    refusal = refused(session, engine, enrollment, people.candidate, ruleset, **asked)
    assert isinstance(refusal, ValidationFailed)
    assert refusal.errors == {"ruleset": "unchanged"}


@pytest.mark.parametrize(
    ("state", "role", "expected"),
    [("tac_review", "candidate", InvalidState), ("preparing", "mentor", Forbidden)],
    ids=["state-before-unchanged", "role-before-unchanged"],
)
def test_unchanged_is_the_last_check(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    state: str,
    role: str,
    expected: type[Refusal],
) -> None:
    enrollment = make_enrollment(people.candidate, "cst", ruleset="cst@1", state=state)
    refusal = refused(session, engine, enrollment, people.acting_as(role), "cst@1")
    assert type(refusal) is expected


@pytest.mark.parametrize(
    ("ruleset", "track", "error"),
    [
        ("cst@1", "scrum_master", "cst@1 has no tracks"),
        ("pst@2", "product_owner", "pst@2 has no tracks"),
        ("cst@2", "agile_coach", "must be one of: scrum_master, product_owner"),
    ],
)
def test_a_track_that_does_not_fit_the_ruleset_is_refused(
    session: Session,
    engine: Engine,
    people: People,
    make_enrollment: MakeEnrollment,
    ruleset: str,
    track: str,
    error: str,
) -> None:
    spec = SPECS[ruleset]
    other = next(s for s in SPECS.values() if s.pathway == spec.pathway and s is not spec)
    enrollment = enrol(make_enrollment, people.candidate, other)
    refusal = refused(session, engine, enrollment, people.candidate, ruleset, track=track)
    assert isinstance(refusal, ValidationFailed)
    assert refusal.errors == {"track": error}
