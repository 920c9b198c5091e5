"""Load published extracts into the store: detect the format, validate, stage, merge revisions."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sbp.metrics import materialized as cube
from sbp import store
from sbp.config import areas
from sbp.config.categories import category_notes
from sbp.errors import IngestError, SbpError, UnknownNameError
from sbp.ingest import dashboard
from sbp.ingest import geography
from sbp.ingest.formats import AREA_LEVELS, DENOMINATORS, Detected, detect
from sbp.ingest.textfile import TextFile, find_line, open_text

@dataclass
class FileSummary:
    """What loading one file did."""

    file_name: str
    file_format: str = ""
    rows: int = 0
    first_month: dt.date | None = None
    last_month: dt.date | None = None
    areas: int = 0
    categories: int = 0
    months_replaced: int = 0
    months_kept: int = 0           # months where the store already held a newer extract
    unlocated: int = 0             # police.uk rows with no LSOA
    skipped: str = ""              # why nothing was loaded, e.g. already loaded
    warnings: list[str] = field(default_factory=list)  # data-quality warnings (months with offences in no borough)
    notes: list[str] = field(default_factory=list)  # configuration notes (categories the configuration does not know)
    file_id: int = 0
    note: str = ""                 # what else the reader should know, e.g. the year of an estimate

    def describe(self) -> str:
        """One or two human lines for the CLI and the Data page."""
        if self.skipped:
            return f"{self.file_name}: skipped, {self.skipped}"
        span = ""
        if self.first_month:
            span = f", {self.first_month:%b %Y} to {self.last_month:%b %Y}"
        text = (
            f"{self.file_name}: {self.file_format}, {self.rows:,} rows{span}, "
            f"{self.areas:,} areas, {self.categories:,} categories"
        )
        if self.file_format in ("lsoa_lookup", "force_lookup", "ons_population"):
            text = f"{self.file_name}: {self.file_format}, {self.rows:,} rows"
        elif self.file_format != "population":
            text += f", {self.months_replaced} months replaced"
        if self.note:
            text += f", {self.note}"
        if self.months_kept:
            text += f", {self.months_kept} months kept from a newer extract already loaded"
        if self.unlocated:
            text += f", {self.unlocated:,} crimes with no location counted as '(unlocated)'"
        for warning in self.warnings:
            text += f"\n  WARNING {warning}"
        for note in self.notes:
            text += f"\n  note: {note}"
        return text


@dataclass
class _Context:
    con: duckdb.DuckDBPyConnection
    text: TextFile
    detected: Detected
    file_id: int
    summary: FileSummary = field(default=None)  # type: ignore[assignment]
    sheet: object = None  # the workbook sheet as a pyarrow Table, for .xlsx files
    new_areas: frozenset[str] = frozenset()   # names the user added on purpose (--new-area)


def save_uploads(uploads: Iterable[BinaryIO], folder: Path) -> list[Path]:
    """Copy uploaded files (objects with .name and .read) into folder, each in its own subfolder so equal names
    never overwrite each other, in 1 MB chunks; a write failure is one line naming the folder's problem."""
    paths = []
    try:
        for number, upload in enumerate(uploads, 1):
            target = folder / str(number) / (Path(getattr(upload, "name", "") or "upload.csv").name or "upload.csv")
            target.parent.mkdir(parents=True)
            upload.seek(0)
            with open(target, "wb") as out:
                shutil.copyfileobj(upload, out, 1 << 20)
            paths.append(target)
    except OSError as exc:
        raise (store.write_error(exc, folder) or exc) from None
    return paths


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _quote_ident(name: str) -> str:
    # Only called with header names already checked against an allow-list or the YYYYMM pattern.
    return '"' + name.replace('"', '""') + '"'


def _read_csv(columns: dict[str, str]) -> str:
    # No store_rejects: DuckDB keeps a whole-line reject row per missing column per line (gigabytes for a
    # 10 MB file of short rows). The strict reader stops at the first malformed row instead.
    spec = ", ".join(f"'{name.replace(chr(39), chr(39) * 2)}': '{kind}'" for name, kind in columns.items())
    return (
        "read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        f"columns = {{{spec}}}, max_line_size = 1048576)"
    )


CSV_PROBLEMS = (  # phrase in DuckDB's CSV error -> our problem text
    ("unterminated quote", "a quoted field that never ends"),
    ("quote", "a badly quoted field"),
    ("unicode", "text that is not valid UTF-8"),
    ("maximum line size", "a line that is far too long"),
)


def _read_into(ctx: _Context, sql: str) -> None:
    """Run one statement that reads the file; the first malformed row stops it and is reported by line."""
    with _csv_errors(ctx):
        ctx.con.execute(sql, {"path": str(ctx.text.readable)})


@contextlib.contextmanager
def _csv_errors(ctx: _Context) -> Iterator[None]:
    """Turn DuckDB's error for the first malformed CSV row into one IngestError naming its line and problem."""
    try:
        yield
    except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
        message = str(exc)
        found = re.search(r"CSV Error on Line: (\d+)", message)
        if found is None:
            raise
        line = int(found[1])
        columns = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
        if columns:
            expected, got = int(columns[1]), int(columns[2])
            problem = ("too few fields on this row (is the file truncated?)" if got < expected
                       else "too many fields on this row (an unquoted comma?)")
            width = len(ctx.text.header)
            line = find_line(ctx.text, lambda r: len(r) != width, stop_after=line + 1000) or line
        else:
            lowered = message.lower()
            problem = next((text for phrase, text in CSV_PROBLEMS if phrase in lowered), "a line the CSV reader could not parse")
        raise IngestError(ctx.text.original, problem, line=line) from None


