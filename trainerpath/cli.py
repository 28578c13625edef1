"""Command line: flask --app trainerpath init-db | create-user | seed-demo | pathways."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import migrate
from .db import get_engine
from .models import Role, User
from .pathways import RULESETS, Ruleset
from .services.errors import Refusal
from .services.users import ROLES, create_user


def init_app(app: Flask) -> None:
    """Register the commands on the app."""
    for command in (init_db, create_user_command, seed_demo, pathways):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the ``trainerpath`` console script (the flask CLI for this app)."""
    from . import create_app

    FlaskGroup(create_app=create_app)()


@click.command("init-db")
@with_appcontext  # `flask` pushes one itself; app.test_cli_runner() does not
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


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="candidate", show_default=True)
@with_appcontext
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
@with_appcontext
def pathways() -> None:
    """Print each ruleset's table of states, events, guards and who may fire them."""
    for ruleset in RULESETS.values():
        click.echo(format_ruleset(ruleset))


def format_ruleset(ruleset: Ruleset) -> str:
    """Render a ruleset as the plain-text table pathways.md shows."""
    header = ("from", "event", "to", "who", "guards")
    rows = [
        (
            source,
            event + (" (note required)" if event in ruleset.notes_required else ""),
            "the state it was withdrawn from" if event == "resume" else target,
            ", ".join(role.value for role in Role if role in ruleset.who[event]),
            " · ".join(guards) or "—",
        )
        for source, event, target, guards in _unique_rows(ruleset)
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{width}}}" for width in widths)
    states = ", ".join(str(state.value) for state in ruleset.states)
    out = [
        f"{ruleset.id}: {ruleset.title} ({ruleset.awarding_body})",
        f"states: {states}; starts in {ruleset.initial_state}",
        line.format(*header).rstrip(),
        line.format(*("-" * width for width in widths)).rstrip(),
    ]
    out += [line.format(*row).rstrip() for row in rows]
    return "\n".join(out) + "\n"


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
