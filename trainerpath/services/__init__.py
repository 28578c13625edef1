"""Operations that change data. They flush and write the audit row; callers commit once."""

from . import standings  # noqa: F401  (keeps stored standings current on every commit)
