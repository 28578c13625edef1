"""Each enrollment's standing, measured once and stored, never shown stale.

A standing is what the requirement checks report for an enrollment (its requirements
of the next step with their windows, ageing and forecasts; while preparing, the same
under the pathway's other rulesets; for ``cst@2``, the courses a reflection would make
count). Measuring it costs a dozen aggregate queries, so it is stored (``Standing``)
and views read it in one.

It can never be shown stale:

- A transaction that changes a candidate's evidence, reviews or enrollments measures
  their standings again just before it commits (``_note_changes`` notices the change
  at each flush; ``_refresh_before_commit`` measures), under a row lock on the
  candidate on PostgreSQL so two such transactions measure one after the other.
- A standing measured on another day, for another ruleset, track or state than the
  enrollment's, or by other measuring code (``pathways.fingerprint``: a deployment that
  changed the rules or their words) is measured again when it is read
  (``standings_of``): windows, expiry, ageing and forecasts move with the day. A
  reading request stores the new result after its response has gone, in a short
  transaction of its own that writes only if nobody wrote a newer one meanwhile
  (``revision``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache, cached_property
from typing import Any, NamedTuple, overload

from flask import after_this_request, current_app, has_request_context
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Text,
    bindparam,
    cast,
    event,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, UOWTransaction
from sqlmodel import col
from werkzeug.wrappers import Response

from trainerpath import clock
from trainerpath.db import BUSY_TIMEOUT_MS, reads_only
from trainerpath.models import (
    AuditEntry,
    Enrollment,
    EnrollmentFacts,
    EnrollmentRow,
    EvidenceBase,
    Standing,
    TeachingSession,
    table_of,
)
from trainerpath.pathways import Population, Requirement, ruleset_for, rulesets_of
from trainerpath.pathways.calendar import window_start
from trainerpath.pathways.cst_2024 import (
    CST_2,
    HAS_REFLECTION,
    QUALIFYING_BUT_REFLECTION,
    WINDOW_MONTHS,
)
from trainerpath.pathways.fingerprint import MEASURED_BY
from trainerpath.pathways.measure import amounts
from trainerpath.pathways.vocabulary import measure_together
from trainerpath.prepared import Prepared
from trainerpath.queries import HistoryEntry, history_from_json, history_json

from .locks import lock_candidates

logger = logging.getLogger(__name__)

DUE = "trainerpath.standings_due"  # session.info: candidates whose standings need measuring
CHANGES = ("evidence.", "enrollment.")  # audit actions that change a standing


@dataclass(frozen=True)
class OtherRules:
    """A preparing enrollment measured under another ruleset (or track) of its pathway."""

    ruleset: str
    track: str | None
    requirements: list[Requirement]


class StoredOthers(Sequence[OtherRules]):
    """A stored standing's figures under the other rulesets, decoded on first use: only a
    preparing enrollment's dashboard card shows them, and every API read would pay."""

    def __init__(self, stored: str) -> None:
        self._stored = stored  # the stored JSON text

    @cached_property
    def _figures(self) -> list[OtherRules]:
        return [
            OtherRules(other["ruleset"], other["track"], _decoded_list(other["requirements"]))
            for other in json.loads(self._stored)
        ]

    @overload
    def __getitem__(self, index: int) -> OtherRules: ...

    @overload
    def __getitem__(self, index: slice) -> list[OtherRules]: ...

    def __getitem__(self, index: int | slice) -> OtherRules | list[OtherRules]:
        return self._figures[index]

    def __len__(self) -> int:
        return len(self._figures)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self._figures == list(other)

    __hash__ = None  # type: ignore[assignment]  # like a list

    def __repr__(self) -> str:
        return repr(self._figures)


@dataclass(frozen=True)
class EnrollmentStanding:
    """One enrollment's standing as of ``day``."""

    day: date
    requirements: list[Requirement]
    others: Sequence[OtherRules] = field(default_factory=list)
    reflection_hint: int = 0


