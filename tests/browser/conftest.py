"""Real-browser fixtures: Debian's Chromium driven by Playwright, the app on a real server.

The app runs in a thread on 127.0.0.1 (a free port) against the test database, with
CSRF protection switched on as in production. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from .steps import log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Assertions wait as long as actions do (10 s, below): in CI the browser lane runs beside
# the PostgreSQL lane on two cores, where an answer can settle after the default 5 s.
expect.set_options(timeout=10_000)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium rather than a browser downloaded by Playwright."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium", pytrace=False)
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The browser talks to the app as production does: with CSRF tokens."""
    return app_config | {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on a free local port for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def open_as(browser: Browser, live_server: str) -> Iterator[Callable[[str], Page]]:
    """Log a user in, in a browser context of their own: ``open_as("mia@example.org")``."""
    contexts = []

    def open_page(email: str, password: str = PASSWORD) -> Page:
        context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, email, password)
        expect(page.get_by_text("Welcome back")).to_be_visible()
        # The click waits only for the new page to commit: its stylesheets and app.js may
        # still be on their way, and a test that reads styles or presses keys needs them.
        page.wait_for_load_state("load")
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot() -> Callable[[Page, str], None]:
    """Save a full-page screenshot under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> None:
        # From the top: scrolled down, the sticky header would be drawn mid-page.
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