def _reset_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the previous file's scratch objects; every stager leaves its rows behind the view sbp_staged."""
    con.execute("DROP VIEW IF EXISTS sbp_staged")


def _fail_at(ctx: _Context, problem: str, predicate: Callable[[list[str]], bool], column: str | None = None) -> None:
    raise IngestError(ctx.text.original, problem, line=find_line(ctx.text, predicate), column=column)


# Largest plausible count for one area, category and month: far above any real one (the largest cell in the
# real borough files is about 4,100, in the ward file 2,000), far below a corrupt value.
MAX_COUNT = {"borough": 100_000, "ward": 20_000, "lsoa": 20_000}
# Plausible populations (residents or households) by level: the City of London has about 8,600 residents,
# the largest borough under 400,000; wards hold a few thousand to 30,000 people, LSOAs 1,000 to 3,000.
POPULATION_RANGE = {"borough": (1_000, 2_000_000), "ward": (100, 100_000), "lsoa": (100, 20_000)}
PLAIN_COUNT = r"^[0-9]+$"


def _count_problem(cell: str | None, level: str) -> str | None:
    """Why a count cell is not a plain non-negative whole number within the level's limit, else None."""
    text = (cell or "").strip()
    if not text:
        return "a count is missing"
    if not re.fullmatch(PLAIN_COUNT, text):
        if re.fullmatch(r"-[0-9]+", text):
            return f"count {text} is negative"
        try:
            value = float(text)
        except ValueError:
            return f"count {text!r} is not a whole number"
        if re.fullmatch(r"-?[0-9]*\.[0-9]+", text) and value != int(value):
            return f"count {text} is not a whole number"
        return f"count {text!r} is not written as plain digits (no signs, exponents, separators or decimals)"
    if int(text) > MAX_COUNT[level]:
        return f"count {int(text):,} is too large for one {level} in one month (the limit is {MAX_COUNT[level]:,})"
    return None


def _bad_count_sql(column: str, level_limit: str) -> str:
    """SQL true when a VARCHAR count cell is not a plain whole number within the limit (an SQL expression)."""
    return (f"(NOT regexp_full_match(coalesce(trim({column}), ''), '[0-9]+') "
            f"OR try_cast(trim({column}) AS DOUBLE) > {level_limit})")


def _check_months(ctx: _Context, months: list[dt.date], what: str) -> None:
    """Refuse months after the current one: a typo such as 203311 would otherwise outrank every real extract."""
    today = dt.date.today().replace(day=1)
    future = sorted(m for m in months if m > today)
    if future:
        raise IngestError(
            ctx.text.original,
            f"{what} {future[0]:%Y-%m} is after the current month ({today:%b %Y}); is it a typo?",
        )


def _check_areas(ctx: _Context, kind: str, names: list[str], known: frozenset[str], column: str, index: int) -> None:
    """Refuse area names outside the known list unless the user named them with --new-area."""
    unknown = sorted(set(names) - known - ctx.new_areas)
    if unknown:
        first = unknown[0]
        raise IngestError(ctx.text.original, areas.unknown_area_problem(kind, unknown, known),
                          line=find_line(ctx.text, lambda r: r[index] == first), column=column)


# --- wide MPS files -------------------------------------------------------------------------

# Which header column plays which role in each wide layout (None: the borough column doubles as the area).
WIDE_ROLES = {
    "mps_borough": {"major": "MajorText", "minor": "MinorText", "area": None, "code": None, "borough": None, "level": "borough"},
    "mps_ward": {"major": "MajorText", "minor": "MinorText", "area": "WardName", "code": "WardCode", "borough": None, "level": "ward"},
    "mps_lsoa": {"major": "Major Category", "minor": "Minor Category", "area": "LSOA Name", "code": "LSOA Code", "borough": "Borough", "level": "lsoa"},
}

