"""A database the benchmark may fill and throw away: a temporary SQLite file or a new
PostgreSQL database; and the cheap password hashing that makes loading it quick."""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from trainerpath.services import accounts, users


def _reset_public_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@contextmanager
def throwaway_database(url: str | None, wipe_existing: bool) -> Iterator[str]:
    """Yield the URL of an empty database that is removed (or emptied) afterwards."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="trainerpath-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "postgresql" or not re.fullmatch(r"[A-Za-z_]\w*", name):
        sys.exit("benchmark: --database-url must be postgresql+psycopg://.../<database name>")
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    found = "SELECT 1 FROM pg_database WHERE datname = :name"
    with server.connect() as connection:
        existed = connection.execute(text(found), {"name": name}).first() is not None
        if existed and not wipe_existing:
            sys.exit(
                f"benchmark: database {name!r} exists; pick a new name (it is created and "
                "dropped), or pass --wipe-existing to empty its public schema"
            )
        if not existed:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    if existed:
        _reset_public_schema(url)
    try:
        yield url
    finally:
        if existed:
            _reset_public_schema(url)
        else:
            with server.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        server.dispose()


def cheap_password_hashing() -> None:
    """Hash new passwords with 1,000 pbkdf2 rounds, as tests/conftest.py does."""
    cheap = partial(generate_password_hash, method="pbkdf2:sha256:1000")
    users.generate_password_hash = cheap
    accounts.generate_password_hash = cheap
