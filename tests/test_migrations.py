"""The migrations alone build the schema the models describe, on SQLite and PostgreSQL.

SQLite always runs, on a fresh file. PostgreSQL runs when TRAINERPATH_TEST_DATABASE_URL
points at one: the tests create a throwaway database beside it (``<name>_mig``) and
drop it afterwards, so the shared test database is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, make_url, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from trainerpath import migrate
from trainerpath.db import make_engine
from trainerpath.models import User

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
