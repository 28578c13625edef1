"""Limit password guessing at every credential check: web login, API tokens, signup.

Password reset requests are limited with the same numbers, counted apart (``reset_guard``).

Counts live in the store named by ``RATELIMIT_STORAGE_URL`` (the ``limits`` library):
``memory://`` counts per process, which is enough for one process; several processes
or servers must share ``redis://...`` so that each failure counts everywhere.

Three moving windows of ``LOGIN_FAILURE_WINDOW`` seconds count failed attempts:

- per account and address: ``LOGIN_MAX_FAILURES`` failures, then that address must wait
  before trying that account again; a success clears this count only;
- per account, from any address: ``LOGIN_ACCOUNT_MAX_FAILURES``, then the account's
  password cannot be tried from anywhere until failures age out of the window;
- per address, across accounts: ``LOGIN_ADDRESS_MAX_FAILURES`` (much higher: an office
  or NAT shares one address). Past it the address is slowed, not blocked: one attempt
  per ``LOGIN_ADDRESS_SLOWDOWN`` seconds. A success does not clear it.

Every check happens before the password is compared, so a refused attempt reveals
nothing about the password. An account is checked by one request at a time (a turn
taken atomically in the store): a burst of simultaneous guesses, all checked before any
failed, would otherwise get more through than guesses one after the other.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

logger = logging.getLogger(__name__)

NAMESPACE = "trainerpath"
EXTENSION = "trainerpath.ratelimit"
IN_FLIGHT = "trainerpath_credential_checks"  # on g: the accounts this request is checking
# An account is checked by one request at a time; the turn is given back when the request
# ends, or lapses after this many seconds (a worker that died mid-check).
TURN_SECONDS = 30
RESET_EXTENSION = "trainerpath.ratelimit.reset"
SIGNUP_EXTENSION = "trainerpath.ratelimit.signup"


class TooManyAttempts(Exception):
    """Refuse an attempt until ``retry_after`` seconds have passed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed attempts; retry after {retry_after} seconds.")
        self.retry_after = max(1, retry_after)

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, at least one, for people."""
        return max(1, round(self.retry_after / 60))

    reason = "Too many failed attempts."

    def sentence(self) -> str:
        """Say why and how long to wait, for a form or an API message."""
        plural = "s" if self.minutes != 1 else ""
        return f"{self.reason} Please wait {self.minutes} minute{plural} and try again."


class ChecksGoingOn(TooManyAttempts):
    """Refuse an attempt while another check of the account is going on."""

    def __init__(self) -> None:
        super().__init__(1)

    def sentence(self) -> str:
        """Say why, for a form or an API message: nothing may have failed yet."""
        return (
            "Another sign-in to this account is being checked right now. "
            "Please try again in a moment."
        )


class TooManyResetRequests(TooManyAttempts):
    """Refuse another reset link for an address that asked for many: none has failed."""

    reason = "Too many reset links asked for this address."


class ResetGoingOn(ChecksGoingOn):
    """Refuse a reset request while another for the same address is being handled."""

    def sentence(self) -> str:
        """Say why, for the form."""
        return (
            "Another reset link for this address is being sent right now. "
            "Please try again in a moment."
        )


def positive(app: Flask, setting: str) -> int:
    """The setting, a whole number of at least 1 (``config.refuse_bad_settings`` checked)."""
    return int(app.config[setting])


@dataclass(frozen=True)
class Limits:
    """The windows of one app, built from its settings."""

    per_account_address: RateLimitItem
    per_account: RateLimitItem
    per_address: RateLimitItem
    slowdown: RateLimitItem
    turn: RateLimitItem  # one check of an account at a time

    @classmethod
    def from_config(cls, app: Flask, namespace: str = NAMESPACE) -> Limits:
        """Read the limits from the app's settings; ``namespace`` keeps their counts apart."""
        window = positive(app, "LOGIN_FAILURE_WINDOW")

        def failures(setting: str, key: str) -> RateLimitItem:
            return RateLimitItemPerSecond(positive(app, setting), window, namespace=key)

        return cls(
            per_account_address=failures("LOGIN_MAX_FAILURES", f"{namespace}-acct-addr"),
            per_account=failures("LOGIN_ACCOUNT_MAX_FAILURES", f"{namespace}-acct"),
            per_address=failures("LOGIN_ADDRESS_MAX_FAILURES", f"{namespace}-addr"),
            slowdown=RateLimitItemPerSecond(
                1, positive(app, "LOGIN_ADDRESS_SLOWDOWN"), namespace=f"{namespace}-slow"
            ),
            turn=RateLimitItemPerSecond(1, TURN_SECONDS, namespace=f"{namespace}-turn"),
        )