def _stage_wide(ctx: _Context) -> None:
    d = ctx.detected
    con = ctx.con
    roles = WIDE_ROLES[d.file_format]
    level = roles["level"]
    _check_wide_months(ctx)
    types = {name: "VARCHAR" for name in d.columns + d.month_columns}
    # Trim the name columns here, once per wide row, not once per unpivoted cell.
    trimmed = ", ".join(f"trim({_quote_ident(c)}) AS {_quote_ident(c)}" for c in d.columns)
    month_cols = ", ".join(_quote_ident(m) for m in d.month_columns)
    _read_into(ctx, f"CREATE OR REPLACE TEMP TABLE sbp_wide AS SELECT {trimmed}, {month_cols} FROM {_read_csv(types)}")
    key_cols = [_quote_ident(c) for c in d.columns]
    months = [_quote_ident(m) for m in d.month_columns]
    bad_value = " OR ".join(_bad_count_sql(m, str(MAX_COUNT[level])) for m in months)
    missing_key = " OR ".join(f"coalesce({c}, '') = ''" for c in key_cols)
    row = con.execute(
        f"SELECT {', '.join(key_cols + months)} FROM sbp_wide WHERE {missing_key} OR {bad_value} LIMIT 1"
    ).fetchone()
    if row is not None:
        keys, values = list(row[: len(key_cols)]), row[len(key_cols):]
        for name, value in zip(d.columns, keys):
            if not (value or "").strip():
                _fail_at(ctx, "this field is empty", lambda r, i=d.columns.index(name): len(r) > i and not r[i], column=name)
        for name, value in zip(d.month_columns, values):
            problem = _count_problem(value, level)
            if problem:
                idx = len(d.columns) + d.month_columns.index(name)
                wanted = [k.strip() for k in keys]
                _fail_at(ctx, problem, lambda r: r[: len(wanted)] == wanted and len(r) > idx
                         and _count_problem(r[idx], level) is not None, column=name)
    dup = con.execute(
        f"SELECT {', '.join(key_cols)} FROM sbp_wide GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if dup is not None:
        wanted = [k.strip() for k in dup]
        first = find_line(ctx.text, lambda r: r[: len(wanted)] == wanted)
        label = " / ".join(wanted)
        seen = [0]

        def second(r: list[str]) -> bool:
            if r[: len(wanted)] == wanted:
                seen[0] += 1
            return seen[0] == 2

        raise IngestError(ctx.text.original, f"{label!r} appears twice (first at line {first})", line=find_line(ctx.text, second))
    _check_wide_areas(ctx, roles)

    major, minor = _quote_ident(roles["major"]), _quote_ident(roles["minor"])
    borough = _quote_ident(roles["borough"] or d.columns[-1])
    area_name = _quote_ident(roles["area"]) if roles["area"] else borough
    area_code = _quote_ident(roles["code"]) if roles["code"] else "''"
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW sbp_staged AS
        SELECT strptime(yyyymm, '%Y%m')::DATE AS month, '{level}' AS area_level, {area_name} AS area_name,
               {area_code} AS area_code, {borough} AS borough, {major} AS major_category,
               {minor} AS minor_category, trim(offence_count)::BIGINT AS offence_count
        FROM (UNPIVOT sbp_wide ON {', '.join(months)} INTO NAME yyyymm VALUE offence_count)"""
    )
    # An MPS extract covers the whole of London at its level: it replaces whole months (every borough), so a
    # borough renamed or dropped in a re-issue cannot leave its old rows beside the new ones.
    month_list = ", ".join(f"strptime('{m}', '%Y%m')::DATE" for m in d.month_columns)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_scope AS
        SELECT '{level}' AS area_level, '{ALL_BOROUGHS}' AS borough, unnest([{month_list}]) AS month, '' AS scope_category"""
    )
    s = ctx.summary
    s.rows, s.areas, s.categories = con.execute(
        f"SELECT count(*), count(DISTINCT ({area_name}, {area_code})), count(DISTINCT ({major}, {minor})) FROM sbp_wide"
    ).fetchone()
    s.notes += category_notes(con.execute(f"SELECT DISTINCT {major}, {minor} FROM sbp_wide").fetchall())


ALL_BOROUGHS = "*"  # scope marker: the file replaces these months for every borough at its level


def _check_wide_months(ctx: _Context) -> None:
    """MPS wide files cover one unbroken run of months, none after the current month."""
    months = [dt.date(int(m[:4]), int(m[4:]), 1) for m in ctx.detected.month_columns]
    for name, month in zip(ctx.detected.month_columns, months):
        if month > dt.date.today().replace(day=1):
            raise IngestError(ctx.text.original, f"month column {name} is after the current month "
                              f"({dt.date.today():%b %Y}); is it a typo?", line=1, column=name)
    ordered = sorted(months)
    for before, after, name in zip(ordered, ordered[1:], sorted(ctx.detected.month_columns)[1:]):
        if (after.year * 12 + after.month) - (before.year * 12 + before.month) != 1:
            raise IngestError(ctx.text.original, f"the month columns skip from {before:%Y%m} to {after:%Y%m}; an MPS "
                              "extract covers one unbroken run of months (is a column a typo?)", line=1, column=name)


def _check_wide_areas(ctx: _Context, roles: dict) -> None:
    """Every borough (and ward code) in an MPS file is a known London area, or one the user added on purpose."""
    d = ctx.detected
    borough = roles["borough"] or d.columns[-1]
    names = [r[0] for r in ctx.con.execute(f"SELECT DISTINCT {_quote_ident(borough)} FROM sbp_wide").fetchall()]
    _check_areas(ctx, "borough", names, areas.known_boroughs(), borough, d.columns.index(borough))
    if roles["level"] == "ward":
        codes = [r[0] for r in ctx.con.execute(f"SELECT DISTINCT {_quote_ident(roles['code'])} FROM sbp_wide").fetchall()]
        _check_areas(ctx, "ward code", codes, frozenset(areas.london_wards()), roles["code"], d.columns.index(roles["code"]))
    if roles["level"] == "lsoa":
        name = roles["area"]
        bad = ctx.con.execute(
            f"SELECT {_quote_ident(name)} FROM sbp_wide WHERE NOT regexp_full_match({_quote_ident(name)}, $p) LIMIT 1",
            {"p": areas.LSOA_NAME.pattern},
        ).fetchone()
        if bad:
            _fail_at(ctx, f"LSOA name {bad[0]!r} is not an official LSOA name (a district name then a code such as 001A)",
                     lambda r, i=d.columns.index(name): r[i] == bad[0], column=name)


# --- police.uk street-level files -----------------------------------------------------------

