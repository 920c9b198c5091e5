"""The bounds every file is held to before heavy work: its months, its field lengths, its distinct categories, areas
and forces, and a workbook's sizes. Each is a multiple of what the published files hold, measured on the shared
real files (figures below), so a real file never meets one and a hostile or mistaken one is one line, not gigabytes.
"""

from __future__ import annotations

import datetime as dt

import duckdb

# No published series the dashboard reads starts before 2000 (the MPS files start in 2008-2010, police.uk in 2010);
# a year such as 1899 or 0001 is a typo or a date cell without its year, and a far-future one (2100, 9999) is a
# typo that would outrank every real extract and make every month between n/a.
FIRST_MONTH = dt.date(2000, 1, 1)

# The longest text field any published file holds is 51 characters (a police.uk outcome; MPS categories 50, LSOA
# names 33); a field over this limit is refused, whatever its column.
FIELD_LIMIT = 1_000
# Distinct values one file may hold, about 10x the most a published file holds:
# categories: 56 (MajorText, MinorText) pairs in the MPS 2021-23 borough and ward files (33 in the current scheme),
#   23 dashboard subtypes, 16 police.uk crime types in a year of Avon and Somerset;
# areas: 33 boroughs, 679 ward codes, 713 dashboard areas, 1,061 LSOAs in a police.uk force-month; an MPS LSOA file
#   about 5,000 (and all of England and Wales has 35,672 LSOAs, so a file joining every force's still loads);
# forces: one per police.uk file; the cap lets a file joining every force's (45 with the British Transport Police)
#   load, not 490,000 invented ones.
DISTINCT_LIMITS = {"categories": (56, 600), "areas": (5_000, 50_000), "forces": (1, 50)}

# A workbook's sheet, before python-calamine expands it (which holds every cell of the rectangle up to the farthest
# one): the 24-month shared workbook's sheet is 164 MB of XML, 234,630 rows of 12 columns; the 48-month release
# 321 MB, 469,259 rows. Its load peaks at 755 MB (CLI) and 874 MB (upload), about 50 MB more per million cells
# (BENCHMARKS.md): 550,000 rows of 13 columns stay near 950 MB through the upload.
XLSX_SHEET_MB = 400
XLSX_ROWS = 550_000
XLSX_COLUMNS = 13            # columns A to M; the published sheet has 12
XLSX_OTHER_MB = 20           # any other part (shared strings, styles, the workbook's own list of sheets)
XLSX_RATIO = 100             # uncompressed / compressed size of any part: 15 in the published workbook, 280+ in a zip bomb
# Every use of a shared string is a copy of it in the parsed sheet: uses x longest string stays under this.
XLSX_SHARED_TEXT_MB = 400


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


def cut(text: str, keep: int = 40, length: int | None = None) -> str:
    """A value as shown in a message: quoted, and if long (length: its whole length when text is only its start)
    its start, an ellipsis and its length."""
    length = len(text) if length is None else length
    return repr(text) if length <= keep else repr(f"{text[:keep]}…({length:,} characters)")  # as errors.clip cuts


def long_field(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str],
               line: str = "NULL") -> tuple[str, str, int | None] | None:
    """(column, value, line) of a text field of table longer than FIELD_LIMIT; columns maps SQL expression -> name."""
    for expr, name in columns.items():
        found = con.execute(f"SELECT {expr}::VARCHAR, {line} FROM {table} WHERE length({expr}) > {FIELD_LIMIT} LIMIT 1").fetchone()
        if found is not None:
            return name, found[0], found[1]
    return None


def field_problem(value: str) -> str:
    """The one line for a field over FIELD_LIMIT, the value cut."""
    return f"a field over the limit of {FIELD_LIMIT:,} characters: {cut(value)}"


def distinct_problem(con: duckdb.DuckDBPyConnection, table: str, expr: str, kind: str) -> str | None:
    """Why table holds too many distinct values of expr (categories, areas or forces) for one file, else None."""
    published, limit = DISTINCT_LIMITS[kind]
    found = con.execute(f"SELECT count(DISTINCT {expr}) FROM {table}").fetchone()[0]
    if found <= limit:
        return None
    return (f"{found:,} different {kind} in one file, over the limit of {limit:,} (a published file holds at most "
            f"{published:,}); is this the right file?")
