"""Operations that change data. They flush and write the audit row; callers commit once."""
