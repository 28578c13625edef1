"""Configuration: the secret-key refusal, the environment, the instance folder.

An app that may serve (a WSGI server, ``flask run``) refuses to start without a real
secret key, and so do the commands that set up a deployment; the read-only commands
(``pathways``, ``rulesets``, ``--help``) serve nothing and run without one.

create_app() takes no instance path, and Flask finds the instance folder from where the
package lives (``<checkout>/instance``), where a developer's own config.py may sit. So
in-process tests point Flask's ``auto_find_instance_path`` at a temporary folder, and
the real-command tests run ``flask`` on a copy of the package in a temporary checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import Engine, make_url

from trainerpath import PACKAGE, create_app
from trainerpath.config import DEFAULT_SECRET_KEY, ConfigError

SECRET = "a-real-secret-for-tests"


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty instance folder Flask will use, and an environment without our settings."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    for name in list(os.environ):
        if name.startswith(("TRAINERPATH_", "FLASK_")):
            monkeypatch.delenv(name)
    return folder


def started(app: Flask) -> Flask:
    """Return the app after closing its engine, so no file stays open."""
    engine: Engine = app.extensions["trainerpath.engine"]
    engine.dispose()
    return app


@pytest.mark.parametrize(
    "secret",
    [None, DEFAULT_SECRET_KEY, ""],
    ids=["missing", "the insecure default", "empty"],
)
def test_app_refuses_to_start_without_a_real_secret_key(
    instance: Path, monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    if secret is not None:
        monkeypatch.setenv("TRAINERPATH_SECRET_KEY", secret)

    with pytest.raises(ConfigError) as refusal:
        create_app()

    message = str(refusal.value)
    assert isinstance(refusal.value, SystemExit)
    assert refusal.value.code == 4  # gunicorn's "the app failed to load": it stops
    assert "\n" not in message
    assert "TRAINERPATH_SECRET_KEY" in message


def test_app_refuses_the_insecure_default_written_in_the_instance_file(instance: Path) -> None:
    instance.mkdir()
    (instance / "config.py").write_text(f"SECRET_KEY = {DEFAULT_SECRET_KEY!r}\n")

    with pytest.raises(ConfigError, match="TRAINERPATH_SECRET_KEY"):
        create_app()


def test_app_starts_with_the_secret_key_from_the_environment(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINERPATH_SECRET_KEY", SECRET)

    app = started(create_app())

    assert app.config["SECRET_KEY"] == SECRET
    assert not app.debug and not app.testing


def test_app_in_debug_mode_starts_without_a_secret_key(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")

    assert started(create_app()).debug


def test_app_under_test_starts_without_a_secret_key(instance: Path) -> None:
    assert started(create_app({"TESTING": True})).testing


def test_database_url_from_the_environment_overrides_the_default(
    instance: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("TRAINERPATH_SECRET_KEY", SECRET)
    monkeypatch.setenv("TRAINERPATH_DATABASE_URL", url)

    app = started(create_app())

    assert app.config["DATABASE_URL"] == url
    engine_url = app.extensions["trainerpath.engine"].url  # sqlite+trainerpath: see db.py
    assert engine_url.get_backend_name() == "sqlite"
    assert engine_url.database == make_url(url).database


def test_default_database_is_a_sqlite_file_in_the_instance_folder(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINERPATH_SECRET_KEY", SECRET)
    app = create_app()

    result = app.test_cli_runner().invoke(args=["init-db"])
    started(app)

    assert result.exit_code == 0, result.output
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'trainerpath.db'}"
    assert (instance / "trainerpath.db").is_file()


def test_instance_config_file_is_read_and_the_environment_wins_over_it(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance.mkdir()
    (instance / "config.py").write_text(
        "SECRET_KEY = 'from-the-instance-file'\nTOKEN_TTL_DAYS = 7\nREMEMBER_COOKIE_SECURE = True\n"
    )
    monkeypatch.setenv("TRAINERPATH_TOKEN_TTL_DAYS", "3")

    app = started(create_app())

    assert app.config["SECRET_KEY"] == "from-the-instance-file"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["TOKEN_TTL_DAYS"] == 3


# -- the command line, in-process ----------------------------------------------------


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    """Run the command line as ``flask --app trainerpath`` would, loading a new app."""
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # the group sets it; undone afterwards
    group = FlaskGroup(create_app=create_app, load_dotenv=False)
    return CliRunner().invoke(group, args)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TOKEN_TTL_DAYS", "0.5"),
        ("TOKEN_TTL_DAYS", "0"),
        ("TOKEN_TTL_DAYS", "-3"),
        ("TOKEN_TTL_DAYS", "thirty"),
        ("TOKEN_TTL_DAYS", "true"),
        ("TOKEN_TTL_DAYS", "100000000"),
        ("MAX_CONTENT_LENGTH", "1e6"),
        ("MAX_CONTENT_LENGTH", "0"),
        ("MAX_CONTENT_LENGTH", "null"),
        ("SESSION_COOKIE_SECURE", "yes"),
        ("LOGIN_MAX_FAILURES", "0"),
        ("DATABASE_URL", "notaurl"),
        ("DATABASE_URL", "mysql://root:hunter2@db/trainerpath"),
        ("RATELIMIT_STORAGE_URL", "bogus://x"),
    ],
)
def test_app_refuses_to_start_with_an_unusable_setting_in_one_line(
    instance: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
) -> None:
    monkeypatch.setenv("TRAINERPATH_SECRET_KEY", SECRET)
    monkeypatch.setenv(f"TRAINERPATH_{name}", value)

    with pytest.raises(ConfigError) as refusal:
        create_app()

    assert refusal.value.code == ConfigError.STATUS
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("trainerpath: refusing to start: ")
    assert f"TRAINERPATH_{name} must be" in line
    assert "hunter2" not in line  # a URL's password is never repeated


def test_a_text_setting_from_the_environment_is_taken_as_written(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not read as JSON: a numeric key became an int, and every page then failed."""
    monkeypatch.setenv("TRAINERPATH_SECRET_KEY", "12345678901234567890")
    monkeypatch.setenv("TRAINERPATH_MAIL_PASSWORD", "123456")

    app = started(create_app())

    assert app.config["SECRET_KEY"] == "12345678901234567890"
    assert app.config["MAIL_PASSWORD"] == "123456"
    assert app.test_client().get("/login").status_code == 200