def _load_police_uk(ctx: _Context) -> None:
    """Count rows per month x force x LSOA x crime type; a file replaces the months it covers for its force.

    crime_counts' police_uk rows are derived from these after the load (geography.derive), so a lookup loaded
    later still places every row.
    """
    con = ctx.con
    types = {name: "VARCHAR" for name in ctx.detected.columns}
    _read_into(ctx, f"""CREATE OR REPLACE TEMP TABLE sbp_raw AS
        SELECT trim("Month") AS raw_month, coalesce(trim("Reported by"), '') AS force,
               coalesce(trim("LSOA code"), '') AS lsoa_code,
               coalesce(trim("LSOA name"), '') AS lsoa_name, trim("Crime type") AS crime_type, count(*) AS n
        FROM {_read_csv(types)} GROUP BY ALL""")
    months, empty_types = con.execute(
        "SELECT list(DISTINCT raw_month), count(*) FILTER (WHERE coalesce(crime_type, '') = '') FROM sbp_raw").fetchone()
    bad = [m for m in months if m is None or not _is_yyyy_mm(m)]
    if bad:
        idx = 1
        _fail_at(ctx, f"Month {bad[0] or ''!r} is not in the YYYY-MM form the rest of the file uses",
                 lambda r: len(r) > idx and not _is_yyyy_mm(r[idx]), column="Month")
    if empty_types:
        _fail_at(ctx, "the crime type is empty", lambda r: len(r) > 9 and not r[9], column="Crime type")
    _check_months(ctx, [r[0] for r in con.execute("SELECT DISTINCT strptime(raw_month, '%Y-%m')::DATE FROM sbp_raw").fetchall()], "Month")
    # The borough (district) comes from the LSOA name, so a name without its NNNX code must not become a borough.
    bad = con.execute(
        "SELECT lsoa_code, lsoa_name FROM sbp_raw WHERE lsoa_name <> '' AND (NOT regexp_full_match(lsoa_name, $name) "
        "OR NOT regexp_full_match(lsoa_code, $code)) LIMIT 1",
        {"name": areas.LSOA_NAME.pattern, "code": areas.LSOA_CODE.pattern},
    ).fetchone()
    if bad:
        column, index = ("LSOA name", 8) if not areas.LSOA_NAME.match(bad[1]) else ("LSOA code", 7)
        value = bad[1] if column == "LSOA name" else bad[0]
        _fail_at(ctx, f"{column} {value!r} is not an official LSOA {column.split()[1]} (names end in a code such as 001A; "
                 "codes look like E01000001)", lambda r: r[index] == value, column=column)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sbp_rows AS
        SELECT strptime(raw_month, '%Y-%m')::DATE AS month, force, lsoa_code, lsoa_name, crime_type,
               sum(n)::BIGINT AS offence_count
        FROM sbp_raw GROUP BY ALL"""
    )
    s = ctx.summary
    (s.first_month, s.last_month, s.rows, unlocated, s.areas, s.categories) = con.execute(
        """SELECT min(month), max(month), sum(offence_count),
                  sum(offence_count) FILTER (WHERE lsoa_code = '' AND lsoa_name = ''),
                  count(DISTINCT lsoa_code), count(DISTINCT crime_type) FROM sbp_rows"""
    ).fetchone()
    s.unlocated = int(unlocated or 0)
    # The month bounds let DuckDB skip the stored row groups of other months (files arrive month by month), so
    # replacing a force's month does not scan every month already loaded.
    span = {"first": s.first_month, "last": s.last_month}
    replaced = """FROM police_uk_counts p JOIN (SELECT DISTINCT force, month FROM sbp_rows) r
                  ON p.force = r.force AND p.month = r.month WHERE p.month BETWEEN $first AND $last"""
    s.months_replaced = con.execute(f"SELECT count(DISTINCT (p.force, p.month)) {replaced}", span).fetchone()[0]
    if s.months_replaced:
        con.execute(
            "DELETE FROM police_uk_counts p USING (SELECT DISTINCT force, month FROM sbp_rows) r "
            "WHERE p.force = r.force AND p.month = r.month AND p.month BETWEEN $first AND $last", span)
    con.execute("INSERT INTO police_uk_counts SELECT *, $f FROM sbp_rows", {"f": ctx.file_id})


def _load_lookup(ctx: _Context) -> None:
    types = {name: "VARCHAR" for name in ctx.text.header}
    with _csv_errors(ctx):
        ctx.summary.rows = geography.load_lookup(ctx.con, ctx.detected.file_format, ctx.text.readable, _read_csv(types),
                                                 ctx.detected.columns, ctx.file_id)


def _is_yyyy_mm(value: str) -> bool:
    return len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit() and 1 <= int(value[5:]) <= 12


# --- long-format counts ---------------------------------------------------------------------

MONTH_PARSE = (
    "coalesce(try_strptime({c}, '%Y-%m'), try_strptime({c}, '%Y%m'), try_strptime({c}, '%Y-%m-%d'), "
    "try_strptime({c}, '%d/%m/%Y'), try_strptime({c}, '%Y-%m-%d %H:%M:%S'))"
)


def _column_map(d: Detected) -> dict[str, str]:
    """Lower-case role -> the header's own spelling."""
    return {c.lower(): c for c in d.columns}


