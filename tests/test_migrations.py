"""The migrations build the schema the models describe and upgrade old data without loss.

SQLite always runs, on a fresh file. PostgreSQL runs when TRAINERPATH_TEST_DATABASE_URL
points at one: the tests create a throwaway database beside it (``<name>_mig``) and
drop it afterwards, so the shared test database is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, make_url, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from trainerpath import migrate
from trainerpath.db import make_engine
from trainerpath.models import Enrollment, User
from trainerpath.pathways import ruleset_for
from trainerpath.services.pathways import measure_requirements

MODEL_TABLES = set(SQLModel.metadata.tables)


def _postgres_url() -> str | None:
    url = os.environ.get("TRAINERPATH_TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


def _create_throwaway_database(server_url: str) -> Iterator[Engine]:
    """Yield an engine on a new, empty PostgreSQL database; drop it afterwards."""
    url = make_url(server_url)
    name = f"{url.database}_mig"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with nothing in it yet."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    server_url = _postgres_url()
    if server_url is None:
        pytest.skip("set TRAINERPATH_TEST_DATABASE_URL to a PostgreSQL URL to migrate PostgreSQL")
    yield from _create_throwaway_database(server_url)


def schema_differences(engine: Engine) -> list[Any]:
    """What autogenerate would put in a new migration: empty when the schema matches."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences: list[Any] = compare_metadata(context, SQLModel.metadata)
        return differences


def table_names(engine: Engine) -> set[str]:
    """The tables the database has, without Alembic's bookkeeping table."""
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrading_an_empty_database_creates_every_table(empty_engine: Engine) -> None:
    assert migrate.current_revision(empty_engine) is None
    assert table_names(empty_engine) == set()

    migrate.upgrade(empty_engine)

    assert migrate.current_revision(empty_engine) == migrate.head_revision(empty_engine)
    assert table_names(empty_engine) == MODEL_TABLES


def test_migrated_schema_matches_the_models_exactly(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)

    assert schema_differences(empty_engine) == []