# -- Measuring -----------------------------------------------------------------------------

Wanted = tuple[int, str, str | None, list[str]]  # candidate, ruleset, track, requirement keys


def measure_keys(
    session: Session, wanted: Sequence[Wanted], today: date
) -> list[list[Requirement]]:
    """Measure each (candidate, ruleset, track, keys), in a fixed number of queries.

    Candidates on the same track are measured together, every requirement wanted on it
    at once (``measure_together``), so a table of candidates costs the same statements
    as one row.
    """
    candidates: dict[str | None, set[int]] = {}
    needs: dict[str | None, dict[tuple[str, str], None]] = {}  # ordered, without repeats
    for candidate_id, ruleset_id, track, keys in wanted:
        candidates.setdefault(track, set()).add(candidate_id)
        for key in keys:
            needs.setdefault(track, {})[ruleset_id, key] = None
    results: dict[tuple[str, str | None, str, int], Requirement] = {}
    for track, candidate_ids in candidates.items():
        people = Population(session, tuple(sorted(candidate_ids)), today, track)
        chosen = list(needs.get(track, {}))
        declared = [(key, ruleset_for(ruleset_id).requirements[key]) for ruleset_id, key in chosen]
        for (ruleset_id, key), measured in zip(
            chosen, measure_together(people, declared), strict=True
        ):
            for candidate_id, requirement in measured.items():
                results[ruleset_id, track, key, candidate_id] = requirement
    return [
        [results[ruleset_id, track, key, candidate_id] for key in keys]
        for candidate_id, ruleset_id, track, keys in wanted
    ]


def _preparing(enrollment: EnrollmentFacts) -> bool:
    return enrollment.state == ruleset_for(enrollment.ruleset).initial_state


def _other_rules(enrollment: EnrollmentFacts) -> list[tuple[str, str | None]]:
    """The rulesets a preparing enrollment could switch to, each with its default track."""
    if not _preparing(enrollment):
        return []
    return [
        (ruleset.id, ruleset.default_track)
        for ruleset in rulesets_of(enrollment.pathway)
        if ruleset.id != enrollment.ruleset
    ]


def reflection_counts(
    session: Session, enrollments: Iterable[EnrollmentFacts], today: date
) -> dict[int, int]:
    """Per preparing ``cst@2`` enrollment, its verified courses that lack only a reflection."""
    by_track: dict[str | None, list[EnrollmentFacts]] = {}
    for enrollment in enrollments:
        if enrollment.ruleset == CST_2.id and enrollment.state == CST_2.initial_state:
            by_track.setdefault(enrollment.track, []).append(enrollment)
    since = window_start(today, WINDOW_MONTHS)
    counts: dict[int, int] = {}
    for track, group in by_track.items():
        people = Population(session, tuple(sorted({e.candidate_id for e in group})), today, track)
        found = amounts(
            people, TeachingSession, 1, [*QUALIFYING_BUT_REFLECTION, not_(HAS_REFLECTION)], since
        )
        for enrollment in group:
            assert enrollment.id is not None
            counts[enrollment.id] = found[enrollment.candidate_id].verified
    return counts


def measure(
    session: Session, enrollments: Sequence[EnrollmentFacts], today: date
) -> dict[int, EnrollmentStanding]:
    """Measure the enrollments' standings afresh, in a fixed number of queries."""
    wanted: list[Wanted] = []
    for enrollment in enrollments:
        keys = ruleset_for(enrollment.ruleset).guards_leaving(enrollment.state)
        wanted.append((enrollment.candidate_id, enrollment.ruleset, enrollment.track, keys))
        for ruleset_id, track in _other_rules(enrollment):
            other = ruleset_for(ruleset_id)
            other_keys = other.guards_leaving(other.initial_state)
            wanted.append((enrollment.candidate_id, ruleset_id, track, other_keys))
    measured = iter(measure_keys(session, wanted, today))
    hints = reflection_counts(session, enrollments, today)
    standings: dict[int, EnrollmentStanding] = {}
    for enrollment in enrollments:
        assert enrollment.id is not None
        own = next(measured)
        others = [OtherRules(r, t, next(measured)) for r, t in _other_rules(enrollment)]
        standings[enrollment.id] = EnrollmentStanding(
            today, own, others, hints.get(enrollment.id, 0)
        )
    return standings