def _stage_long(ctx: _Context) -> None:
    con = ctx.con
    cols = _column_map(ctx.detected)
    types = {name: "VARCHAR" for name in ctx.detected.columns}

    def col(role: str, default: str) -> str:
        return f"nullif(trim({_quote_ident(cols[role])}), '')" if role in cols else default

    month_expr = MONTH_PARSE.format(c=f"trim({_quote_ident(cols['month'])})")
    _read_into(ctx, f"""CREATE OR REPLACE TEMP TABLE sbp_raw AS
        SELECT trim({_quote_ident(cols['month'])}) AS raw_month, date_trunc('month', {month_expr})::DATE AS month,
               lower({col('area_level', "'borough'")}) AS area_level, {col('area', 'NULL')} AS area_name,
               {col('borough', 'NULL')} AS borough_given, {col('category', 'NULL')} AS category,
               {col('major_category', 'NULL')} AS major_given, {_quote_ident(cols['count'])} AS value
        FROM {_read_csv(types)}""")
    i = {role: ctx.detected.columns.index(name) for role, name in cols.items()}
    checks: list[tuple[str, str, Callable[[list[str]], bool], str]] = [
        ("month IS NULL", "this is not a month (use YYYY-MM, YYYYMM or a date)",
         lambda r: _month_text_bad(r[i["month"]]), cols["month"]),
        ("area_name IS NULL", "the area is empty", lambda r: not r[i["area"]], cols["area"]),
        ("category IS NULL", "the category is empty", lambda r: not r[i["category"]], cols["category"]),
        (f"area_level IS NULL OR area_level NOT IN {AREA_LEVELS}", "area_level must be borough, ward or lsoa",
         lambda r: "area_level" in i and r[i["area_level"]].lower() not in AREA_LEVELS, cols.get("area_level", "area_level")),
        ("area_level <> 'borough' AND borough_given IS NULL", "a ward or LSOA row needs its borough in the borough column",
         lambda r: r[i["area_level"]].lower() != "borough" and ("borough" not in i or not r[i["borough"]]), cols.get("borough", "borough")),
    ]
    for where, problem, predicate, column in checks:
        if con.execute(f"SELECT count(*) FROM sbp_raw WHERE {where}").fetchone()[0]:
            _fail_at(ctx, problem, predicate, column=column)
    limits = " ".join(f"WHEN '{lvl}' THEN {limit}" for lvl, limit in MAX_COUNT.items())
    value = con.execute(
        f"SELECT value, area_level FROM sbp_raw WHERE {_bad_count_sql('value', f'CASE area_level {limits} END')} LIMIT 1"
    ).fetchone()
    if value is not None:
        bad_level = value[1]
        _fail_at(ctx, _count_problem(value[0], bad_level) or "bad count",
                 lambda r: _count_problem(r[i["count"]], r[i["area_level"]].lower() if "area_level" in i else "borough") is not None,
                 column=cols["count"])
    _check_months(ctx, [r[0] for r in con.execute("SELECT DISTINCT month FROM sbp_raw").fetchall()], "month")
    _check_long_areas(ctx, i)
    dup = con.execute(
        "SELECT month, area_level, area_name, category FROM sbp_raw GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if dup is not None:
        raise IngestError(
            ctx.text.original,
            f"{dup[3]!r} for {dup[2]!r} in {dup[0]:%b %Y} appears more than once",
        )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sbp_rows AS
        SELECT month, area_level, area_name, '' AS area_code, coalesce(borough_given, area_name) AS borough,
               coalesce(major_given, category) AS major_category, category AS minor_category,
               trim(value)::BIGINT AS offence_count
        FROM sbp_raw"""
    )
    con.execute("CREATE OR REPLACE TEMP VIEW sbp_staged AS SELECT * FROM sbp_rows")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sbp_scope AS "
        "SELECT DISTINCT area_level, borough, month, minor_category AS scope_category FROM sbp_staged"
    )
    s = ctx.summary
    s.rows, s.areas, s.categories = con.execute(
        "SELECT count(*), count(DISTINCT (area_level, area_name)), count(DISTINCT minor_category) FROM sbp_staged"
    ).fetchone()


def _check_long_areas(ctx: _Context, index: dict[str, int]) -> None:
    """Borough names (the area of a borough row, the borough of a ward or LSOA row) must be known London areas."""
    con, cols = ctx.con, _column_map(ctx.detected)
    if "borough" in cols:
        names_given = [r[0] for r in con.execute("SELECT DISTINCT borough_given FROM sbp_raw WHERE borough_given IS NOT NULL").fetchall()]
        _check_areas(ctx, "borough", names_given, areas.known_boroughs(), cols["borough"], index["borough"])
    names = [r[0] for r in con.execute("SELECT DISTINCT area_name FROM sbp_raw WHERE area_level = 'borough'").fetchall()]
    _check_areas(ctx, "borough", names, areas.known_boroughs(), cols["area"], index["area"])
    wards = [r[0] for r in con.execute("SELECT DISTINCT area_name FROM sbp_raw WHERE area_level = 'ward'").fetchall()]
    _check_areas(ctx, "ward", wards, areas.london_ward_names(), cols["area"], index["area"])
    lsoa = con.execute("SELECT area_name FROM sbp_raw WHERE area_level = 'lsoa' AND NOT regexp_full_match(area_name, $p) LIMIT 1",
                       {"p": areas.LSOA_NAME.pattern}).fetchone()
    if lsoa:
        _fail_at(ctx, f"LSOA name {lsoa[0]!r} is not an official LSOA name (a district name then a code such as 001A)",
                 lambda r: r[index["area"]] == lsoa[0], column=cols["area"])


def _month_text_bad(text: str) -> bool:
    for fmt in ("%Y-%m", "%Y%m", "%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            dt.datetime.strptime(text.strip(), fmt)
            return False
        except ValueError:
            continue
    return True


# --- population -----------------------------------------------------------------------------

def _load_population(ctx: _Context) -> None:
    con = ctx.con
    cols = _column_map(ctx.detected)
    area = cols.get("area") or cols["borough"]
    types = {name: ("DOUBLE" if name.lower() in ("population", "year") else "VARCHAR") for name in ctx.detected.columns}
    year = _quote_ident(cols["year"]) if "year" in cols else "NULL"
    denominator = f"lower(nullif(trim({_quote_ident(cols['denominator'])}), ''))" if "denominator" in cols else "NULL"
    level = f"lower(nullif(trim({_quote_ident(cols['area_level'])}), ''))" if "area_level" in cols else "NULL"
    _read_into(ctx, f"""CREATE OR REPLACE TEMP TABLE sbp_pop AS
        SELECT coalesce({level}, 'borough') AS area_level, nullif(trim({_quote_ident(area)}), '') AS area_name,
               {year} AS year, coalesce({denominator}, 'residents') AS denominator, {_quote_ident(cols['population'])} AS population
        FROM {_read_csv(types)}""")
    i = {role: ctx.detected.columns.index(name) for role, name in cols.items()}
    ia = ctx.detected.columns.index(area)

    def number(cell: str) -> float | None:
        try:
            return float(cell)
        except ValueError:
            return None

    def r_level(r: list[str]) -> str:
        return (r[i["area_level"]].lower() or "borough") if "area_level" in i else "borough"

    low = " ".join(f"WHEN '{lvl}' THEN {lo}" for lvl, (lo, _) in POPULATION_RANGE.items())
    high = " ".join(f"WHEN '{lvl}' THEN {hi}" for lvl, (_, hi) in POPULATION_RANGE.items())
    plausible = "; ".join(f"{lvl} {lo:,} to {hi:,}" for lvl, (lo, hi) in POPULATION_RANGE.items())
    checks: list[tuple[str, str, Callable[[list[str]], bool], str]] = [
        ("area_name IS NULL", "the area is empty", lambda r: not r[ia], area),
        ("population IS NULL OR population <= 0", "the population must be above zero",
         lambda r: (number(r[i["population"]]) or 0) <= 0, cols["population"]),
        (f"isinf(population) OR isnan(population) OR NOT population BETWEEN CASE area_level {low} END AND CASE area_level {high} END",
         "the population is implausible for the area's level (" + plausible + ")",
         lambda r: not (POPULATION_RANGE.get(r_level(r), (0, 0))[0] <= (number(r[i["population"]]) or 0) <= POPULATION_RANGE.get(r_level(r), (0, 0))[1]),
         cols["population"]),
        ("population <> trunc(population)", "the population must be a whole number",
         lambda r: (v := number(r[i["population"]])) is not None and v != int(v), cols["population"]),
        ("year IS NOT NULL AND (year <> trunc(year) OR year < 1800 OR year > 2200)", "the year must be a four-digit year",
         lambda r: "year" in i and r[i["year"]] != "" and not r[i["year"]].isdigit(), cols.get("year", "year")),
        (f"denominator NOT IN {DENOMINATORS}", "denominator must be residents or households",
         lambda r: "denominator" in i and r[i["denominator"]].lower() not in DENOMINATORS + ("",), cols.get("denominator", "denominator")),
        (f"area_level NOT IN {AREA_LEVELS}", "area_level must be borough, ward or lsoa",
         lambda r: "area_level" in i and r[i["area_level"]].lower() not in AREA_LEVELS + ("",), cols.get("area_level", "area_level")),
    ]
    for where, problem, predicate, column in checks:
        if con.execute(f"SELECT count(*) FROM sbp_pop WHERE {where}").fetchone()[0]:
            _fail_at(ctx, problem, predicate, column=column)
    boroughs = [r[0] for r in con.execute("SELECT DISTINCT area_name FROM sbp_pop WHERE area_level = 'borough'").fetchall()]
    _check_areas(ctx, "borough", boroughs, areas.known_boroughs() | geography.known_areas(ctx.con), area, ia)
    wards = [r[0] for r in con.execute("SELECT DISTINCT area_name FROM sbp_pop WHERE area_level = 'ward'").fetchall()]
    _check_areas(ctx, "ward", wards, areas.london_ward_names(), area, ia)
    dup = con.execute("SELECT area_name FROM sbp_pop GROUP BY area_level, area_name, year, denominator HAVING count(*) > 1 LIMIT 1").fetchone()
    if dup is not None:
        raise IngestError(ctx.text.original, f"{dup[0]!r} appears more than once for the same year and denominator")
    con.execute(
        """DELETE FROM population p USING sbp_pop n
        WHERE p.area_level = n.area_level AND p.area_name = n.area_name AND p.denominator = n.denominator
          AND p.year IS NOT DISTINCT FROM n.year::INTEGER"""
    )
    con.execute(
        "INSERT INTO population SELECT area_level, area_name, year::INTEGER, denominator, population::BIGINT, $file_id FROM sbp_pop",
        {"file_id": ctx.file_id},
    )
    s = ctx.summary
    s.rows, s.areas = con.execute("SELECT count(*), count(DISTINCT area_name) FROM sbp_pop").fetchone()


# --- merging staged counts into the store ---------------------------------------------------

def _merge_counts(ctx: _Context, source: str) -> None:
    """Replace the months this file covers for its source, level and boroughs, unless a newer extract holds them."""
    con = ctx.con
    first, last = con.execute("SELECT min(month), max(month) FROM sbp_scope").fetchone()
    ctx.summary.first_month, ctx.summary.last_month = first, last
    params = {"source": source, "vintage": last}
    match = f"""c.source = $source AND c.area_level = s.area_level AND (s.borough = '{ALL_BOROUGHS}' OR c.borough = s.borough)
               AND c.month = s.month
               AND (s.scope_category = '' OR c.minor_category = s.scope_category)"""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_scope_old AS
        SELECT s.area_level, s.borough, s.month, s.scope_category, max(f.last_month) AS vintage
        FROM crime_counts c JOIN source_files f USING (file_id) JOIN sbp_scope s ON {match}
        GROUP BY ALL""",
        {"source": source},
    )
    replaced, kept = con.execute(
        """SELECT count(DISTINCT month) FILTER (WHERE vintage <= $vintage),
                  count(DISTINCT month) FILTER (WHERE vintage > $vintage) FROM sbp_scope_old""",
        {"vintage": last},
    ).fetchone()
    con.execute(f"DELETE FROM crime_counts c USING sbp_scope_old s WHERE {match} AND s.vintage <= $vintage", params)
    columns = "month, area_level, area_name, area_code, borough, major_category, minor_category, offence_count"
    newer = ""
    if kept:
        newer = f"""WHERE NOT EXISTS (SELECT 1 FROM sbp_scope_old o WHERE o.vintage > $vintage AND o.area_level = st.area_level
                   AND (o.borough = '{ALL_BOROUGHS}' OR o.borough = st.borough) AND o.month = st.month
                   AND (o.scope_category = '' OR o.scope_category = st.minor_category))"""
    con.execute(
        f"INSERT INTO crime_counts SELECT {columns}, $source, $file_id FROM sbp_staged st {newer}",
        {"source": source, "file_id": ctx.file_id} | ({"vintage": last} if kept else {}),
    )
    ctx.summary.months_replaced, ctx.summary.months_kept = int(replaced), int(kept)


