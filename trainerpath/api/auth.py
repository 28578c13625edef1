"""Bearer-token authentication: the API never looks at cookies or a login session."""

from __future__ import annotations

from flask import g, request

from trainerpath.db import get_session
from trainerpath.models import ApiToken, User
from trainerpath.services.tokens import verify_token

from .errors import ApiError

CHALLENGE = 'Bearer realm="trainerpath API"'


def bearer_token() -> str | None:
    """The token of the ``Authorization: Bearer <token>`` header, if one was sent."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def token_user() -> tuple[User, ApiToken] | None:
    """The user and stored token behind the request's bearer token, if it is usable."""
    token = bearer_token()
    return None if token is None else verify_token(get_session(), token)


def authenticate() -> User:
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
    g.api_user, g.api_token = found
    return found[0]


def caller() -> User:
    """The authenticated caller of this request."""
    user: User = g.api_user
    return user


def caller_token() -> ApiToken:
    """The stored token this request authenticated with."""
    token: ApiToken = g.api_token
    return token