def test_settings_from_the_environment_that_make_sense_are_taken(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINERPATH_SECRET_KEY", SECRET)
    monkeypatch.setenv("TRAINERPATH_TOKEN_TTL_DAYS", "7")
    monkeypatch.setenv("TRAINERPATH_MAX_CONTENT_LENGTH", "2048")
    monkeypatch.setenv("TRAINERPATH_SESSION_COOKIE_SECURE", "true")

    app = started(create_app())

    assert app.config["TOKEN_TTL_DAYS"] == 7
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_default_request_limit_is_one_mebibyte(instance: Path) -> None:
    assert started(create_app({"TESTING": True})).config["MAX_CONTENT_LENGTH"] == 1024 * 1024


@pytest.mark.parametrize(
    ("command", "shows"),
    [
        ("pathways", "≥ 10 qualifying training events in the last 60 months"),
        ("rulesets", "older (new enrollments follow cst@2)"),
        ("--help", "Print each ruleset"),
    ],
)
def test_read_only_commands_run_without_a_secret_key(
    instance: Path, monkeypatch: pytest.MonkeyPatch, command: str, shows: str
) -> None:
    result = invoke([command], monkeypatch)

    assert result.exit_code == 0, result.output
    assert shows in result.stdout
    assert result.stderr == ""
    assert not (instance / "trainerpath.db").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["init-db"],
        ["seed-demo"],
        ["create-user", "--email", "a@example.org", "--password", "x" * 12, "--name", "A"],
    ],
    ids=lambda args: args[0],
)
def test_commands_that_set_up_a_deployment_refuse_without_a_secret_key(
    instance: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    result = invoke(args, monkeypatch)

    assert result.exit_code == 4
    [line] = result.stderr.strip().splitlines()
    assert "TRAINERPATH_SECRET_KEY" in line
    assert not (instance / "trainerpath.db").exists()


def test_commands_that_set_up_a_deployment_run_with_a_secret_key(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINERPATH_SECRET_KEY", SECRET)

    result = invoke(["init-db"], monkeypatch)

    assert result.exit_code == 0, result.output
    assert "Database upgraded from empty to revision" in result.output


# -- the real command, on a copy of the package ------------------------------------


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder holding a copy of the package, so its instance folder is a fresh one."""
    root = tmp_path / "checkout"
    shutil.copytree(
        PACKAGE, root / "trainerpath", ignore=shutil.ignore_patterns("__pycache__", "static")
    )
    return root


def run_flask(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``flask --app trainerpath ARGS`` in ``cwd`` with only the given settings."""
    script = Path(sys.executable).with_name("flask")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "flask"]
    return run([*command, "--app", "trainerpath", *args], cwd, **env)


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd`` on the package copy there, with only the given settings."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TRAINERPATH_", "FLASK_"))
    }
    return subprocess.run(
        command,
        cwd=cwd,
        # The copy must win over the installed package, whatever the working directory does.
        env=clean | {"PYTHONPATH": str(cwd)} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_flask_command_without_a_secret_refuses_in_one_line(checkout: Path) -> None:
    result = run_flask(["init-db"], checkout)

    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert "TRAINERPATH_SECRET_KEY" in line
    assert not (checkout / "instance" / "trainerpath.db").exists()


def test_flask_command_reads_the_instance_config_and_keeps_the_database_there(
    checkout: Path,
) -> None:
    (checkout / "instance").mkdir()
    (checkout / "instance" / "config.py").write_text(f"SECRET_KEY = {SECRET!r}\n")

    result = run_flask(["init-db"], checkout)

    assert result.returncode == 0, result.stderr
    assert "Database upgraded from empty to revision" in result.stdout
    assert (checkout / "instance" / "trainerpath.db").is_file()


def test_gunicorn_with_a_fractional_token_lifetime_stops_with_one_line(checkout: Path) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")

    result = run(
        [str(gunicorn), "--bind", "127.0.0.1:0", "trainerpath:create_app()"],
        checkout,
        TRAINERPATH_SECRET_KEY=SECRET,
        TRAINERPATH_TOKEN_TTL_DAYS="0.5",
    )

    assert result.returncode == 4  # the master halts instead of serving failing requests
    assert [line for line in result.stderr.splitlines() if "refusing" in line] == [
        "trainerpath: refusing to start: TRAINERPATH_TOKEN_TTL_DAYS must be a whole number "
        "of days from 1 to 3650, not 0.5."
    ]


def test_flask_pathways_runs_without_a_secret_key_or_an_instance_config(checkout: Path) -> None:
    result = run_flask(["pathways"], checkout)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert re.search(r"^students_taught +≥ 100 students +Students taught$", result.stdout, re.M)
    assert "≥ 10 qualifying training events in the last 60 months" in result.stdout
    assert not (checkout / "instance" / "trainerpath.db").exists()


def test_flask_help_lists_the_commands_without_a_secret_key(checkout: Path) -> None:
    result = run_flask(["--help"], checkout)

    assert result.returncode == 0, result.stderr
    for command in ("init-db", "create-user", "seed-demo", "pathways", "rulesets", "run"):
        assert f"  {command} " in result.stdout


def test_flask_run_without_a_secret_refuses_in_one_line(checkout: Path) -> None:
    result = run_flask(["run", "--port", "0"], checkout)

    assert result.returncode == 4
    [line] = result.stderr.strip().splitlines()
    assert "refusing to start without a secret key" in line
    assert "Running on" not in result.stdout + result.stderr


def test_gunicorn_without_a_secret_stops_with_one_line_instead_of_rebooting_workers(
    checkout: Path,
) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")

    result = run([str(gunicorn), "--bind", "127.0.0.1:0", "trainerpath:create_app()"], checkout)

    assert result.returncode == 4  # the master halts: "App failed to load."
    lines = result.stderr.splitlines()
    assert [line for line in lines if "secret key" in line] == [
        "trainerpath: refusing to start without a secret key: set TRAINERPATH_SECRET_KEY or "
        "SECRET_KEY in instance/config.py (`make run` writes one for you)."
    ]
    assert "App failed to load" in lines[-1]