# --- the MPS Monthly Crime Dashboard workbook ----------------------------------------------

XLSX_SUFFIXES = (".xlsx", ".xlsm")


def _stage_dashboard(ctx: _Context) -> None:
    found = dashboard.roles(ctx.detected.columns)

    def fail(problem: str, line: int | None, column: str, value: str | None) -> None:
        if line is None:  # a CSV export: find the line by the offending cell
            idx = ctx.detected.columns.index(column)
            if column == found["count"]:
                line = find_line(ctx.text, lambda r: _bad_number_text(r[idx]))
            else:
                line = find_line(ctx.text, lambda r: r[idx].strip().lower() == (value or "").lower())
        raise IngestError(ctx.text.original, problem, line=line, column=column)

    s = ctx.summary
    with _csv_errors(ctx):
        s.rows, s.areas, s.categories = dashboard.stage(ctx.con, ctx.text, found, ctx.sheet, _read_csv, lambda: None, fail)


def _bad_number_text(cell: str) -> bool:
    """Whether a cell is not a whole number of zero or more (the workbook's counts may be written 3.0)."""
    try:
        value = float(cell)
    except ValueError:
        return True
    return not (value == value and 0 <= value < float("inf") and value == int(value))


MEMORY_LIMIT_MB = 512  # DuckDB's share of the 1 GB budget for any single load

