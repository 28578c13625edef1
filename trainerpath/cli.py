"""Command line: flask --app trainerpath init-db | create-user | seed-demo | deliver-mail |
send-reminders | ...

``pathways`` and ``rulesets`` only read the declarations, so they run without a secret
key; the commands that set up or change a deployment refuse without one, as serving does.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar

import click
from alembic.util.exc import CommandError as AlembicError
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from . import clock, delivery, migrate
from .config import refuse_unsafe_secret
from .db import get_engine, reading_session
from .models import Role, User
from .pathways import CURRENT, Ruleset, is_current, rulesets_of
from .services import attachment_store, reminders, standings
from .services.errors import Refusal
from .services.users import ROLES, create_user
from .uploads import upload_settings

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    """Register the commands on the app."""
    for command in (
        init_db,
        create_user_command,
        seed_demo,
        pathways,
        rulesets,
        refresh_standings_command,
        deliver_mail_command,
        send_reminders_command,
        cleanup_uploads,
    ):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the ``trainerpath`` console script (the flask CLI for this app)."""
    from . import create_app

    FlaskGroup(create_app=create_app)()


def finding_commands() -> bool:
    """Whether the flask command line is loading the app to find or list its commands.

    ``flask run`` loads the app inside its own command, and a WSGI server outside any
    command line, so an app about to serve is never created while this holds.
    """
    context = click.get_current_context(silent=True)
    return context is not None and isinstance(context.command, FlaskGroup)


def needs_secret_key(callback: F) -> F:
    """Refuse to run the command while the app has no real secret key, as serving would."""

    @wraps(callback)
    def checked(*args: Any, **kwargs: Any) -> Any:
        refuse_unsafe_secret(current_app)
        return callback(*args, **kwargs)

    return checked  # type: ignore[return-value]


def plain_database_errors(callback: F) -> F:
    """Say in one line (exit 1) why the database cannot be used, instead of a traceback:
    not reachable, not set up yet, or at a revision this version does not know."""

    @wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except AlembicError as error:
            raise click.ClickException(f"The database cannot be migrated: {error}") from None
        except (OperationalError, ProgrammingError) as error:
            reason = str(error.orig or error).strip().splitlines()[0]
            if "no such table" in reason or ("relation" in reason and "does not exist" in reason):
                reason = "it is not set up yet: run `flask --app trainerpath init-db` first"
            raise click.ClickException(f"The database cannot be used: {reason}") from None

    return guarded  # type: ignore[return-value]


@click.command("init-db")
@with_appcontext  # `flask` pushes one itself; app.test_cli_runner() does not
@needs_secret_key
@plain_database_errors
def init_db() -> None:
    """Create or upgrade the database schema (runs the migrations; safe to repeat)."""
    engine = get_engine()
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to revision {after}.")
    _refresh_standings()


STANDINGS_BATCH = 500  # candidates measured per transaction


def _refresh_standings() -> int:
    """Measure every standing that is missing or not today's; how many candidates had one."""
    today = clock.today()
    with Session(get_engine()) as session:
        outdated = standings.outdated_candidates(session, today)
    for start in range(0, len(outdated), STANDINGS_BATCH):
        with Session(get_engine()) as session, session.begin():
            standings.refresh(session, outdated[start : start + STANDINGS_BATCH], today)
    return len(outdated)


@click.command("refresh-standings")
@with_appcontext
@plain_database_errors
def refresh_standings_command() -> None:
    """Measure the standings that are not today's (views do it too; cron makes it early)."""
    click.echo(f"Standings measured again for {_refresh_standings()} candidates.")


