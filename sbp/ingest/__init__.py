"""Load published extracts into the store: detect the format, validate, stage, merge revisions."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sbp.metrics import materialized as cube
from sbp import store
from sbp.errors import IngestError
from sbp.ingest import dashboard
from sbp.ingest import geography
from sbp.ingest.formats import AREA_LEVELS, DENOMINATORS, Detected, detect
from sbp.ingest.textfile import TextFile, find_line, open_text

REJECT_PROBLEMS = {
    "CAST": "a count that is not a number",
    "MISSING COLUMNS": "too few fields on this row (is the file truncated?)",
    "TOO MANY COLUMNS": "too many fields on this row (an unquoted comma?)",
    "UNQUOTED VALUE": "a badly quoted field",
    "INVALID UNICODE": "text that is not valid UTF-8",
    "LINE SIZE OVER MAXIMUM": "a line that is far too long",
    "INVALID STATE": "a line the CSV reader could not parse",
}


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
        return text


@dataclass
class _Context:
    con: duckdb.DuckDBPyConnection
    text: TextFile
    detected: Detected
    file_id: int
    summary: FileSummary = field(default=None)  # type: ignore[assignment]
    sheet: object = None  # the workbook sheet as a pyarrow Table, for .xlsx files


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
    spec = ", ".join(f"'{name.replace(chr(39), chr(39) * 2)}': '{kind}'" for name, kind in columns.items())
    return (
        "read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        f"columns = {{{spec}}}, store_rejects = true, rejects_table = 'sbp_reject_errors', "
        "rejects_scan = 'sbp_reject_scans', max_line_size = 1048576)"
    )


def _check_rejects(ctx: _Context) -> None:
    rows = ctx.con.execute(
        "SELECT line, column_name, error_type, error_message FROM sbp_reject_errors ORDER BY line LIMIT 1"
    ).fetchall()
    if rows:
        line, column, kind, message = rows[0]
        problem = REJECT_PROBLEMS.get(kind, message)
        if kind == "CAST":
            value = message.split('string "', 1)[-1].split('"', 1)[0] if 'string "' in message else ""
            problem = f"count {value!r} is not a whole number"
        col = column if kind == "CAST" and isinstance(column, str) else None
        raise IngestError(ctx.text.original, problem, line=int(line), column=col)


def _reset_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the previous file's scratch objects; every stager leaves its rows behind the view sbp_staged."""
    con.execute("DROP VIEW IF EXISTS sbp_staged")
    con.execute("DROP TABLE IF EXISTS sbp_reject_errors; DROP TABLE IF EXISTS sbp_reject_scans;")


def _fail_at(ctx: _Context, problem: str, predicate: Callable[[list[str]], bool], column: str | None = None) -> None:
    raise IngestError(ctx.text.original, problem, line=find_line(ctx.text, predicate), column=column)


MAX_COUNT = 1e12        # no area records a trillion offences in a month; larger values are corrupt
MAX_POPULATION = 1e10


def _count_problem(value: float | None) -> str | None:
    if value is None:
        return "a count is missing"
    if value != value or value in (float("inf"), float("-inf")):
        return "a count is not a finite number"
    if value < 0:
        return f"count {value:g} is negative"
    if value > MAX_COUNT:
        return f"count {value:g} is too large to be a monthly count"
    if value != int(value):
        return f"count {value:g} is not a whole number"
    return None


