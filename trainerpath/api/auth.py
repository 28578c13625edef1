"""Bearer-token authentication: the API never looks at cookies or a login session."""

from __future__ import annotations

from flask import g, request

from trainerpath import ratelimit
from trainerpath.db import get_session
from trainerpath.models import ApiToken, User
from trainerpath.services.tokens import TokenHolder, verify_token
from trainerpath.services.users import authenticate as check_password
from trainerpath.services.users import normalise_email

from .errors import ApiError

CHALLENGE = 'Bearer realm="trainerpath API"'


def bearer_token() -> str | None:
    """The token of the ``Authorization: Bearer <token>`` header, if one was sent."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def token_holder() -> TokenHolder | None:
    """Whom the request's bearer token speaks for, if it is usable."""
    token = bearer_token()
    return None if token is None else verify_token(get_session(), token)


def authenticate() -> TokenHolder:
    """Identify the caller by their token, or refuse with 401."""
    token = bearer_token()
    if token is None:
        raise ApiError(
            401,
            "An API token is required: send Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    found = verify_token(get_session(), token)
    if found is None:
        raise ApiError(
            401,
            "The API token is invalid, expired or revoked.",
            headers={"WWW-Authenticate": CHALLENGE + ', error="invalid_token"'},
        )
    g.api_holder = found
    return found


def viewer() -> TokenHolder:
    """Who the authenticated caller is (id and role): enough to decide what they may see."""
    holder: TokenHolder = g.api_holder
    return holder


def caller() -> User:
    """The authenticated caller as a user, read on first use (views that only look need
    just ``viewer()``)."""
    user = get_session().get(User, viewer().id)
    assert user is not None, "authenticate() found them in this transaction"
    return user


def caller_token() -> ApiToken:
    """The stored token this request authenticated with."""
    token = get_session().get(ApiToken, viewer().token_id)
    assert token is not None, "authenticate() found it in this transaction"
    return token


def log_in(email: str, password: str) -> User:
    """The user these credentials name; 401 when wrong, 429 while guessing is limited."""
    account = normalise_email(email)
    guard, address = ratelimit.guard(), ratelimit.client_address()
    try:
        guard.check(address, account)
    except ratelimit.TooManyAttempts as refusal:
        raise ApiError(
            429, refusal.sentence(), headers={"Retry-After": str(refusal.retry_after)}
        ) from None
    user = check_password(get_session(), account, password)
    if user is None:
        guard.fail(address, account)
        raise ApiError(401, "Wrong e-mail address or password.")
    guard.succeed(address, account)
    return user
