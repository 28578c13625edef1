"""Packaging: the front-end files (htmx, Pico) every page loads from static/vendor.

The vendor folder is git-ignored and filled from npm by scripts/copy_static.py (``make
setup``, or the wheel's build hook, hatch_build.py). An app that would serve pages
without them refuses to start in one line that says what to run. Building real wheels
from a clean clone is scripts/check_wheel.sh's job (CI runs it); here is the rest.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from trainerpath import PACKAGE, VENDOR_FILES

ROOT = PACKAGE.parent
SECRET = "a-real-secret-for-tests"
REFUSAL = (
    "trainerpath: refusing to start without htmx.min.js and pico.min.css in {vendor}: "
    "run `make setup`, or `npm ci && python scripts/copy_static.py` in the checkout."
)


def load_copy_static() -> ModuleType:
    """Import scripts/copy_static.py, as the build hook does."""
    spec = importlib.util.spec_from_file_location("copy_static", ROOT / "scripts/copy_static.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


copy_static = load_copy_static()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the package whose static folder lacks the vendor files, as a clean clone."""
    root = tmp_path / "checkout"
    shutil.copytree(
        PACKAGE, root / "trainerpath", ignore=shutil.ignore_patterns("__pycache__", "vendor")
    )
    shutil.copytree(ROOT / "templates", root / "templates")
    return root


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` on the package copy in ``cwd``, with a secret key and nothing else."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TRAINERPATH_", "FLASK_"))
    }
    return subprocess.run(
        command,
        cwd=cwd,
        env=clean | {"PYTHONPATH": str(cwd), "TRAINERPATH_SECRET_KEY": SECRET},
        capture_output=True,
        text=True,
        timeout=30,  # the old code served on; it must not hang the suite for long
        check=False,
    )


def test_flask_run_without_htmx_and_pico_refuses_in_one_line_saying_what_to_run(
    checkout: Path,
) -> None:
    flask = Path(sys.executable).with_name("flask")

    result = run([str(flask), "--app", "trainerpath", "run", "--port", "0"], checkout)

    assert result.returncode == 4
    [line] = result.stderr.strip().splitlines()
    assert line == REFUSAL.format(vendor=checkout / "trainerpath" / "static" / "vendor")
    assert "Running on" not in result.stdout + result.stderr


def test_gunicorn_without_htmx_and_pico_stops_with_one_line(checkout: Path) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")

    result = run([str(gunicorn), "--bind", "127.0.0.1:0", "trainerpath:create_app()"], checkout)

    assert result.returncode == 4  # the master halts: "App failed to load."
    vendor = checkout / "trainerpath" / "static" / "vendor"
    lines = result.stderr.splitlines()
    assert [line for line in lines if "refusing" in line] == [REFUSAL.format(vendor=vendor)]
    assert "App failed to load" in lines[-1]


def test_flask_run_names_only_the_missing_file(checkout: Path) -> None:
    vendor = checkout / "trainerpath" / "static" / "vendor"
    vendor.mkdir()
    (vendor / "htmx.min.js").write_text("/* htmx */\n")
    flask = Path(sys.executable).with_name("flask")

    result = run([str(flask), "--app", "trainerpath", "run", "--port", "0"], checkout)

    assert result.returncode == 4
    [line] = result.stderr.strip().splitlines()
    assert f"without pico.min.css in {vendor}: run `make setup`" in line


def test_the_app_checks_the_files_the_copy_script_puts_there() -> None:
    assert tuple(copy_static.vendor_files()) == VENDOR_FILES


# -- scripts/copy_static.py: when the build hook must run npm ci again --------------


def fake_npm_project(root: Path, pins: dict[str, str], installed: dict[str, str]) -> None:
    """Write a package-lock.json pinning ``pins`` and a node_modules holding ``installed``."""
    lock = {"packages": {f"node_modules/{name}": {"version": v} for name, v in pins.items()}}
    (root / "package-lock.json").write_text(json.dumps(lock))
    for name, version in installed.items():
        package = root / "node_modules" / name
        for source in copy_static.PACKAGES[name]:
            (package / source).parent.mkdir(parents=True, exist_ok=True)
            (package / source).write_text(f"/* {name} {version} */\n")
        (package / "package.json").write_text(json.dumps({"version": version}))


PINS = {"htmx.org": "2.0.11", "@picocss/pico": "2.1.1"}


def test_copied_files_are_current_until_package_lock_pins_another_version(
    tmp_path: Path,
) -> None:
    fake_npm_project(tmp_path, PINS, PINS)
    assert not copy_static.is_current(tmp_path)  # a clean clone: nothing copied yet

    copy_static.copy(tmp_path)

    vendor = tmp_path / copy_static.VENDOR
    assert (vendor / "htmx.min.js").read_text() == "/* htmx.org 2.0.11 */\n"
    assert copy_static.is_current(tmp_path)
    fake_npm_project(tmp_path, PINS | {"htmx.org": "2.0.12"}, PINS)
    assert not copy_static.is_current(tmp_path)


def test_copy_refuses_files_from_another_version_than_package_lock_pins(
    tmp_path: Path,
) -> None:
    fake_npm_project(tmp_path, PINS | {"htmx.org": "2.0.12"}, PINS)

    with pytest.raises(copy_static.NotInstalled, match=r"holds 2\.0\.11 .* pins 2\.0\.12"):
        copy_static.copy(tmp_path)

    assert not (tmp_path / copy_static.VENDOR / "htmx.min.js").exists()


def test_copy_script_without_npm_ci_says_to_run_it(tmp_path: Path) -> None:
    script = tmp_path / "scripts" / "copy_static.py"
    script.parent.mkdir()
    shutil.copyfile(ROOT / "scripts" / "copy_static.py", script)
    fake_npm_project(tmp_path, PINS, {})

    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 1
    assert result.stderr == (
        "copy_static: node_modules/htmx.org is missing but package-lock.json pins 2.0.11; "
        "run `npm ci` first\n"
    )
