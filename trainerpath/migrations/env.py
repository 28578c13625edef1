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
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