def _bad_count_text(cell: str) -> bool:
    try:
        return _count_problem(float(cell)) is not None
    except ValueError:
        return True


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
    types = {name: "VARCHAR" for name in d.columns} | {m: "DOUBLE" for m in d.month_columns}
    # Trim the name columns here, once per wide row, not once per unpivoted cell.
    trimmed = ", ".join(f"trim({_quote_ident(c)}) AS {_quote_ident(c)}" for c in d.columns)
    month_cols = ", ".join(_quote_ident(m) for m in d.month_columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE sbp_wide AS SELECT {trimmed}, {month_cols} FROM {_read_csv(types)}",
        {"path": str(ctx.text.readable)},
    )
    _check_rejects(ctx)
    key_cols = [_quote_ident(c) for c in d.columns]
    months = [_quote_ident(m) for m in d.month_columns]
    bad_value = " OR ".join(
        f"({m} IS NULL OR {m} < 0 OR {m} > {MAX_COUNT} OR {m} <> trunc({m}) OR isinf({m}) OR isnan({m}))" for m in months
    )
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
            problem = _count_problem(value)
            if problem:
                idx = len(d.columns) + d.month_columns.index(name)
                wanted = [k.strip() for k in keys]
                _fail_at(ctx, problem, lambda r: r[: len(wanted)] == wanted and len(r) > idx and _bad_count_text(r[idx]), column=name)
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

    roles = WIDE_ROLES[d.file_format]
    major, minor = _quote_ident(roles["major"]), _quote_ident(roles["minor"])
    borough = _quote_ident(roles["borough"] or d.columns[-1])
    area_name = _quote_ident(roles["area"]) if roles["area"] else borough
    area_code = _quote_ident(roles["code"]) if roles["code"] else "''"
    level = roles["level"]
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW sbp_staged AS
        SELECT strptime(yyyymm, '%Y%m')::DATE AS month, '{level}' AS area_level, {area_name} AS area_name,
               {area_code} AS area_code, {borough} AS borough, {major} AS major_category,
               {minor} AS minor_category, offence_count::BIGINT AS offence_count
        FROM (UNPIVOT sbp_wide ON {', '.join(months)} INTO NAME yyyymm VALUE offence_count)"""
    )
    month_list = ", ".join(f"strptime('{m}', '%Y%m')::DATE" for m in d.month_columns)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_scope AS
        SELECT '{level}' AS area_level, b.borough, unnest([{month_list}]) AS month, '' AS scope_category
        FROM (SELECT DISTINCT {borough} AS borough FROM sbp_wide) b"""
    )
    s = ctx.summary
    s.rows, s.areas, s.categories = con.execute(
        f"SELECT count(*), count(DISTINCT ({area_name}, {area_code})), count(DISTINCT ({major}, {minor})) FROM sbp_wide"
    ).fetchone()


# --- police.uk street-level files -----------------------------------------------------------