@click.command("deliver-mail")
@click.option("--loop", is_flag=True, help="Keep running: a worker that sends mails as they come.")
@with_appcontext
@plain_database_errors
def deliver_mail_command(loop: bool) -> None:
    """Send the mails that are due from the outbox (several workers may run at once)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not loop:
        report = delivery.deliver_due(app, get_engine())
        click.echo(_delivery_line(report))
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    poll = app.config["MAIL_POLL_SECONDS"]
    click.echo(f"Delivering mail until stopped (checking every {poll} s).")
    while not stop.is_set():
        try:
            report = delivery.deliver_due(app, get_engine(), stop=stop)
        except OperationalError as error:  # the database is away: try again later
            click.echo(f"Database unavailable, retrying: {error.orig}", err=True)
            report = delivery.Report()
        if report.handled:
            click.echo(_delivery_line(report))
        stop.wait(poll)


def _delivery_line(report: delivery.Report) -> str:
    return (
        f"Sent {report.sent} mail{'s' if report.sent != 1 else ''}; "
        f"{report.retrying} to retry later; {report.failed} given up."
    )


# The days send-reminders --today accepts: reminders reckon years either side of it.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)


@click.command("send-reminders")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Send what is due on this day (YYYY-MM-DD) instead of today.",
)
@with_appcontext
@needs_secret_key  # its mails carry signed unsubscribe links
@plain_database_errors
def send_reminders_command(today: datetime | None) -> None:
    """Send the reminders due today, each once (safe to repeat; meant for a daily cron)."""
    day = today.date() if today else clock.today()
    if not FIRST_DAY <= day <= LAST_DAY:  # reminders look years ahead and back
        raise click.BadParameter(
            f"must be a day from {FIRST_DAY} to {LAST_DAY}", param_hint="'--today'"
        )
    # Read without a write lock (SQLite), then send each reminder in its own transaction.
    with reading_session(get_engine()) as session:
        due = reminders.due_reminders(session, day)
    sent: Counter[str] = Counter()
    failed = 0
    for reminder in due:
        # One transaction each: a reminder that fails is rolled back and logged, and the
        # others still go (tomorrow's run, or a second run today, tries it again).
        try:
            with Session(get_engine()) as session, session.begin():
                if reminders.send_reminder(session, reminder, day):
                    sent[reminder.kind] += 1
        except Exception:  # any failure of one reminder
            failed += 1
            logger.exception("reminder %s for user %s failed", reminder.kind, reminder.user_id)
    for kind in sorted(sent):
        click.echo(f"{kind}: {sent[kind]}")
    total = sum(sent.values())
    click.echo(
        f"Sent {total} reminder{'s' if total != 1 else ''} for {day.isoformat()}; "
        f"{len(due) - total - failed} sent before."
    )
    if failed:
        click.echo(f"{failed} failed (logged); run it again to retry them.", err=True)
        raise SystemExit(1)


@click.command("cleanup-uploads")
@click.option(
    "--grace-minutes",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    help="Leave files younger than this: an upload may still be committing.",
)
@with_appcontext
@plain_database_errors
def cleanup_uploads(grace_minutes: int) -> None:
    """Remove uploaded files that no attachment names (a crash left them behind)."""
    root = upload_settings(current_app).root
    # Reads only: on SQLite, take no write lock while walking the directory.
    with reading_session(get_engine()) as session:
        removed = attachment_store.sweep_orphans(session, root, grace_minutes * 60)
    for path in removed:
        click.echo(f"removed {path}")
    click.echo(
        f"{len(removed)} orphaned upload{'s' if len(removed) != 1 else ''} removed from {root}."
    )


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="candidate", show_default=True)
@with_appcontext
@needs_secret_key
@plain_database_errors
def create_user_command(email: str, password: str, name: str, role: str) -> None:
    """Create a user."""
    with Session(get_engine()) as session, session.begin():
        try:
            user = create_user(
                session=session, email=email, name=name, password=password, role=role
            )
        except Refusal as refusal:
            raise click.ClickException(refusal.message) from None
        click.echo(f"Created {user.role} {user.name} <{user.email}> (id {user.id}).")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
@needs_secret_key
@plain_database_errors
def seed_demo(if_empty: bool) -> None:
    """Fill the database with demo users, evidence and enrollments; print the logins."""
    from .demo import DEMO_PASSWORD, seed

    # expire_on_commit=False: the logins are printed after the commit closes the session.
    with Session(get_engine(), expire_on_commit=False) as session, session.begin():
        users = session.execute(select(func.count()).select_from(User)).scalar_one()
        if users and if_empty:
            click.echo("The database already has users; demo data not loaded.")
            return
        try:
            people = seed(session)
        except Refusal as refusal:
            raise click.ClickException(f"Demo data not loaded: {refusal.message}") from None
    click.echo(f"Demo data loaded. Every demo login uses the password {DEMO_PASSWORD!r}:")
    for user, story in people:
        click.echo(f"  {user.role:<9} {user.email:<32} {story}")


@click.command("pathways")
def pathways() -> None:
    """Print each ruleset: its tracks, states, transitions and requirements with their numbers."""
    click.echo("\n".join(format_ruleset(ruleset) for ruleset in _every_ruleset()), nl=False)


@click.command("rulesets")
def rulesets() -> None:
    """List the rulesets: which one new enrollments follow, and the tracks of each."""
    header = ("ruleset", "rules", "awarding body", "status", "tracks")
    rows = [
        (
            ruleset.id,
            ruleset.label,
            ruleset.awarding_body,
            _currency(ruleset),
            ", ".join(value for value, _label in ruleset.tracks) or "—",
        )
        for ruleset in _every_ruleset()
    ]
    click.echo("\n".join(_table(header, rows)))


def _every_ruleset() -> list[Ruleset]:
    """Every ruleset, pathway by pathway, the current one first."""
    return [ruleset for pathway in CURRENT for ruleset in rulesets_of(pathway)]


def format_ruleset(ruleset: Ruleset) -> str:
    """Render a ruleset as pathways.md shows it: transitions, then requirements and numbers."""
    out = [
        f"{ruleset.id}: {ruleset.label} — {ruleset.awarding_body} — {_currency(ruleset)}",
        f"tracks: {_tracks(ruleset)}",
        f"states: {', '.join(str(state.value) for state in ruleset.states)}; "
        f"starts in {ruleset.initial_state}",
        "",
        *_table(("from", "event", "to", "who", "guards"), _transition_rows(ruleset)),
        "",
        *_table(
            ("requirement", "rule", "label"),
            [(key, need.rule(), need.label) for key, need in ruleset.requirements.items()],
        ),
    ]
    return "\n".join(out) + "\n"


def _currency(ruleset: Ruleset) -> str:
    if is_current(ruleset):
        return "current"
    return f"older (new enrollments follow {CURRENT[ruleset.pathway].id})"


def _tracks(ruleset: Ruleset) -> str:
    if not ruleset.tracks:
        return "none"
    return "; ".join(
        f"{value}{' (default)' if value == ruleset.default_track else ''} = {label}"
        for value, label in ruleset.tracks
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns two spaces apart, under a header and a rule."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{width}}}" for width in widths)
    lines = [header, ["-" * width for width in widths], *rows]
    return [line.format(*row).rstrip() for row in lines]


def _transition_rows(ruleset: Ruleset) -> list[tuple[str, str, str, str, str]]:
    """One row per transition (``resume`` once): from, event, to, who, guards."""
    return [
        (
            source,
            event + (" (note required)" if event in ruleset.notes_required else ""),
            "the state it was withdrawn from" if event == "resume" else target,
            ", ".join(role.value for role in Role if role in ruleset.who[event]),
            " · ".join(guards) or "—",
        )
        for source, event, target, guards in _unique_rows(ruleset)
    ]


def _unique_rows(ruleset: Ruleset) -> list[tuple[str, str, str, list[str]]]:
    rows: list[tuple[str, str, str, list[str]]] = []
    seen: set[tuple[str, str]] = set()
    for source, event, target, guards in ruleset.transitions():
        if event == "resume":
            if (source, event) in seen:
                continue
            seen.add((source, event))
        rows.append((source, event, target, guards))
    return rows
