"""A real SMTP server for the tests: aiosmtpd in the test process, on a free loopback port.

It keeps every mail it accepts. It can refuse the next mails with a reply of our choice
(``refuse(451)``), hold one in the middle of its DATA (``hold()``) until released, so a
test can kill the sender while a mail is on the wire, and hold mails until several
senders are connected (``await_senders(2)``), so two workers surely overlap.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://[^\s<>\"']+")


def free_port() -> int:
    """A loopback port nobody listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Received:
    """One mail the server accepted: the envelope and the parsed message."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        """The Subject header, as a mail program shows it.

        A long encoded subject is folded onto the next line ("Subject:\\n =?utf-8?..."),
        which leaves the folding space in front of the parsed value; readers drop it.
        """
        return str(self.message["Subject"]).lstrip()

    def part(self, subtype: str) -> str:
        """The text of the ``text/<subtype>`` part."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())

    @property
    def text(self) -> str:
        """The plain-text part."""
        return self.part("plain")

    @property
    def html(self) -> str:
        """The HTML part."""
        return self.part("html")

    def links(self) -> list[str]:
        """Every address in the plain-text part, in order."""
        return LINK.findall(self.text)

    def link_to(self, path: str) -> str:
        """The one link of the plain text whose path starts with ``path``."""
        found = [link for link in self.links() if path in link]
        assert len(found) == 1, f"expected one link to {path} in:\n{self.text}"
        return found[0]


class Inbox:
    """The aiosmtpd handler: accepts, refuses on demand, or holds a mail."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refusals: list[str] = []
        self.holding = False
        self.held = threading.Event()  # a mail is being held
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds to take over each mail, like a busy server
        self.senders_awaited = 0  # hold every mail until this many connections have sent one
        self.senders: set[Any] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the mail, unless told to refuse or hold it."""
        with self.lock:
            refusal = self.refusals.pop(0) if self.refusals else None
            hold = self.holding
            self.holding = False
        if hold:
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait, 60)
            return "451 4.3.0 Held mail dropped"
        if refusal is not None:
            return refusal
        if self.senders_awaited:
            self.senders.add(session.peer)
            deadline = time.monotonic() + 80
            while len(self.senders) < self.senders_awaited and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


class SmtpServer:
    """An SMTP server on 127.0.0.1 that can be stopped and started again on its port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        """Listen on the port."""
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening (mails sent now find nobody)."""
        if self.controller is not None:
            self.inbox.released.set()
            self.controller.stop()
            self.controller = None

    @property
    def settings(self) -> dict[str, Any]:
        """The app settings that send through this server."""
        return {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_TIMEOUT": 5,
        }

    @property
    def received(self) -> list[Received]:
        """The mails accepted so far, in order."""
        with self.inbox.lock:
            return list(self.inbox.received)

    def refuse(self, *replies: str) -> None:
        """Answer the next DATA commands with these replies (e.g. "451 4.3.0 Try later")."""
        with self.inbox.lock:
            self.inbox.refusals.extend(replies)

    def hold(self) -> None:
        """Hold the next mail in its DATA until ``release()``, then drop it."""
        with self.inbox.lock:
            self.inbox.holding = True
            self.inbox.held.clear()
            self.inbox.released.clear()

    def release(self) -> None:
        """Let a held mail go (it is dropped, not kept)."""
        self.inbox.released.set()

    def await_senders(self, count: int) -> None:
        """Hold each mail until ``count`` connections have each begun sending one (80 s at most)."""
        with self.inbox.lock:
            self.inbox.senders_awaited = count
            self.inbox.senders.clear()

    def wait_for(self, count: int, seconds: float = 10) -> list[Received]:
        """Wait until ``count`` mails have arrived; return them."""
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def to(self, address: str) -> list[Received]:
        """The mails whose envelope names ``address``."""
        return [mail for mail in self.received if address in mail.recipients]
