"""Long lists in pages: numbered pages (``Page``) and keyset pages (``KeysetPage``).

Numbered pages suit lists people page through and that a count can bound: ``paginate``
runs an ordered select for one page (LIMIT/OFFSET) and counts its rows, optionally only
up to a limit so a huge list costs no more than a small one ("more than 1,000").
Keyset pages suit logs that only grow: ``keyset_page`` reads the rows after (or before)
a ``Cursor`` in an order on (moment, id), newest first, with no OFFSET and no count.

Both read their place from the query string leniently: ``?page=`` that is not a whole
number from 1 up, or an ``?after=``/``?before=`` cursor that does not parse, means the
first page; ``?per_page=`` is kept between 1 and MAX_PER_PAGE. A page past the end is
an empty page whose ``beyond`` says so, for the template to offer the last page instead.
The template side is ``templates/_macros/paging.html``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar, TypeVarTuple

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from trainerpath.bounds import ID_MAX, parse_id

T = TypeVar("T")
U = TypeVar("U")
Ts = TypeVarTuple("Ts")

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
COUNT_LIMIT = 1000  # a count_limit for lists that may grow huge: "more than 1000"


def _per_page(args: Mapping[str, str], default: int) -> int:
    number = parse_id(args.get("per_page"))
    return default if number is None else min(number, MAX_PER_PAGE)


@dataclass(frozen=True)
class PageRequest:
    """Which numbered page a request asks for: ``PageRequest.from_args(request.args)``."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def from_args(cls, args: Mapping[str, str], per_page: int = DEFAULT_PER_PAGE) -> PageRequest:
        """Read ``page`` and ``per_page``; anything unreadable means the first page."""
        return cls(page=parse_id(args.get("page")) or 1, per_page=_per_page(args, per_page))

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.page - 1) * self.per_page

    @property
    def reach(self) -> int:
        """How many rows there are up to the end of this page."""
        return self.offset + self.per_page

    def count_cap(self, count_limit: int) -> int:
        """How many rows ``paginate`` counts at most with ``count_limit``: one more than
        the limit (or than the rows up to this page, if more), to tell whether there are more."""
        return max(count_limit, self.reach) + 1


