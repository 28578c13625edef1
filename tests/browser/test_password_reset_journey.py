"""A user who forgot their password gets a new one from the mail, in a real browser.

The mail goes through the outbox to a real SMTP server (aiosmtpd); the link is read
from the mail that arrived there and opened in Chromium.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from smtp_server import SmtpServer
from sqlalchemy import Engine

from trainerpath import delivery
from trainerpath.models import User

from .steps import log_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "remembered at last"


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: SmtpServer) -> dict[str, Any]:
    """Send to the test's SMTP server (CSRF stays on, as the browser fixtures set it)."""
    return app_config | smtp.settings


def test_a_user_resets_a_forgotten_password_from_the_mail(
    app: Flask,
    engine: Engine,
    browser: Browser,
    live_server: str,
    smtp: SmtpServer,
    make_user: Callable[..., User],
    screenshot: Callable[[Page, str], None],
) -> None:
    make_user(name="Cara Candidate", email="cara@example.org")
    app.config["BASE_URL"] = live_server  # the links in the mail lead to this server
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    # Cara cannot remember her password and asks for a link.
    page.goto("/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail").fill("cara@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("a link to choose a new password is on its way")).to_be_visible()

    # The worker sends the mail; it arrives at the SMTP server.
    with app.app_context():
        assert delivery.deliver_due(app, engine).sent == 1
    [mail] = smtp.wait_for(1)
    assert mail.recipients == ["cara@example.org"]
    link = mail.link_to("/password/reset/")
    assert link.startswith(live_server)

    # She opens the link and chooses a new password.
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    screenshot(page, "password-reset")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Hello, Cara Candidate")).to_be_visible()

    # The link works once; the new password logs her in, the old one no longer does.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    log_in(page, "cara@example.org")
    expect(page.get_by_text("That e-mail and password do not match an account.")).to_be_visible()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Cara Candidate")).to_be_visible()
    context.close()