class CredentialGuard:
    """Check, count and clear the failures of credential checks in a shared store."""

    too_many: type[TooManyAttempts] = TooManyAttempts  # what a refusal says
    busy: type[ChecksGoingOn] = ChecksGoingOn

    def __init__(self, storage: Storage, limits: Limits) -> None:
        self.storage = storage
        self.limits = limits
        self.limiter = MovingWindowRateLimiter(storage)
        self.turns = FixedWindowRateLimiter(storage)  # one atomic counter per account

    def _wait(self, item: RateLimitItem, *ids: str) -> int | None:
        """Seconds until ``item`` admits one more hit, or None when it does now."""
        if self.limiter.test(item, *ids):
            return None
        reset = self.limiter.get_window_stats(item, *ids).reset_time
        return math.ceil(reset - time.time())

    def check(self, address: str, account: str | None) -> None:
        """Refuse with TooManyAttempts when this attempt must wait; else let it through."""
        waits: list[int] = []
        if account is not None:
            for item, ids in (
                (self.limits.per_account_address, (account, address)),
                (self.limits.per_account, (account,)),
            ):
                wait = self._wait(item, *ids)
                if wait is not None:
                    waits.append(wait)
        if waits:
            raise self.too_many(max(waits))
        if account is not None:
            self._admit(address, account)
        if self.limiter.test(self.limits.per_address, address):
            return
        # Past the address's limit: slowed to one attempt per slowdown, not blocked, so
        # the other people behind a shared address can still log in.
        if not self.limiter.hit(self.limits.slowdown, address):
            stats = self.limiter.get_window_stats(self.limits.slowdown, address)
            raise self.too_many(math.ceil(stats.reset_time - time.time()))

    def _admit(self, address: str, account: str) -> None:
        """Take the account's turn (until the request ends), or refuse: checks of one
        account go one at a time, so each sees the failures of those before it."""
        if not self.turns.hit(self.limits.turn, account):
            raise self.busy()
        g.setdefault(IN_FLIGHT, []).append((self, account))

    def end_check(self, account: str) -> None:
        """Give the account's turn back; a store that fails here only logs it (the turn
        then lapses by itself)."""
        try:
            self.turns.clear(self.limits.turn, account)
        except self.storage.base_exceptions:
            logger.warning("A credential check's turn was not given back: the store failed.")

    def fail(self, address: str, account: str | None) -> None:
        """Count one failed attempt against the address and, if named, the account."""
        self.limiter.hit(self.limits.per_address, address)
        if account is not None:
            self.limiter.hit(self.limits.per_account_address, account, address)
            self.limiter.hit(self.limits.per_account, account)

    def succeed(self, address: str, account: str) -> None:
        """Forget this address's failures on this account; the other counts stay."""
        self.limiter.clear(self.limits.per_account_address, account, address)


class ResetGuard(CredentialGuard):
    """The credential guard's numbers for reset requests, which say what they limit."""

    too_many = TooManyResetRequests
    busy = ResetGoingOn


class TooManySignups(TooManyAttempts):
    """Refuse another new account from an address that made many within the hour."""

    reason = "Too many new accounts from this address."


class SignupGuard:
    """New accounts per address within an hour: a script cannot make accounts (each one
    telling every admin) without end. Signups that fail are the credential guard's."""

    def __init__(self, storage: Storage, limit: int) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.item = RateLimitItemPerHour(limit, 1, namespace=f"{NAMESPACE}-signup")

    def check(self, address: str) -> None:
        """Refuse with TooManySignups while the address has made its share."""
        if not self.limiter.test(self.item, address):
            self._refuse(address)

    def reserve(self, address: str) -> None:
        """Count a new account about to be made from the address, or refuse it: taken
        atomically before the account is made, so signups sent at once cannot all pass
        the check first (one then refused by the database still counts)."""
        if not self.limiter.hit(self.item, address):
            self._refuse(address)

    def _refuse(self, address: str) -> None:
        reset = self.limiter.get_window_stats(self.item, address).reset_time
        raise TooManySignups(math.ceil(reset - time.time()))


def _end_checks(_error: BaseException | None) -> None:
    """Count this request's credential checks as ended."""
    for guard, account in g.pop(IN_FLIGHT, ()):
        guard.end_check(account)


def init_app(app: Flask) -> None:
    """Give the app its credential guard; the store is reached at the first check."""
    app.teardown_request(_end_checks)
    storage = storage_from_string(str(app.config["RATELIMIT_STORAGE_URL"]))
    assert isinstance(storage, Storage)  # not an asyncio storage (async+redis://...)
    app.extensions[EXTENSION] = CredentialGuard(storage, Limits.from_config(app))
    # Reset requests count with the login's numbers but apart from them, so requesting
    # links for someone's address cannot lock them out of logging in.
    app.extensions[RESET_EXTENSION] = ResetGuard(
        storage, Limits.from_config(app, f"{NAMESPACE}-reset")
    )
    app.extensions[SIGNUP_EXTENSION] = SignupGuard(storage, positive(app, "SIGNUP_MAX_PER_ADDRESS"))


def guard() -> CredentialGuard:
    """The current app's credential guard."""
    found: CredentialGuard = current_app.extensions[EXTENSION]
    return found


def reset_guard() -> CredentialGuard:
    """The current app's guard of password reset requests."""
    found: CredentialGuard = current_app.extensions[RESET_EXTENSION]
    return found


def signup_guard() -> SignupGuard:
    """The current app's limit of new accounts per address."""
    found: SignupGuard = current_app.extensions[SIGNUP_EXTENSION]
    return found


def client_address() -> str:
    """The client's address as the request sees it (corrected by ProxyFix behind proxies);
    for IPv6, its /64 network, which one host is given whole."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:10.0.0.1 is 10.0.0.1
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
