"""The months a file may hold, for every format: January 2000 to the current month (this one included)."""

from __future__ import annotations

import datetime as dt

import duckdb

# No published series the dashboard reads starts before 2000 (the MPS files start in 2008-2010, police.uk in 2010);
# a year such as 1899 or 0001 is a typo or a date cell without its year, and a far-future one (2100, 9999) is a
# typo that would outrank every real extract and make every month between n/a.
FIRST_MONTH = dt.date(2000, 1, 1)


def last_month() -> dt.date:
    """The latest month a file may hold: the current one (from today's date)."""
    return dt.date.today().replace(day=1)


def range_problem(what: str, shown: str, early: bool) -> str:
    """The one line for a month (written shown in the file) before FIRST_MONTH (early) or after the current month."""
    if early:
        return f"{what} {shown} is before {FIRST_MONTH:%b %Y}, the earliest month the dashboard loads; is it a typo?"
    return f"{what} {shown} is after the current month ({last_month():%b %Y}); is it a typo?"


def month_problem(what: str, shown: str, month: dt.date) -> str | None:
    """Why month (written shown in the file) cannot be loaded, else None."""
    if FIRST_MONTH <= month <= last_month():
        return None
    return range_problem(what, shown, month < FIRST_MONTH)


def out_of_range(con: duckdb.DuckDBPyConnection, table: str, month: str, raw: str,
                 line: str = "NULL") -> tuple[str, int | None, bool] | None:
    """(raw text, line, is it too early) of a row of table whose month (an SQL DATE) is outside the bounds, else None.

    Compared in SQL, so a year Python cannot hold (DuckDB reads 10000-01) never reaches Python as a date.
    """
    return con.execute(
        f"SELECT {raw}::VARCHAR, {line}, {month} < $first FROM {table} WHERE {month} < $first OR {month} > $last "
        f"ORDER BY {month} < $first DESC LIMIT 1", {"first": FIRST_MONTH, "last": last_month()}).fetchone()

