"""Issue, verify and revoke API bearer tokens; only a token's SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import String, bindparam, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from trainerpath.models import ApiToken, User, table_of, utcnow
from trainerpath.prepared import Prepared

from .errors import Conflict, Refusal, ValidationFailed

DEFAULT_TTL_DAYS = 30
PREFIX = "tp_"
# A token is PREFIX plus 43 URL-safe characters; anything much longer is not ours.
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``token`` is shown once and never stored."""

    token: str
    record: ApiToken


def hash_token(token: str) -> str:
    """Return the hex SHA-256 of a token, the only form in which it is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime (SQLite hands back naive UTC values)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class CredentialsChanged(Refusal):
    """The user's password changed, or the account was deactivated, since it was checked."""

    code = "unauthenticated"  # 401 in the API, as wrong credentials are


def _confirm_credentials(session: Session, user: User) -> None:
    """Refuse a token if the password or the account changed since ``user`` was read.

    The row stays locked until the token is committed (PostgreSQL; SQLite's writers take
    turns), so a password change or deactivation either commits first and is seen here,
    or waits and then revokes this token with the others.
    """
    current = session.execute(
        select(col(User.password_hash), col(User.is_active))
        .where(col(User.id) == user.id)
        .with_for_update(key_share=True)
    ).one_or_none()
    if current is None or tuple(current) != (user.password_hash, True):
        raise CredentialsChanged("Wrong e-mail address or password.")


def issue_token(
    *, session: Session, user: User, ttl_days: int = DEFAULT_TTL_DAYS, now: datetime | None = None
) -> IssuedToken:
    """Create a random token for ``user`` that expires after ``ttl_days`` days."""
    if isinstance(ttl_days, bool) or not isinstance(ttl_days, int) or ttl_days < 1:
        raise ValidationFailed({"ttl_days": "must be a whole number of days, at least 1"})
    assert user.id is not None
    _confirm_credentials(session, user)
    issued_at = now or utcnow()
    token = PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=issued_at,
        expires_at=issued_at + timedelta(days=ttl_days),
    )
    session.add(record)
    session.flush()
    return IssuedToken(token=token, record=record)


class TokenHolder(NamedTuple):
    """Whom a usable token speaks for (a ``Viewer``): the user's id and role, and the
    stored token's id."""

    id: int
    role: str
    token_id: int


def _usable(
    revoked_at: datetime | None, expires_at: datetime, is_active: bool, now: datetime | None
) -> bool:
    """Whether a stored token still authenticates: not revoked, not expired, user active."""
    return revoked_at is None and as_utc(expires_at) > (now or utcnow()) and is_active


@cache
def _token_stmt() -> Prepared:
    """Built once: a token's holder and validity, as plain columns (no entity is built:
    each API request asks)."""
    tokens, users = table_of(ApiToken), table_of(User)
    return Prepared(
        select(
            users.c.id,
            users.c.role,
            tokens.c.id,
            users.c.is_active,
            tokens.c.revoked_at,
            tokens.c.expires_at,
        )
        .select_from(tokens.join(users, users.c.id == tokens.c.user_id))
        .where(tokens.c.token_hash == bindparam("token_hash", type_=String))
    )


def _well_formed(token: str) -> bool:
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH


def verify_token(session: Session, token: str, now: datetime | None = None) -> TokenHolder | None:
    """Whom a presented token speaks for, or None if it is unusable."""
    if not _well_formed(token):
        return None
    found = _token_stmt().rows(session, {"token_hash": hash_token(token)})
    if not found:
        return None
    ((user_id, role, token_id, is_active, revoked_at, expires_at),) = found
    usable = _usable(revoked_at, expires_at, is_active, now)
    return TokenHolder(user_id, role, token_id) if usable else None


def revoke_token(*, session: Session, token: ApiToken, now: datetime | None = None) -> None:
    """Revoke one token; it stops working at once.

    A token already revoked is left as it is; one revoked by a concurrent request after
    it was read is a Conflict, so its ``revoked_at`` is the winner's.
    """
    if token.revoked_at is not None:
        return
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.id) == token.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict("This token was revoked by another request at the same moment.")
    session.refresh(token)


def revoke_user_tokens(*, session: Session, user: User, now: datetime | None = None) -> int:
    """Revoke every live token of ``user`` (for logout-everywhere or a password change)."""
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)