def _load_police_uk(ctx: _Context) -> None:
    """Count rows per month x force x LSOA x crime type; a file replaces the months it covers for its force.

    crime_counts' police_uk rows are derived from these after the load (geography.derive), so a lookup loaded
    later still places every row.
    """
    con = ctx.con
    types = {name: "VARCHAR" for name in ctx.detected.columns}
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_raw AS
        SELECT trim("Month") AS raw_month, coalesce(trim("Reported by"), '') AS force,
               coalesce(trim("LSOA code"), '') AS lsoa_code,
               coalesce(trim("LSOA name"), '') AS lsoa_name, trim("Crime type") AS crime_type, count(*) AS n
        FROM {_read_csv(types)} GROUP BY ALL""",
        {"path": str(ctx.text.readable)},
    )
    _check_rejects(ctx)
    months, empty_types = con.execute(
        "SELECT list(DISTINCT raw_month), count(*) FILTER (WHERE coalesce(crime_type, '') = '') FROM sbp_raw").fetchone()
    bad = [m for m in months if m is None or not _is_yyyy_mm(m)]
    if bad:
        idx = 1
        _fail_at(ctx, f"Month {bad[0] or ''!r} is not in the YYYY-MM form the rest of the file uses",
                 lambda r: len(r) > idx and not _is_yyyy_mm(r[idx]), column="Month")
    if empty_types:
        _fail_at(ctx, "the crime type is empty", lambda r: len(r) > 9 and not r[9], column="Crime type")
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
    ctx.summary.rows = geography.load_lookup(ctx.con, ctx.detected.file_format, ctx.text.readable, _read_csv(types),
                                             ctx.detected.columns, ctx.file_id)
    _check_rejects(ctx)


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
    types = {name: ("DOUBLE" if name.lower() == "count" else "VARCHAR") for name in ctx.detected.columns}

    def col(role: str, default: str) -> str:
        return f"nullif(trim({_quote_ident(cols[role])}), '')" if role in cols else default

    month_expr = MONTH_PARSE.format(c=f"trim({_quote_ident(cols['month'])})")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_raw AS
        SELECT trim({_quote_ident(cols['month'])}) AS raw_month, date_trunc('month', {month_expr})::DATE AS month,
               lower({col('area_level', "'borough'")}) AS area_level, {col('area', 'NULL')} AS area_name,
               {col('borough', 'NULL')} AS borough_given, {col('category', 'NULL')} AS category,
               {col('major_category', 'NULL')} AS major_given, {_quote_ident(cols['count'])} AS value
        FROM {_read_csv(types)}""",
        {"path": str(ctx.text.readable)},
    )
    _check_rejects(ctx)
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
    value = con.execute(
        f"SELECT value FROM sbp_raw WHERE value IS NULL OR value < 0 OR value > {MAX_COUNT} OR value <> trunc(value) "
        "OR isinf(value) OR isnan(value) LIMIT 1"
    ).fetchone()
    if value is not None:
        _fail_at(ctx, _count_problem(value[0]) or "bad count", lambda r: _bad_count_text(r[i["count"]]), column=cols["count"])
    dup = con.execute(
        "SELECT month, area_level, area_name, category FROM sbp_raw GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if dup is not None:
        raise IngestError(
            ctx.text.original,
            f"{dup[3]!r} for {dup[2]} in {dup[0]:%b %Y} appears more than once",
        )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sbp_rows AS
        SELECT month, area_level, area_name, '' AS area_code, coalesce(borough_given, area_name) AS borough,
               coalesce(major_given, category) AS major_category, category AS minor_category,
               value::BIGINT AS offence_count
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
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sbp_pop AS
        SELECT coalesce({level}, 'borough') AS area_level, nullif(trim({_quote_ident(area)}), '') AS area_name,
               {year} AS year, coalesce({denominator}, 'residents') AS denominator, {_quote_ident(cols['population'])} AS population
        FROM {_read_csv(types)}""",
        {"path": str(ctx.text.readable)},
    )
    _check_rejects(ctx)
    i = {role: ctx.detected.columns.index(name) for role, name in cols.items()}
    ia = ctx.detected.columns.index(area)

    def number(cell: str) -> float | None:
        try:
            return float(cell)
        except ValueError:
            return None

    checks: list[tuple[str, str, Callable[[list[str]], bool], str]] = [
        ("area_name IS NULL", "the area is empty", lambda r: not r[ia], area),
        ("population IS NULL OR population <= 0", "the population must be above zero",
         lambda r: (number(r[i["population"]]) or 0) <= 0, cols["population"]),
        (f"population > {MAX_POPULATION} OR isinf(population) OR isnan(population)", "the population is implausibly large",
         lambda r: not (number(r[i["population"]]) or 0) <= MAX_POPULATION, cols["population"]),
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
    match = """c.source = $source AND c.area_level = s.area_level AND c.borough = s.borough AND c.month = s.month
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
        newer = """WHERE NOT EXISTS (SELECT 1 FROM sbp_scope_old o WHERE o.vintage > $vintage AND o.area_level = st.area_level
                   AND o.borough = st.borough AND o.month = st.month
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
                line = find_line(ctx.text, lambda r: _bad_count_text(r[idx]))
            else:
                line = find_line(ctx.text, lambda r: r[idx].strip().lower() == (value or "").lower())
        raise IngestError(ctx.text.original, problem, line=line, column=column)

    s = ctx.summary
    s.rows, s.areas, s.categories = dashboard.stage(ctx.con, ctx.text, found, ctx.sheet, _read_csv,
                                                    lambda: _check_rejects(ctx), fail)


STAGERS = {"mps_dashboard": _stage_dashboard, "mps_borough": _stage_wide, "mps_ward": _stage_wide, "mps_lsoa": _stage_wide,
           "long_counts": _stage_long}
# Formats kept in their own tables (not staged into crime_counts directly).
LOADERS = {"population": _load_population, "police_uk": _load_police_uk, "lsoa_lookup": _load_lookup,
           "force_lookup": _load_lookup}


def _load_one(con: duckdb.DuckDBPyConnection, path: Path, seen: set[str], workdir: Path,
              progress: Callable[[str], None] | None = None) -> FileSummary:
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
        ctx = _Context(con, text, detected, file_id, summary, sheet)
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
) -> list[FileSummary]:
    """Load every file into a new version of the store, all or none; raise IngestError on the first bad file.

    progress_bar=True lets DuckDB draw its progress bar on the terminal for steps that take over half a second.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise IngestError("(no files)", "name at least one CSV file to load")
    summaries: list[FileSummary] = []
    with tempfile.TemporaryDirectory(prefix="sbp-ingest-") as workdir, store.new_version(db, fresh=fresh) as con:
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
                summaries.append(_load_one(con, path, seen, Path(workdir), progress))
            except duckdb.Error as exc:
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
