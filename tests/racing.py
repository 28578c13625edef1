"""Run operations from several processes at once, each from a stale read: the worst case.

Each process is a separate interpreter (the "spawn" start method) with its own app,
engine and session, as web workers would be. In every race each process reads what it
will change, waits at a barrier until all have read, then writes and commits: every
process but the first to write holds a stale copy, and only a write that is conditional
on what it read can turn it into a refusal.

An operation is a module-level function ``op(session, ids, index, ready)``: it loads
what it needs, calls ``ready()`` and then calls the service. Starting interpreters is
the slow part, so one set of processes runs every race of a test, one after the other.
"""

from __future__ import annotations

import importlib
import multiprocessing
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from trainerpath import create_app
from trainerpath.db import get_engine

PROCESSES = 4
# Generous, so a slow machine fails with a message instead of hanging the run.
WAIT_SECONDS = 90

Op = Callable[[Session, dict[str, int], int, Callable[[], None]], None]


@dataclass(frozen=True)
class Job:
    """One race: process ``i`` runs ``ops[i % len(ops)]`` of ``module`` on ``ids``."""

    module: str
    ops: tuple[str, ...]
    ids: dict[str, int] = field(default_factory=dict)

    def op_of(self, index: int) -> str:
        """The name of the operation process ``index`` runs."""
        return self.ops[index % len(self.ops)]


@dataclass(frozen=True)
class Outcome:
    """How one process's attempt ended: "ok", or the class of the exception raised."""

    op: str
    name: str
    message: str


def _run_in_own_process(
    database_url: str, jobs: list[Job], index: int, barrier: Any, results: Any
) -> None:
    outcomes: list[Outcome] = []
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "race", "DATABASE_URL": database_url})
        with app.app_context():
            for job in jobs:
                op: Op = getattr(importlib.import_module(job.module), job.op_of(index))
                outcomes.append(_run_at_the_barrier(op, job, index, barrier))
    except BaseException as error:  # a crash outside the races is reported too
        outcomes.append(
            Outcome("?", type(error).__name__, "".join(traceback.format_exception(error)))
        )
    results.put((index, outcomes))


def _run_at_the_barrier(op: Op, job: Job, index: int, barrier: Any) -> Outcome:
    with Session(get_engine(), expire_on_commit=False) as session:

        def ready() -> None:
            if session.get_bind().dialect.name == "sqlite":
                # SQLite transactions begin with BEGIN IMMEDIATE, so the read holds the
                # write lock: keeping it across the barrier would deadlock. Ending the
                # transaction keeps the loaded (soon stale) rows: the worst case.
                session.commit()
            barrier.wait(timeout=WAIT_SECONDS)

        try:
            op(session, job.ids, index, ready)
            session.commit()
        except Exception as error:  # every outcome goes back to the parent, crashes included
            session.rollback()
            return Outcome(
                job.op_of(index), type(error).__name__, "".join(traceback.format_exception(error))
            )
    return Outcome(job.op_of(index), "ok", "")


def race(database_url: str, jobs: list[Job]) -> list[list[Outcome]]:
    """Run every job from PROCESSES processes at once; return each job's outcomes."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(
            target=_run_in_own_process, args=(database_url, jobs, index, barrier, results)
        )
        for index in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        reports = dict(results.get(timeout=WAIT_SECONDS * len(jobs)) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=WAIT_SECONDS)
            if process.is_alive():
                process.kill()
    assert [process.exitcode for process in processes] == [0] * PROCESSES
    crashed = [report[-1].message for report in reports.values() if len(report) != len(jobs)]
    assert not crashed, "\n".join(crashed)
    return [[reports[index][i] for index in range(PROCESSES)] for i in range(len(jobs))]


def one_winner(outcomes: list[Outcome], what: str) -> int:
    """Check that exactly one process won and every other got Conflict; return the winner."""
    names = [outcome.name for outcome in outcomes]
    unexpected = [o.message for o in outcomes if o.name not in ("ok", "Conflict")]
    assert not unexpected, f"{what}:\n" + "\n".join(unexpected)
    assert names.count("ok") == 1, f"{what}: {names}"
    return names.index("ok")
