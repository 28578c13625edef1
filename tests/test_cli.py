"""The command line: init-db, create-user, pathways and seed-demo, as an operator uses them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col
from werkzeug.security import check_password_hash

from trainerpath import clock, create_app, migrate
from trainerpath.db import make_engine
from trainerpath.models import Enrollment, Standing, User
from trainerpath.pathways import REGISTERED, Ruleset
from trainerpath.services.users import authenticate

SECRET = "cli-test-secret"


def users_with_email(session: Session, email: str) -> list[User]:
    """The users whose e-mail is ``email`` in any letter case."""
    stmt = select(User).where(func.lower(col(User.email)) == email.lower())
    return list(session.execute(stmt).scalars())


# -- init-db -------------------------------------------------------------------------


def test_init_db_migrates_an_empty_database_then_says_it_is_up_to_date(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    runner = app.test_cli_runner()
    engine = app.extensions["trainerpath.engine"]
    head = migrate.head_revision(engine)

    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])
    engine.dispose()

    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"Database upgraded from empty to revision {head}."
    assert second.exit_code == 0, second.output
    assert second.output.strip() == f"Database is up to date (revision {head})."


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["refresh-standings"], "it is not set up yet: run `flask --app trainerpath init-db`"),
        (["send-reminders"], "it is not set up yet"),
        (["seed-demo", "--if-empty"], "it is not set up yet"),
    ],
)
def test_a_command_on_a_database_not_set_up_says_so_in_one_line(
    tmp_path: Path, args: list[str], said: str
) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    result = app.test_cli_runner().invoke(args=args)
    app.extensions["trainerpath.engine"].dispose()
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: The database cannot be used: ") and said in line


def test_init_db_on_a_database_it_cannot_reach_says_so_in_one_line() -> None:
    closed = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2"
    app = create_app({"TESTING": True, "DATABASE_URL": closed})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: The database cannot be used: ")


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_send_reminders_refuses_a_day_it_cannot_reckon_around(
    runner: FlaskCliRunner, day: str
) -> None:
    result = runner.invoke(args=["send-reminders", "--today", day])
    assert result.exit_code == 2
    assert "'--today': must be a day from 1900-01-01 to 9000-12-31" in result.output


def test_init_db_on_the_migrated_test_database_is_up_to_date(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    assert "Database is up to date" in result.output


def test_refresh_standings_measures_what_is_missing_or_of_another_day(
    runner: FlaskCliRunner,
    session: Session,
    make_user: Callable[..., User],
    make_enrollment: Callable[..., Enrollment],
) -> None:
    kept, lost, old = (make_enrollment(make_user()) for _ in range(3))
    session.execute(delete(Standing).where(col(Standing.enrollment_id) == lost.id))
    session.execute(
        update(Standing)
        .where(col(Standing.enrollment_id) == old.id)
        .values(computed_on=clock.today() - timedelta(days=1))
    )
    session.commit()

    first = runner.invoke(args=["refresh-standings"])
    second = runner.invoke(args=["refresh-standings"])

    assert first.output.strip() == "Standings measured again for 2 candidates."
    assert second.output.strip() == "Standings measured again for 0 candidates."
    session.expire_all()
    days = {row.enrollment_id: row.computed_on for row in session.scalars(select(Standing))}
    assert days == dict.fromkeys((kept.id, lost.id, old.id), clock.today())


# -- create-user ---------------------------------------------------------------------

NEW_USER = {
    "--email": "Mia.Mentor@Example.org",
    "--password": "a long enough password",
    "--role": "mentor",
    "--name": "Mia Mentor",
}


def create_user_args(**changes: str) -> list[str]:
    """The create-user command line for NEW_USER, with options changed by name."""
    options = NEW_USER | {f"--{name}": value for name, value in changes.items()}
    return ["create-user", *(part for pair in options.items() for part in pair)]


def test_create_user_stores_the_user_with_a_hashed_password(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=create_user_args())

    assert result.exit_code == 0, result.output
    assert "Created mentor Mia Mentor <mia.mentor@example.org>" in result.output
    [user] = users_with_email(session, "mia.mentor@example.org")
    assert (user.role, user.name, user.email) == ("mentor", "Mia Mentor", "mia.mentor@example.org")
    assert NEW_USER["--password"] not in user.password_hash
    assert check_password_hash(user.password_hash, NEW_USER["--password"])
    assert authenticate(session, "MIA.MENTOR@example.org", NEW_USER["--password"]) == user


def test_create_user_refuses_an_email_that_is_taken_in_any_letter_case(
    runner: FlaskCliRunner, session: Session, make_user: Callable[..., User]
) -> None:
    existing = make_user(role="candidate", email="mia.mentor@example.org")

    result = runner.invoke(args=create_user_args(email="MIA.MENTOR@EXAMPLE.ORG"))

    assert result.exit_code != 0
    assert "Error: A user with this e-mail address already exists." in result.output
    assert [user.id for user in users_with_email(session, "mia.mentor@example.org")] == [
        existing.id
    ]


@pytest.mark.parametrize(
    ("changes", "exit_code", "message"),
    [
        ({"role": "superuser"}, 2, "Invalid value for '--role': 'superuser' is not one of"),
        ({"email": "not-an-address"}, 1, "email: must be a valid e-mail address"),
        ({"password": "short"}, 1, "password: must be at least 8 characters"),
        ({"name": "   "}, 1, "name: required"),
    ],
    ids=["bad role", "bad email", "short password", "blank name"],
)
def test_create_user_refuses_bad_input_and_creates_nobody(
    runner: FlaskCliRunner,
    session: Session,
    changes: dict[str, str],
    exit_code: int,
    message: str,
) -> None:
    result = runner.invoke(args=create_user_args(**changes))

    assert result.exit_code == exit_code, result.output
    assert message in result.output
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == 0


# -- pathways and rulesets ----------------------------------------------------------

Row = dict[str, str]


@dataclass
class Printed:
    """One ruleset as ``flask pathways`` prints it, read back."""

    title: str
    tracks: str
    states: str
    transitions: list[Row]
    requirements: list[Row]


def parse_table(lines: list[str]) -> list[Row]:
    """Read a table with a header and a rule of dashes: one dict per row."""
    header, _rule, *rows = lines
    columns = re.split(r"\s{2,}", header.strip())
    return [dict(zip(columns, re.split(r"\s{2,}", row.strip()), strict=True)) for row in rows]


def parse_pathways(output: str) -> dict[str, Printed]:
    """Read the printed rulesets back, by ruleset id."""
    sections = [section.splitlines() for section in output.strip().split("\n\n")]
    printed: dict[str, Printed] = {}
    for heading, transitions, requirements in zip(*[iter(sections)] * 3, strict=True):
        title, tracks, states = heading
        printed[title.split(":")[0]] = Printed(
            title,
            tracks.removeprefix("tracks: "),
            states,
            parse_table(transitions),
            parse_table(requirements),
        )
    return printed


def row_for(rows: list[Row], source: str, event: str) -> Row:
    """The one row for ``event`` leaving ``source``."""
    [row] = [r for r in rows if r["from"] == source and r["event"].split(" ")[0] == event]
    return row


@pytest.fixture
def printed(runner: FlaskCliRunner) -> dict[str, Printed]:
    """The output of ``flask pathways``, parsed."""
    result = runner.invoke(args=["pathways"])
    assert result.exit_code == 0, result.output
    return parse_pathways(result.output)


def test_pathways_prints_every_ruleset_current_first_with_its_label(
    printed: dict[str, Printed],
) -> None:
    assert list(printed) == ["cst@2", "cst@1", "pst@2", "pst@1"]
    assert [p.title for p in printed.values()] == [
        "cst@2: Certified Scrum Trainer (April 2024) — Scrum Alliance — current",
        "cst@1: Certified Scrum Trainer (first published rules) — Scrum Alliance — older "
        "(new enrollments follow cst@2)",
        "pst@2: Professional Scrum Trainer (PST Candidate Journey) — Scrum.org — current",
        "pst@1: Professional Scrum Trainer (Product Owner track, first published rules) — "
        "Scrum.org — older (new enrollments follow pst@2)",
    ]


def test_pathways_prints_the_tracks_of_cst_2_and_none_elsewhere(
    printed: dict[str, Printed],
) -> None:
    assert printed["cst@2"].tracks == (
        "scrum_master (default) = ScrumMaster (CSM courses); "
        "product_owner = Product Owner (CSPO courses)"
    )
    assert {printed[r].tracks for r in ("cst@1", "pst@1", "pst@2")} == {"none"}


@pytest.mark.parametrize(
    ("ruleset", "states"),
    [
        ("cst@1", "preparing, tac_review, interview, certified, withdrawn"),
        ("cst@2", "preparing, formal_review, tsa, certified, withdrawn"),
        (
            "pst@2",
            "preparing, application_review, knowledge_and_experience, training_skills, "
            "licensed, withdrawn",
        ),
    ],
)
def test_pathways_prints_the_states_and_where_an_enrollment_starts(
    printed: dict[str, Printed], ruleset: str, states: str
) -> None:
    assert printed[ruleset].states == f"states: {states}; starts in preparing"


# The requirements with their numbers, copied by hand from pathways.md §4 and §6.
RULES = {
    "cst@1": {
        "csp_active": "required",
        "students_taught": "≥ 100 students",
        "multi_day_sm_sessions": "≥ 10 multi-day ScrumMaster sessions",
        "course_materials_reviewed": "required",
        "scrum_experience": "required",
    },
    "cst@2": {
        "csp_active": "required",
        "qualifying_events": "≥ 10 qualifying training events in the last 60 months",
        "current_materials_events": (
            "≥ 5 qualifying events with current materials in the last 60 months"
        ),
        "recent_experience": "≥ 60 months in the last 84 months",
        "learning_objectives_mapped": "required",
    },
    "pst@1": {
        "po_experience": "≥ 4 years",
        "training_provided": "≥ 1 teaching session",
        "pspo1_95": "score ≥ 95%",
        "ttt_attended": "required",
        "pspo2_85": "score ≥ 85%",
        "pspo3_85": "score ≥ 85%",
    },
    "pst@2": {
        "scrum_experience": "≥ 4 years",
        "training_provided": "≥ 1 teaching session",
        "assessment_95": "score ≥ 95%",
        "advanced_assessment_85": "score ≥ 85%",
    },
}


@pytest.mark.parametrize("ruleset", sorted(RULES))
def test_pathways_prints_each_requirement_with_its_numbers(
    printed: dict[str, Printed], ruleset: str
) -> None:
    rules = {row["requirement"]: row["rule"] for row in printed[ruleset].requirements}

    assert rules == RULES[ruleset]


@pytest.mark.parametrize("ruleset", REGISTERED, ids=lambda r: r.id)
def test_pathways_labels_every_requirement_that_guards_an_event(
    printed: dict[str, Printed], ruleset: Ruleset
) -> None:
    table = printed[ruleset.id]
    labels = {row["requirement"]: row["label"] for row in table.requirements}
    guards = {
        guard
        for row in table.transitions
        if row["guards"] != "—"
        for guard in row["guards"].split(" · ")
    }

    assert labels == {key: need.label for key, need in ruleset.requirements.items()}
    assert guards == set(labels)


@pytest.mark.parametrize(
    ("ruleset", "source", "event", "target", "who", "guards"),
    [
        (
            "cst@1",
            "preparing",
            "submit_application",
            "tac_review",
            {"candidate"},
            {
                "csp_active",
                "students_taught",
                "multi_day_sm_sessions",
                "course_materials_reviewed",
                "scrum_experience",
            },
        ),
        ("cst@1", "tac_review", "tac_approve", "interview", {"mentor", "admin"}, set()),
        ("cst@1", "interview", "interview_pass", "certified", {"mentor", "admin"}, set()),
        (
            "cst@2",
            "preparing",
            "submit_application",
            "formal_review",
            {"candidate"},
            {
                "csp_active",
                "qualifying_events",
                "current_materials_events",
                "recent_experience",
                "learning_objectives_mapped",
            },
        ),
        ("cst@2", "formal_review", "formal_review_pass", "tsa", {"mentor", "admin"}, set()),
        ("cst@2", "tsa", "tsa_pass", "certified", {"mentor", "admin"}, set()),
        (
            "pst@1",
            "preparing",
            "submit_application",
            "application_review",
            {"candidate"},
            {"po_experience", "training_provided", "pspo1_95"},
        ),
        ("pst@1", "ttt", "complete_ttt", "pspo2", {"candidate"}, {"ttt_attended"}),
        ("pst@1", "pspo3", "pass_pspo3", "staff_interview", {"candidate"}, {"pspo3_85"}),
        ("pst@1", "pspo2", "withdraw", "withdrawn", {"candidate", "admin"}, set()),
        (
            "pst@2",
            "preparing",
            "submit_application",
            "application_review",
            {"candidate"},
            {"scrum_experience", "training_provided", "assessment_95", "advanced_assessment_85"},
        ),
        (
            "pst@2",
            "application_review",
            "accept_application",
            "knowledge_and_experience",
            {"mentor", "admin"},
            set(),
        ),
        (
            "pst@2",
            "knowledge_and_experience",
            "phase_2_pass",
            "training_skills",
            {"mentor", "admin"},
            set(),
        ),
        ("pst@2", "training_skills", "phase_3_pass", "licensed", {"mentor", "admin"}, set()),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_pathways_lists_each_transition_with_its_roles_and_guards(
    printed: dict[str, Printed],
    ruleset: str,
    source: str,
    event: str,
    target: str,
    who: set[str],
    guards: set[str],
) -> None:
    row = row_for(printed[ruleset].transitions, source, event)

    assert row["to"] == target
    assert set(row["who"].split(", ")) == who
    assert (set(row["guards"].split(" · ")) if guards else row["guards"]) == (guards or "—")


# The events that need a note, copied by hand from pathways.md §4 and §6.
NOTES = {
    ("cst@1", "tac_review", "tac_decline"),
    ("cst@1", "interview", "interview_fail"),
    ("cst@2", "formal_review", "formal_review_decline"),
    ("cst@2", "tsa", "tsa_fail"),
    ("pst@1", "application_review", "reject_application"),
    ("pst@1", "staff_interview", "staff_interview_fail"),
    ("pst@1", "peer_review", "peer_review_fail"),
    ("pst@2", "application_review", "reject_application"),
    ("pst@2", "knowledge_and_experience", "phase_2_fail"),
    ("pst@2", "training_skills", "phase_3_fail"),
}


@pytest.mark.parametrize(("ruleset", "source", "event"), sorted(NOTES))
def test_pathways_marks_the_events_that_need_a_note(
    printed: dict[str, Printed], ruleset: str, source: str, event: str
) -> None:
    row = row_for(printed[ruleset].transitions, source, event)

    assert row["event"] == f"{event} (note required)"


def test_pathways_marks_no_other_event_as_needing_a_note(printed: dict[str, Printed]) -> None:
    marked = {
        (ruleset, row["from"], row["event"].split(" ")[0])
        for ruleset, table in printed.items()
        for row in table.transitions
        if "note required" in row["event"]
    }
    assert marked == NOTES


@pytest.mark.parametrize("ruleset", REGISTERED, ids=lambda r: r.id)
def test_pathways_shows_resume_once_returning_to_the_state_withdrawn_from(
    printed: dict[str, Printed], ruleset: Ruleset
) -> None:
    [resume] = [row for row in printed[ruleset.id].transitions if row["event"] == "resume"]

    assert resume["from"] == "withdrawn"
    assert resume["to"] == "the state it was withdrawn from"
    assert set(resume["who"].split(", ")) == {"candidate", "admin"}


def test_rulesets_lists_each_ruleset_with_its_status_and_tracks(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["rulesets"])

    assert result.exit_code == 0, result.output
    rows = {row["ruleset"]: row for row in parse_table(result.output.splitlines())}
    assert list(rows) == ["cst@2", "cst@1", "pst@2", "pst@1"]
    assert rows["cst@2"] == {
        "ruleset": "cst@2",
        "rules": "Certified Scrum Trainer (April 2024)",
        "awarding body": "Scrum Alliance",
        "status": "current",
        "tracks": "scrum_master, product_owner",
    }
    assert rows["pst@1"]["status"] == "older (new enrollments follow pst@2)"
    assert rows["pst@1"]["tracks"] == "—"


# -- seed-demo -----------------------------------------------------------------------


def test_seed_demo_loads_people_and_enrollments_and_prints_working_logins(
    runner: FlaskCliRunner, session: Session
) -> None:
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    users = list(session.execute(select(User)).scalars())
    assert Counter(user.role for user in users) == {"admin": 1, "mentor": 2, "candidate": 7}
    password = re.search(r"uses the password '([^']+)'", result.output)
    assert password is not None, result.output
    login_lines = [line.split() for line in result.output.splitlines() if "@" in line]
    assert sorted((words[0], words[1]) for words in login_lines) == sorted(
        (user.role, user.email) for user in users
    )
    for user in users:
        assert authenticate(session, user.email, password.group(1)) == user
    states: dict[str, set[str]] = {"cst": set(), "pst": set()}
    for enrollment in session.execute(select(Enrollment)).scalars():
        states[enrollment.pathway].add(enrollment.state)
    assert len(states["cst"]) >= 2 and len(states["pst"]) >= 2, states


def test_seed_demo_if_empty_does_nothing_the_second_time(
    runner: FlaskCliRunner, session: Session
) -> None:
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    counts = counts_of_users_and_enrollments(session)

    again = runner.invoke(args=["seed-demo", "--if-empty"])

    assert again.exit_code == 0, again.output
    assert "already has users; demo data not loaded" in again.output
    assert "@" not in again.output  # no logins printed: nothing new was created
    assert counts_of_users_and_enrollments(session) == counts


def counts_of_users_and_enrollments(session: Session) -> tuple[int, int]:
    """How many users and enrollments the database holds."""
    count = func.count()
    users = session.execute(select(count).select_from(User)).scalar_one()
    enrollments = session.execute(select(count).select_from(Enrollment)).scalar_one()
    # End the read: on SQLite an open transaction holds the write lock the CLI needs.
    session.rollback()
    return users, enrollments


# -- the real command ----------------------------------------------------------------


def flask_command() -> list[str]:
    """The ``flask`` executable of this virtualenv (or ``python -m flask``)."""
    script = Path(sys.executable).with_name("flask")
    return [str(script)] if script.exists() else [sys.executable, "-m", "flask"]


def run_flask(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app trainerpath ARGS`` with only the given TRAINERPATH_* settings."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TRAINERPATH_", "FLASK_"))
    }
    return subprocess.run(
        [*flask_command(), "--app", "trainerpath", *args],
        cwd=cwd,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_flask_command_migrates_and_creates_a_user_end_to_end(tmp_path: Path) -> None:
    db_file = tmp_path / "e2e.db"
    env = {
        "TRAINERPATH_DATABASE_URL": f"sqlite:///{db_file}",
        "TRAINERPATH_SECRET_KEY": SECRET,
    }

    migrated = run_flask(["init-db"], tmp_path, **env)
    created = run_flask(create_user_args(role="admin"), tmp_path, **env)

    assert migrated.returncode == 0, migrated.stderr
    assert "Database upgraded from empty to revision" in migrated.stdout
    assert created.returncode == 0, created.stderr
    assert "Created admin Mia Mentor <mia.mentor@example.org>" in created.stdout
    engine = make_engine(env["TRAINERPATH_DATABASE_URL"])
    try:
        with Session(engine) as session:
            user = authenticate(session, "mia.mentor@example.org", NEW_USER["--password"])
            assert user is not None and user.role == "admin"
    finally:
        engine.dispose()