@dataclass(frozen=True)
class Page(Generic[T]):
    """One numbered page of a list, with how many rows the whole list has.

    ``exact`` is False when counting stopped at a limit: the list has more than
    ``total`` rows.
    """

    items: list[T]
    page: int
    per_page: int
    total: int
    exact: bool = True

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one, even when empty)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.page * self.per_page < self.total or not self.exact

    @property
    def beyond(self) -> bool:
        """Whether this page lies past the end of the list (so it is empty)."""
        return self.page > self.pages and self.exact

    @property
    def first(self) -> int:
        """The position of the page's first row in the list, counting from 1."""
        return (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        """The position of the page's last row."""
        return self.first + len(self.items) - 1

    def query(self, page: int) -> dict[str, int]:
        """The query parameters of page ``page`` of the same list."""
        wanted = {"page": page}
        if self.per_page != DEFAULT_PER_PAGE:
            wanted["per_page"] = self.per_page
        return wanted

    def with_items(self, items: list[U]) -> Page[U]:
        """The same page holding other items (the rows made into what a template shows)."""
        return Page(items, self.page, self.per_page, self.total, self.exact)


def _rows(session: Session, stmt: Select[*Ts]) -> list[Any]:
    result = session.execute(stmt)
    return list(result.scalars() if len(stmt.column_descriptions) == 1 else result)


def paginate(
    session: Session,
    stmt: Select[*Ts],
    wanted: PageRequest,
    count_limit: int | None = None,
    counted: Select[Any] | None = None,
) -> Page[Any]:
    """Run an ordered select for one page, and count the rows of the whole list.

    Items are the selected objects (one entity or column) or rows (several). With
    ``count_limit``, counting stops after ``wanted.count_cap(count_limit)`` rows, so the
    count costs no more than reading the page does. ``counted`` is the select to count
    when it is not ``stmt`` (the same rows, e.g. read with other limits).
    """
    to_count: Select[Any] = stmt if counted is None else counted  # type: ignore[assignment]
    cap = None if count_limit is None else wanted.count_cap(count_limit)
    to_count = to_count.order_by(None) if cap is None else to_count.limit(cap)
    total = session.execute(select(func.count()).select_from(to_count.subquery())).scalar_one()
    exact = cap is None or total < cap
    if not exact:
        total -= 1
    items = _rows(session, stmt.limit(wanted.per_page).offset(wanted.offset))
    return Page(items, wanted.page, wanted.per_page, int(total), exact)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR_TEXT = re.compile(r"([0-9]{1,17})-([0-9]{1,10})")


@dataclass(frozen=True)
class Cursor:
    """A place in a list ordered by (moment, id): the row a keyset page starts next to."""

    at: datetime
    id: int

    @property
    def token(self) -> str:
        """The cursor for a URL: microseconds since 1970 (UTC), a dash, the id."""
        at = self.at if self.at.tzinfo else self.at.replace(tzinfo=UTC)
        return f"{(at - EPOCH) // timedelta(microseconds=1)}-{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor a token spells, or None when it spells none."""
        found = CURSOR_TEXT.fullmatch(token or "")
        if found is None or not 1 <= int(found[2]) <= ID_MAX:
            return None
        try:
            at = EPOCH + timedelta(microseconds=int(found[1]))
        except OverflowError:
            return None
        return cls(at, int(found[2]))


@dataclass(frozen=True)
class KeysetRequest:
    """Which keyset page a request asks for: rows ``after`` a cursor (older), or ``before``
    one (newer), or neither (the newest)."""

    after: Cursor | None = None
    before: Cursor | None = None
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def from_args(cls, args: Mapping[str, str], per_page: int = DEFAULT_PER_PAGE) -> KeysetRequest:
        """Read ``after``, ``before`` and ``per_page``; an unreadable cursor means the newest."""
        after = Cursor.parse(args.get("after"))
        before = None if after else Cursor.parse(args.get("before"))
        return cls(after, before, _per_page(args, per_page))


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """One page of a list newest first; ``newer``/``older`` are the cursors of the pages
    next to it (None at either end)."""

    items: list[T]
    per_page: int
    newer: Cursor | None
    older: Cursor | None

    def query(self, direction: str) -> dict[str, str | int]:
        """The query parameters of the ``"newer"``, ``"older"`` or ``"newest"`` page."""
        wanted: dict[str, str | int] = {}
        if direction == "newer" and self.newer is not None:
            wanted["before"] = self.newer.token
        elif direction == "older" and self.older is not None:
            wanted["after"] = self.older.token
        if self.per_page != DEFAULT_PER_PAGE:
            wanted["per_page"] = self.per_page
        return wanted

    def with_items(self, items: list[U]) -> KeysetPage[U]:
        """The same page holding other items."""
        return KeysetPage(items, self.per_page, self.newer, self.older)


def keyset_page(
    session: Session,
    stmt: Select[*Ts],
    keys: tuple[Any, Any],
    cursor_of: Callable[[Any], Cursor],
    wanted: KeysetRequest,
) -> KeysetPage[Any]:
    """Read one page of ``stmt`` (unordered) newest first on ``keys`` = (moment, id).

    ``cursor_of`` gives a row's cursor. An index on (moment, id) serves it read
    backwards: the page costs the same at the end of a long log as at its start.
    """
    at, row_id = keys
    position = tuple_(at, row_id)
    limit = wanted.per_page + 1  # one more tells whether a page follows
    if wanted.before is not None:
        going_back = stmt.where(position > tuple_(wanted.before.at, wanted.before.id))
        rows = _rows(session, going_back.order_by(at, row_id).limit(limit))
        if len(rows) <= wanted.per_page:  # back at the top: the newest page, full
            return keyset_page(session, stmt, keys, cursor_of, KeysetRequest(None, None, limit - 1))
        items = rows[: wanted.per_page][::-1]
        return KeysetPage(items, wanted.per_page, cursor_of(items[0]), cursor_of(items[-1]))
    if wanted.after is not None:
        stmt = stmt.where(position < tuple_(wanted.after.at, wanted.after.id))
    rows = _rows(session, stmt.order_by(at.desc(), row_id.desc()).limit(limit))
    items = rows[: wanted.per_page]
    older = cursor_of(items[-1]) if len(rows) > wanted.per_page else None
    newer = None
    if wanted.after is not None:
        newer = cursor_of(items[0]) if items else wanted.after
    return KeysetPage(items, wanted.per_page, newer, older)