# -- Storing -------------------------------------------------------------------------------


def _encoded(requirements: Sequence[Requirement]) -> list[dict[str, Any]]:
    return [requirement.as_json() for requirement in requirements]


def _decoded_list(stored: Sequence[dict[str, Any]]) -> list[Requirement]:
    return [Requirement.from_json(requirement) for requirement in stored]


def _stored_values(enrollment: EnrollmentFacts, standing: EnrollmentStanding) -> dict[str, Any]:
    return {
        "enrollment_id": enrollment.id,
        "candidate_id": enrollment.candidate_id,
        "computed_on": standing.day,
        "measured_by": MEASURED_BY,
        "ruleset": enrollment.ruleset,
        "track": enrollment.track,
        "state": enrollment.state,
        "requirements": _encoded(standing.requirements),
        "others": [
            {
                "ruleset": o.ruleset,
                "track": o.track,
                "requirements": _encoded(o.requirements),
            }
            for o in standing.others
        ],
        "reflection_hint": standing.reflection_hint,
        **asdict(summary_of(standing)),
    }


def summary_of(standing: EnrollmentStanding) -> Summary:
    """How many requirements are met, and which met one ageing makes unmet first, when."""
    requirements = standing.requirements
    drops = [(drop.on, r.key) for r in requirements if (drop := r.shortfall) is not None]
    on, key = min(drops) if drops else (None, None)
    return Summary(sum(1 for r in requirements if r.met), len(requirements), on, key)


def _decoded(row: StoredStanding) -> EnrollmentStanding:
    return EnrollmentStanding(
        row.computed_on,
        _decoded_list(row.requirements),
        StoredOthers(row.others),
        row.reflection_hint,
    )


def _insert(dialect: str) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite alike)."""
    return postgresql.insert(Standing) if dialect == "postgresql" else sqlite.insert(Standing)


def _upsert(bind: Session | Connection, values: list[dict[str, Any]]) -> None:
    """Insert or replace the standings, each replaced one a revision higher."""
    if not values:
        return
    # In the order of the rows, as every writer of standings goes: two transactions
    # then wait for each other rather than each holding a row the other needs.
    values = sorted(values, key=lambda row: row["enrollment_id"])
    dialect = bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name
    stmt = _insert(dialect).values(values)
    replaced = {name: stmt.excluded[name] for name in values[0] if name != "enrollment_id"}
    stmt = stmt.on_conflict_do_update(
        index_elements=[col(Standing.enrollment_id)],
        set_=replaced | {"revision": col(Standing.revision) + 1},
    )
    bind.execute(stmt)


def refresh(session: Session, candidate_ids: Iterable[int], today: date | None = None) -> None:
    """Measure and store the standings of every enrollment of these candidates."""
    ids = sorted(set(candidate_ids))
    if not ids:
        return
    # One writer per candidate at a time (PostgreSQL; SQLite's writers queue already):
    # whoever waits here then measures what the other committed.
    lock_candidates(session, ids)
    enrollments = list(
        session.execute(select(Enrollment).where(col(Enrollment.candidate_id).in_(ids))).scalars()
    )
    measured = measure(session, enrollments, today or clock.today())
    _upsert(session, [_stored_values(e, measured[e.id or 0]) for e in enrollments])


def outdated_candidates(session: Session, today: date) -> list[int]:
    """Candidates with an enrollment whose stored standing is missing or not current."""
    stale = or_(
        col(Standing.enrollment_id).is_(None),
        col(Standing.computed_on) != today,
        col(Standing.measured_by).is_distinct_from(MEASURED_BY),
        col(Standing.ruleset) != col(Enrollment.ruleset),
        col(Standing.state) != col(Enrollment.state),
        col(Standing.track).is_distinct_from(col(Enrollment.track)),
    )
    stmt = (
        select(col(Enrollment.candidate_id))
        .outerjoin(Standing, col(Standing.enrollment_id) == col(Enrollment.id))
        .where(stale)
        .distinct()
        .order_by(col(Enrollment.candidate_id))
    )
    return list(session.execute(stmt).scalars())


# -- Reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What the mentor's table shows of a standing: requirements met, and ageing."""

    met: int
    total: int
    shortfall_on: date | None
    shortfall_key: str | None