STAGERS = {"mps_dashboard": _stage_dashboard, "mps_borough": _stage_wide, "mps_ward": _stage_wide, "mps_lsoa": _stage_wide,
           "long_counts": _stage_long}
# Formats kept in their own tables (not staged into crime_counts directly).
LOADERS = {"population": _load_population, "police_uk": _load_police_uk, "lsoa_lookup": _load_lookup,
           "force_lookup": _load_lookup}


def _load_one(con: duckdb.DuckDBPyConnection, path: Path, seen: set[str], workdir: Path,
              progress: Callable[[str], None] | None = None, new_areas: frozenset[str] = frozenset()) -> FileSummary:
    summary = FileSummary(file_name=path.name)
    sheet = None
    workbook = geography.is_workbook(path)  # the ONS estimates come as legacy .xls
    if workbook:
        summary.file_format = "ons_population"
    elif path.suffix.lower() in XLSX_SUFFIXES and path.is_file():
        header, sheet = dashboard.read_xlsx(path, progress)
        text, detected = TextFile(path, path, "xlsx", header), Detected("mps_dashboard", header)
        summary.file_format = detected.file_format
    else:
        text = open_text(path, workdir=workdir)
        detected = detect(text)
        summary.file_format = detected.file_format
    digest = sha256_of(path)
    if digest in seen or con.execute("SELECT 1 FROM source_files WHERE sha256 = $d", {"d": digest}).fetchone():
        summary.skipped = "this exact file is already loaded"
        return summary
    seen.add(digest)
    file_id = con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM source_files").fetchone()[0]
    summary.file_id = file_id
    if workbook:
        summary.rows, year = geography.load_workbook(con, path, file_id)
        summary.areas, summary.note = summary.rows, f"mid-{year} estimates"
    else:
        ctx = _Context(con, text, detected, file_id, summary, sheet, new_areas)
        _reset_scratch(con)
        if detected.file_format in LOADERS:
            LOADERS[detected.file_format](ctx)
        else:
            STAGERS[detected.file_format](ctx)
            _merge_counts(ctx, detected.file_format)
    con.execute(
        "INSERT INTO source_files VALUES ($id, $name, $sha, $fmt, $rows, $first, $last, $replaced, now()::TIMESTAMP)",
        {"id": file_id, "name": path.name, "sha": digest, "fmt": summary.file_format, "rows": summary.rows,
         "first": summary.first_month, "last": summary.last_month, "replaced": summary.months_replaced},
    )
    return summary