def test_upgrading_twice_changes_nothing_and_keeps_the_data(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    with Session(empty_engine) as session, session.begin():
        session.add(User(email="kept@example.org", name="Kept", password_hash="x"))

    migrate.upgrade(empty_engine)

    assert migrate.current_revision(empty_engine) == migrate.head_revision(empty_engine)
    with Session(empty_engine) as session:
        assert session.execute(select(col(User.email))).scalars().all() == ["kept@example.org"]
    assert schema_differences(empty_engine) == []


def test_downgrading_to_base_and_upgrading_again_rebuilds_the_schema(
    empty_engine: Engine,
) -> None:
    migrate.upgrade(empty_engine)

    command.downgrade(migrate.alembic_config(empty_engine), "base")

    assert migrate.current_revision(empty_engine) is None
    assert table_names(empty_engine) == set()

    migrate.upgrade(empty_engine)

    assert migrate.current_revision(empty_engine) == migrate.head_revision(empty_engine)
    assert table_names(empty_engine) == MODEL_TABLES
    assert schema_differences(empty_engine) == []


# -- an old database, upgraded ------------------------------------------------------
#
# A database at revision 0001 holding cst@1/pst@1 data, written with plain SQL in the old
# shape (no share_delivered, with_current_materials, reflection or track), then upgraded.

OLD = "0001"
TODAY = date(2026, 6, 15)  # the day the old enrollments are measured on
AT = "2026-01-05 09:30:00"  # created_at and the like
OLD_TABLES = (
    "users",
    "mentorships",
    "teaching_sessions",
    "assessment_attempts",
    "credentials",
    "experience_periods",
    "milestones",
    "enrollments",
    "enrollment_history",
    "feedback",
    "audit_log",
    "api_tokens",
)
ADA, MO, CORA, PAT = 1, 2, 3, 4  # admin, mentor, a cst@1 candidate, a pst@1 candidate


def evidence(number: int, candidate: int, status: str, **fields: Any) -> dict[str, Any]:
    """An evidence row of ``candidate`` in review ``status``, with its kind's ``fields``."""
    reviewed = {"reviewed_by": None, "reviewed_at": None}
    if status != "pending":
        reviewed = {"reviewed_by": MO, "reviewed_at": AT}
    return {
        "id": number,
        "candidate_id": candidate,
        "review_status": status,
        "review_note": "Not a training course." if status == "rejected" else None,
        **reviewed,
        "created_at": AT,
        "updated_at": AT,
        **fields,
    }


def taught(
    number: int, candidate: int, status: str, course: str, first_day: str, days: int, students: int
) -> dict[str, Any]:
    """A teaching session in the old shape."""
    return evidence(
        number,
        candidate,
        status,
        title=f"{course} course {number}",
        course_type=course,
        first_day=first_day,
        days=days,
        students=students,
        context="independent",
        co_trainer=None,
        location="Leeds",
        notes=None,
    )


OLD_ROWS: dict[str, list[dict[str, Any]]] = {
    "users": [
        {
            "id": id,
            "email": f"{name.lower()}@example.org",
            "name": name,
            "password_hash": "pbkdf2:sha256:1000$salt$hash",
            "role": role,
            "is_active": True,
            "session_version": 1,
            "created_at": AT,
        }
        for id, name, role in (
            (ADA, "Ada", "admin"),
            (MO, "Mo", "mentor"),
            (CORA, "Cora", "candidate"),
            (PAT, "Pat", "candidate"),
        )
    ],
    "mentorships": [
        {
            "id": id,
            "mentor_id": MO,
            "candidate_id": candidate,
            "assigned_by": ADA,
            "started_at": AT,
            "ended_at": None,
            "ended_by": None,
        }
        for id, candidate in ((1, CORA), (2, PAT))
    ],
    # Cora: 113 verified students (40 + 35 + 30 + 8) and 12 pending; two verified
    # multi-day ScrumMaster sessions (#1, #2) and one pending (#5); a rejected talk.
    "teaching_sessions": [
        taught(1, CORA, "verified", "scrum_master", "2024-03-01", 2, 40),
        taught(2, CORA, "verified", "scrum_master", "2025-01-10", 3, 35),
        taught(3, CORA, "verified", "product_owner", "2025-06-01", 2, 30),
        taught(4, CORA, "verified", "scrum_master", "2025-09-01", 1, 8),
        taught(5, CORA, "pending", "scrum_master", "2026-05-01", 2, 12),
        taught(6, CORA, "rejected", "other", "2026-02-01", 1, 25),
        taught(7, PAT, "verified", "product_owner", "2025-11-20", 2, 9),
    ],
    # Pat: PSPO I at 93% verified, at 96% still pending.
    "assessment_attempts": [
        evidence(
            1,
            PAT,
            "verified",
            assessment="pspo_1",
            score=93.0,
            taken_on="2025-10-01",
            passport_received_on=None,
        ),
        evidence(
            2,
            PAT,
            "pending",
            assessment="pspo_1",
            score=96.0,
            taken_on="2026-05-20",
            passport_received_on=None,
        ),
    ],
    # Cora: an expired CSM and an active CSP-SM (valid_until = issued + 2 years).
    "credentials": [
        evidence(
            1,
            CORA,
            "verified",
            kind="csm",
            issued_on="2019-04-01",
            expires_on=None,
            valid_until="2021-04-01",
        ),
        evidence(
            2,
            CORA,
            "verified",
            kind="csp_sm",
            issued_on="2025-01-20",
            expires_on=None,
            valid_until="2027-01-20",
        ),
    ],
    # Pat: two Product Owner jobs overlapping from 1 Jun 2021 to 1 Jan 2022; the union
    # runs from 1 Jan 2019 to today: 2722 days, 7.45 years.
    "experience_periods": [
        evidence(
            1,
            CORA,
            "verified",
            role="scrum_master",
            organisation="Harbour Bank",
            started_on="2018-02-01",
            ended_on="2023-02-01",
        ),
        evidence(
            2,
            PAT,
            "verified",
            role="product_owner",
            organisation="Northwind",
            started_on="2019-01-01",
            ended_on="2022-01-01",
        ),
        evidence(
            3,
            PAT,
            "verified",
            role="product_owner",
            organisation="Brightside",
            started_on="2021-06-01",
            ended_on=None,
        ),
    ],
    "milestones": [
        evidence(
            1,
            CORA,
            "verified",
            kind="course_materials_reviewed",
            achieved_on="2026-03-01",
            note="Signed off.",
        ),
    ],
    "enrollments": [
        {
            "id": 1,
            "candidate_id": CORA,
            "pathway": "cst",
            "ruleset": "cst@1",
            "state": "tac_review",
            "withdrawn_from": None,
            "created_at": AT,
            "updated_at": AT,
            "version": 2,
        },
        {
            "id": 2,
            "candidate_id": PAT,
            "pathway": "pst",
            "ruleset": "pst@1",
            "state": "preparing",
            "withdrawn_from": None,
            "created_at": AT,
            "updated_at": AT,
            "version": 3,
        },
    ],
    "enrollment_history": [
        {
            "id": id,
            "enrollment_id": enrollment,
            "event": event,
            "from_state": source,
            "to_state": target,
            "actor_id": actor,
            "note": note,
            "at": AT,
        }
        for id, enrollment, event, source, target, actor, note in (
            (1, 1, "submit_application", "preparing", "tac_review", CORA, None),
            (2, 2, "withdraw", "preparing", "withdrawn", PAT, None),
            (3, 2, "resume", "withdrawn", "preparing", PAT, None),
        )
    ],
    "feedback": [
        {
            "id": 1,
            "candidate_id": CORA,
            "author_id": MO,
            "enrollment_id": 1,
            "body": "Good luck with the TAC.",
            "created_at": AT,
        }
    ],
    "audit_log": [
        {
            "id": 1,
            "at": AT,
            "actor_id": CORA,
            "candidate_id": CORA,
            "action": "enrollment.transition",
            "subject": "enrollments/1",
            "detail": "submit_application: preparing → tac_review",
        }
    ],
    "api_tokens": [
        {
            "id": 1,
            "user_id": PAT,
            "token_hash": "0" * 64,
            "created_at": AT,
            "expires_at": "2026-02-04 09:30:00",
            "revoked_at": None,
        }
    ],
}

# What the old enrollments measured before the upgrade, worked out by hand from the rows
# above: key -> (met, current, pending).
MEASURED = {
    "cst@1": {
        "csp_active": (True, 1, 0),
        "students_taught": (True, 113, 12),
        "multi_day_sm_sessions": (False, 2, 1),
        "course_materials_reviewed": (True, 1, 0),
        "scrum_experience": (True, 1, 0),
    },
    "pst@1": {
        "po_experience": (True, 7.45, 0),
        "training_provided": (True, 1, 0),
        "pspo1_95": (False, 0, 1),
        "ttt_attended": (False, 0, 0),
        "pspo2_85": (False, 0, 0),
        "pspo3_85": (False, 0, 0),
    },
}
# Columns the upgrade adds, and the value every old row gets.
ADDED = {
    "teaching_sessions": {
        "share_delivered": 100,
        "with_current_materials": False,
        "reflection": "",
    },
    "enrollments": {"track": None},
    "users": {"invited_at": None, "time_zone": None},
}


def write_old_rows(engine: Engine) -> None:
    """Insert OLD_ROWS with plain SQL, naming only the columns revision 0001 has."""
    with engine.begin() as connection:
        for table in OLD_TABLES:
            for row in OLD_ROWS[table]:
                names = ", ".join(row)
                values = ", ".join(f":{name}" for name in row)
                connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({values})"), row)


def read_rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` as the database returns it, by id."""
    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
        return [dict(row) for row in result.mappings()]


def columns_of(engine: Engine, table: str) -> set[str]:
    """The column names of ``table``."""
    return {column["name"] for column in inspect(engine).get_columns(table)}


def dangling_references(engine: Engine) -> list[Any]:
    """Rows whose foreign keys point nowhere (SQLite can hold them; PostgreSQL cannot)."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as connection:
        return list(connection.exec_driver_sql("PRAGMA foreign_key_check").all())


@pytest.fixture
def old_database(empty_engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """The engine's database at revision 0001 with OLD_ROWS; returns the rows as read back."""
    command.upgrade(migrate.alembic_config(empty_engine), OLD)
    write_old_rows(empty_engine)
    return {table: read_rows(empty_engine, table) for table in OLD_TABLES}


def test_the_old_database_has_the_old_shape(empty_engine: Engine, old_database) -> None:
    assert migrate.current_revision(empty_engine) == OLD
    for table, added in ADDED.items():
        assert not set(added) & columns_of(empty_engine, table)
    assert {table: len(rows) for table, rows in old_database.items()} == {
        table: len(OLD_ROWS[table]) for table in OLD_TABLES
    }


def test_upgrading_an_old_database_keeps_every_row_and_gives_the_new_columns_defaults(
    empty_engine: Engine, old_database
) -> None:
    migrate.upgrade(empty_engine)

    assert migrate.current_revision(empty_engine) == migrate.head_revision(empty_engine)
    for table in OLD_TABLES:
        after = read_rows(empty_engine, table)
        added = ADDED.get(table, {})
        assert [{k: v for k, v in row.items() if k not in added} for row in after] == (
            old_database[table]
        ), table
        assert [{k: row[k] for k in added} for row in after] == [added] * len(after), table
    assert dangling_references(empty_engine) == []
    assert schema_differences(empty_engine) == []


def test_old_enrollments_measure_what_they_measured_before_the_upgrade(
    empty_engine: Engine, old_database
) -> None:
    migrate.upgrade(empty_engine)

    with Session(empty_engine) as session:
        enrollments = session.execute(select(Enrollment).order_by(col(Enrollment.id))).scalars()
        wanted = [(e, list(ruleset_for(e.ruleset).requirements)) for e in enrollments]
        measured = {e.id or 0: measure_requirements(session, e, keys, TODAY) for e, keys in wanted}
        assert [(e.ruleset, e.track, e.state) for e, _keys in wanted] == [
            ("cst@1", None, "tac_review"),
            ("pst@1", None, "preparing"),
        ]
        assert {
            e.ruleset: {r.key: (r.met, r.current, r.pending) for r in measured[e.id or 0]}
            for e, _keys in wanted
        } == MEASURED
        [pspo1] = [r for r in measured[2] if r.key == "pspo1_95"]
        assert pspo1.message == (
            "PSPO I with at least 95% is needed (best verified score so far: 93%; "
            "one is waiting for review)"
        )


def test_downgrading_to_the_old_revision_drops_the_new_columns_and_keeps_the_rows(
    empty_engine: Engine, old_database
) -> None:
    migrate.upgrade(empty_engine)

    command.downgrade(migrate.alembic_config(empty_engine), OLD)

    assert migrate.current_revision(empty_engine) == OLD
    for table, added in ADDED.items():
        assert not set(added) & columns_of(empty_engine, table)
    assert {table: read_rows(empty_engine, table) for table in OLD_TABLES} == old_database
    assert dangling_references(empty_engine) == []


def test_migrating_sqlite_leaves_foreign_keys_enforced_on_the_pooled_connection(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        migrate.upgrade(engine)  # turns them off while tables are rebuilt

        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def _insert_milestone(engine: Engine, status: str = "pending") -> int:
    row = {k: v for k, v in OLD_ROWS["milestones"][0].items() if k != "id"}
    row.update(review_status=status, reviewed_by=None, reviewed_at=None)
    names, values = ", ".join(row), ", ".join(f":{name}" for name in row)
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO milestones ({names}) VALUES ({values})"), row)
        return int(connection.execute(text("SELECT max(id) FROM milestones")).scalar_one())


def test_a_deleted_items_id_is_never_handed_out_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    (cora,) = [user for user in OLD_ROWS["users"] if user["id"] == CORA]
    with empty_engine.begin() as connection:
        names, values = ", ".join(cora), ", ".join(f":{name}" for name in cora)
        connection.execute(text(f"INSERT INTO users ({names}) VALUES ({values})"), cora)
    first = _insert_milestone(empty_engine)
    newest = _insert_milestone(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text("DELETE FROM milestones WHERE id = :id"), {"id": newest})

    # SQLite without AUTOINCREMENT gives a new row the highest id in use plus one
    assert _insert_milestone(empty_engine) == newest + 1 == first + 2
    with pytest.raises(IntegrityError):  # the rebuilt table kept its CHECK constraint
        _insert_milestone(empty_engine, status="lost")


def test_an_id_deleted_before_the_upgrade_is_not_handed_out_after_it(
    empty_engine: Engine,
) -> None:
    command.upgrade(migrate.alembic_config(empty_engine), "0013")
    (cora,) = [user for user in OLD_ROWS["users"] if user["id"] == CORA]
    audited = {"at": AT, "actor_id": CORA, "candidate_id": CORA, "detail": "-"}
    with empty_engine.begin() as connection:
        names, values = ", ".join(cora), ", ".join(f":{name}" for name in cora)
        connection.execute(text(f"INSERT INTO users ({names}) VALUES ({values})"), cora)
        for n, (action, subject) in enumerate(
            [
                ("evidence.logged", "milestones/1"),
                ("evidence.logged", "milestones/2"),
                ("evidence.deleted", "milestones/2"),
                ("attachment.added", "milestones/1/attachments/7"),
            ],
            start=1,
        ):
            row = audited | {"id": n, "action": action, "subject": subject}
            connection.execute(
                text(
                    "INSERT INTO audit_log (id, at, actor_id, candidate_id, action, subject, "
                    "detail) VALUES (:id, :at, :actor_id, :candidate_id, :action, :subject, "
                    ":detail)"
                ),
                row,
            )
    assert (_insert_milestone(empty_engine), _insert_milestone(empty_engine)) == (1, 2)
    with empty_engine.begin() as connection:  # deleted before the upgrade
        connection.execute(text("DELETE FROM milestones WHERE id = 2"))

    migrate.upgrade(empty_engine)

    # SQLite had handed 2 out once more; PostgreSQL's sequence never did
    assert _insert_milestone(empty_engine) == 3