# The stored columns a summary is read from, with what tells whether they are current.
SUMMARY_COLUMNS = (
    col(Standing.revision),
    col(Standing.computed_on),
    col(Standing.measured_by),
    col(Standing.ruleset),
    col(Standing.track),
    col(Standing.state),
    col(Standing.met),
    col(Standing.total),
    col(Standing.shortfall_on),
    col(Standing.shortfall_key),
)


def summaries_of(
    session: Session, found: Sequence[tuple[Enrollment, Sequence[Any]]], today: date
) -> dict[int, Summary]:
    """Each enrollment's summary from its ``SUMMARY_COLUMNS``; measured if not current."""
    summaries: dict[int, Summary] = {}
    stale: list[tuple[Enrollment, int | None]] = []
    for enrollment, stored in found:
        revision, day, measured_by, ruleset, track, state, met, total, on, key = stored
        assert enrollment.id is not None
        if _current(enrollment, today, (day, measured_by, ruleset, track, state)):
            summaries[enrollment.id] = Summary(met, total, on, key)
        else:
            stale.append((enrollment, revision))
    if stale:
        measured = measure(session, [e for e, _revision in stale], today)
        for enrollment, _revision in stale:
            summaries[enrollment.id or 0] = summary_of(measured[enrollment.id or 0])
        _store_measured(session, [(e, rev, measured[e.id or 0]) for e, rev in stale])
    return summaries


class StoredStanding(NamedTuple):
    """A stored standing as read for a view: plain values, no ORM entity to build."""

    revision: int
    computed_on: date
    measured_by: str | None
    ruleset: str
    track: str | None
    state: str
    requirements: list[Any]
    others: str  # its JSON text, for ``StoredOthers``
    reflection_hint: int


def _stored_column(name: str) -> Any:
    """A stored standing's column as a view reads it: ``others`` as its JSON text, which
    ``StoredOthers`` decodes only if it is shown."""
    column = table_of(Standing).c[name]
    return cast(column, Text).label(name) if name == "others" else column


# The stored columns a view reads a standing from, in ``StoredStanding``'s order.
STORED_COLUMNS = tuple(_stored_column(name) for name in StoredStanding._fields)
ENROLLMENTS = table_of(Enrollment).c
ENROLLMENT_COLUMNS = tuple(ENROLLMENTS[name] for name in EnrollmentRow._fields)
Paired = tuple[EnrollmentFacts, StoredStanding | None]  # an enrollment and its stored standing


def _with_standing() -> Any:
    """Enrollments, each with its stored standing's columns (None where there is none)."""
    stored = table_of(Standing)
    return select(*ENROLLMENT_COLUMNS, stored.c.enrollment_id, *STORED_COLUMNS).outerjoin(
        stored, stored.c.enrollment_id == ENROLLMENTS.id
    )


def _paired(rows: Iterable[Sequence[Any]]) -> list[Paired]:
    """(enrollment, stored standing or None) from the rows of ``_with_standing``."""
    n = len(ENROLLMENT_COLUMNS)
    return [
        (
            EnrollmentRow._make(row[:n]),
            None if row[n] is None else StoredStanding._make(row[n + 1 :]),
        )
        for row in rows
    ]