def ingest(
    paths: Iterable[str | os.PathLike],
    db: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
    meta: dict[str, str] | None = None,
    fresh: bool = False,
    progress_bar: bool = False,
    new_areas: Iterable[str] = (),
) -> list[FileSummary]:
    """Load every file into a new version of the store, all or none; raise IngestError on the first bad file.

    progress_bar=True lets DuckDB draw its progress bar on the terminal for steps that take over half a second.
    new_areas names areas (boroughs, ward codes, wards) the user adds on purpose; any other unknown area is refused.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise IngestError("(no files)", "name at least one CSV file to load")
    summaries: list[FileSummary] = []
    with store.new_version(db, fresh=fresh) as con, store.scratch_dir(db) as workdir:
        # Bounded memory on any input: DuckDB spills to disk beyond this instead of growing.
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT_MB}MB'; SET temp_directory = '{workdir}'")
        con.execute("SET preserve_insertion_order = false")
        if progress_bar:
            con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = true; SET progress_bar_time = 500")
        if not (meta or {}).get("is_synthetic") and store.is_synthetic(con):
            # Real extracts never mix with the synthetic demo: they replace it, within this same version.
            store.clear_all(con)
            if progress:
                progress("this store held the synthetic demo data; it is replaced by the files being loaded")
        seen: set[str] = set()
        for number, path in enumerate(paths, 1):
            if progress:
                size = path.stat().st_size if path.exists() else 0
                progress(f"[{number}/{len(paths)}] loading {path.name} ({size / 1e6:,.1f} MB)")
            try:
                summaries.append(_load_one(con, path, seen, Path(workdir), progress, frozenset(new_areas)))
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):  # the store's disk, not the file
                    raise store.write_error(exc, store.resolve_db_path(db).parent) from None
                raise IngestError(path, f"the file could not be read ({exc.strerror or type(exc).__name__})") from None
            except duckdb.Error as exc:
                if isinstance(exc, duckdb.OutOfMemoryException):
                    raise IngestError(path, f"loading this file needs more than the {MEMORY_LIMIT_MB} MB memory budget; "
                                      "split it into smaller files") from None
                if isinstance(exc, duckdb.IOException):
                    raise (store.write_error(exc, store.resolve_db_path(db).parent) or exc) from None  # the store's disk, not the file
                # A CSV shape our own checks did not foresee: still one line naming the file, never a traceback.
                detail = str(exc).strip().splitlines()[0]
                raise IngestError(path, f"the file could not be read as CSV ({detail})") from exc
        if any(not s.skipped for s in summaries):
            geography.derive(con)
            store.rebuild_indexes(con)
            cube.materialize(con)
            for s in summaries:
                if s.file_id:
                    s.warnings = [w for w in store.quality_warnings(con) if w.startswith(f"{s.file_name}: ")]
        for key, value in (meta or {}).items():
            con.execute("INSERT OR REPLACE INTO store_meta VALUES ($k, $v)", {"k": key, "v": value})
        if all(s.skipped for s in summaries) and not meta:
            raise store.NoChange()
    return summaries


def forget(file: str, db: str | os.PathLike | None = None) -> str:
    """Remove what one loaded file put in the store (by name or SHA-256) in a new version; say what was removed.

    The months it had replaced are not restored: load the extract that covered them again. The store keeps a
    record of the forgotten file (store_meta key 'forgotten:<sha256>'), so provenance still shows it once was loaded.
    """
    with store.new_version(db) as con:
        rows = con.execute(
            "SELECT file_id, file_name, sha256, first_month, last_month FROM source_files WHERE file_name = $f OR sha256 = $f",
            {"f": file},
        ).fetchall()
        if not rows:
            names = [r[0] for r in con.execute("SELECT file_name FROM source_files").fetchall()]
            raise UnknownNameError("loaded file", file, names)
        if len(rows) > 1:
            raise SbpError(f"{len(rows)} loaded files are named {file!r}; give the SHA-256 that `python -m sbp status --json` lists")
        file_id, name, sha, first, last = rows[0]
        counts = con.execute("SELECT count(*) FROM crime_counts WHERE file_id = $id", {"id": file_id}).fetchone()[0]
        for table in ("crime_counts", "population", "source_files"):
            con.execute(f"DELETE FROM {table} WHERE file_id = $id", {"id": file_id})
        record = f'{{"file_name": {json.dumps(name)}, "forgotten_at": "{dt.datetime.now():%Y-%m-%dT%H:%M:%S}"}}'
        con.execute("INSERT OR REPLACE INTO store_meta VALUES ($k, $v)", {"k": f"forgotten:{sha}", "v": record})
        store.rebuild_indexes(con)
        cube.materialize(con)
    span = f" ({first:%b %Y} to {last:%b %Y})" if first else ""
    return (f"Forgot {name}{span}: {counts:,} rows removed. Months it had replaced are not restored; load the extract "
            "that covered them again.")
