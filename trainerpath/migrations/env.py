"""Alembic environment: runs on the engine trainerpath.migrate hands over.

For the plain ``alembic`` command, set TRAINERPATH_DATABASE_URL.
"""

import os

from alembic import context
from sqlmodel import SQLModel

from trainerpath import models  # noqa: F401  (registers the tables on the metadata)
from trainerpath.db import make_engine

config = context.config
engine = config.attributes.get("engine") or make_engine(os.environ["TRAINERPATH_DATABASE_URL"])

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    driver = connection.connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    if sqlite:
        # Batch mode rebuilds a table by dropping it, which foreign keys forbid while rows
        # of other tables refer to it. SQLite ignores this pragma inside a transaction, so
        # it is switched outside one, off now and on again for the pooled connection.
        driver.execute("PRAGMA foreign_keys = OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            connection.rollback()  # ends a read Alembic may have begun after its last commit
            driver.execute("PRAGMA foreign_keys = ON")