@cache
def _stored_stmt() -> Any:
    """Built once: the stored standing of one enrollment."""
    return select(*STORED_COLUMNS).where(
        col(Standing.enrollment_id) == bindparam("enrollment_id", type_=Integer)
    )


WITH_HISTORY_BY = {"enrollment_id": ENROLLMENTS.id, "candidate_id": ENROLLMENTS.candidate_id}


@cache
def _with_history_stmt(by: str) -> Prepared:
    """Built once per filter (``WITH_HISTORY_BY``): enrollments in the order they enrolled,
    each with its stored standing and, in one column, its history."""
    return Prepared(
        _with_standing()
        .add_columns(history_json(ENROLLMENTS.id))
        .where(WITH_HISTORY_BY[by] == bindparam(by, type_=Integer))
        .order_by(ENROLLMENTS.created_at, ENROLLMENTS.id)
    )


class WithHistory(NamedTuple):
    """An enrollment with its stored standing, its transitions and who fired them."""

    paired: Paired
    history: list[HistoryEntry]
    actor_names: dict[int, str]


def _with_history(session: Session, by: str, value: int) -> list[WithHistory]:
    """The rows of ``_with_history_stmt(by)``, an entry per enrollment."""
    rows = _with_history_stmt(by).rows(session, {by: value})
    pairs = _paired(row[:-1] for row in rows)
    return [
        WithHistory(paired, *history_from_json(row[-1]))
        for paired, row in zip(pairs, rows, strict=True)
    ]


def enrollment_with_history(session: Session, enrollment_id: int) -> WithHistory | None:
    """The enrollment, its stored standing and its history in one statement, if it exists."""
    found = _with_history(session, "enrollment_id", enrollment_id)
    return found[0] if found else None


def enrollments_with_history(session: Session, candidate_id: int) -> list[WithHistory]:
    """The candidate's enrollments in the order they enrolled, each with its stored
    standing and its history, in one statement."""
    return _with_history(session, "candidate_id", candidate_id)


def stored_standing(session: Session, enrollment_id: int) -> StoredStanding | None:
    """The enrollment's stored standing, current or not, if it has one."""
    row = session.execute(_stored_stmt(), {"enrollment_id": enrollment_id}).first()
    return None if row is None else StoredStanding._make(row)


def _current(enrollment: EnrollmentFacts, today: date, stored: tuple[Any, ...]) -> bool:
    """Whether a standing stored as (computed_on, measured_by, ruleset, track, state) is
    the enrollment's as of ``today``: measured that day, by this code, for its rules,
    track and state (``outdated_candidates`` asks the same in SQL)."""
    facts = (enrollment.ruleset, enrollment.track, enrollment.state)
    return stored == (today, MEASURED_BY, *facts)


def standings_of(
    session: Session,
    pairs: Sequence[Paired],
    today: date | None = None,
) -> dict[int, EnrollmentStanding]:
    """Each enrollment's standing as of today: the stored one if current, else measured."""
    day = today or clock.today()
    found: dict[int, EnrollmentStanding] = {}
    stale: list[Paired] = []
    for enrollment, row in pairs:
        assert enrollment.id is not None
        if row is not None and _current(
            enrollment, day, (row.computed_on, row.measured_by, row.ruleset, row.track, row.state)
        ):
            found[enrollment.id] = _decoded(row)
        else:
            stale.append((enrollment, row))
    if stale:
        measured = measure(session, [e for e, _row in stale], day)
        found.update(measured)
        _store_measured(
            session, [(e, row.revision if row else None, measured[e.id or 0]) for e, row in stale]
        )
    return found


def _store_measured(
    session: Session, measured: list[tuple[EnrollmentFacts, int | None, EnrollmentStanding]]
) -> None:
    """Keep what a view measured: in its own transaction if it writes, else afterwards."""
    if not _reading(session):
        _upsert(session, [_stored_values(e, standing) for e, _revision, standing in measured])
        return
    writes = [(_stored_values(e, standing), revision) for e, revision, standing in measured]
    engine: Engine = current_app.extensions["trainerpath.engine"]

    @after_this_request
    def _later(response: Response) -> Response:
        response.call_on_close(lambda: _write_back(engine, writes))
        return response


def _reading(session: Session) -> bool:
    return has_request_context() and reads_only(session)


WRITE_BACK_WAIT_MS = 250  # SQLite: how long a write-back waits for a writer, then gives up


def _write_back(engine: Engine, writes: list[tuple[dict[str, Any], int | None]]) -> None:
    """Store what a reading request measured, unless a newer standing was written since.

    It runs after the response has gone and never keeps a worker waiting behind a
    writer: if SQLite's write lock is not free within a moment, the next view measures
    again instead.
    """
    with engine.connect() as connection:
        sqlite_wait = engine.dialect.name == "sqlite"
        if sqlite_wait:
            connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                f"PRAGMA busy_timeout = {WRITE_BACK_WAIT_MS}"
            )
        try:
            with connection.begin():
                for values, revision in sorted(writes, key=lambda w: w[0]["enrollment_id"]):
                    connection.execute(_write_back_stmt(engine, values, revision))
        except OperationalError:
            logger.info("A standing was not stored: the database was busy.")
        finally:
            if sqlite_wait:
                connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"
                )


def _write_back_stmt(engine: Engine, values: dict[str, Any], revision: int | None) -> Any:
    """Insert a standing nobody stored yet, or replace the revision that was read."""
    if revision is None:
        return _insert(engine.dialect.name).values(values).on_conflict_do_nothing()
    return (
        update(Standing)
        .where(
            col(Standing.enrollment_id) == values["enrollment_id"],
            col(Standing.revision) == revision,
        )
        .values(values | {"revision": revision + 1})
    )


def refresh_stale(session: Session, visible: ColumnElement[bool], today: date) -> None:
    """Measure the stored standings among ``visible`` ones (on Standing) that are of an
    earlier day or measured by other code (a deployment that changed the measuring).

    Usually nothing is stale and this is one query whose every part reads an index. On
    the first view of a day the stale ones are measured together and stored: in the
    view's own transaction if it writes; else in one of their own, after which the view
    reads a new snapshot.
    """
    by = col(Standing.measured_by)
    # "Other code" spelled as ranges and null, which an index on measured_by serves.
    stale = or_(col(Standing.computed_on) < today, by.is_(None), by < MEASURED_BY, by > MEASURED_BY)
    if (
        session.execute(select(col(Standing.enrollment_id)).where(stale, visible).limit(1)).first()
        is None
    ):
        return
    found = [
        (enrollment, revision)
        for enrollment, revision in session.execute(
            select(Enrollment, col(Standing.revision))
            .join(Standing, col(Standing.enrollment_id) == col(Enrollment.id))
            .where(stale, visible)
        )
    ]
    measured = measure(session, [e for e, _revision in found], today)
    if not _reading(session):
        _upsert(session, [_stored_values(e, measured[e.id or 0]) for e, _revision in found])
        return
    engine: Engine = current_app.extensions["trainerpath.engine"]
    _write_back(engine, [(_stored_values(e, measured[e.id or 0]), rev) for e, rev in found])
    session.commit()  # read again from a snapshot that holds what was just stored


# -- Keeping standings current -------------------------------------------------------------


def _changed_candidates(session: Session) -> set[int]:
    changed: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, EvidenceBase | Enrollment):
            changed.add(instance.candidate_id)
        elif isinstance(instance, AuditEntry) and instance.action.startswith(CHANGES):
            changed.add(instance.candidate_id or 0)
    changed.discard(0)
    return changed


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _flush: UOWTransaction) -> None:
    if changed := _changed_candidates(session):
        session.info.setdefault(DUE, set()).update(changed)


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    session.flush()
    due = session.info.pop(DUE, None)
    if due:
        refresh(session, due)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(DUE, None)
