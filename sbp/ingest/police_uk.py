"""Load police.uk street-level files into police_uk_counts, and the ONS lookups that place their rows (geography.py)."""

from __future__ import annotations

from sbp.config import areas
from sbp.ingest import geography
from sbp.ingest.context import Context
from sbp.ingest.errortext import csv_errors, fail_at
from sbp.ingest.reading import read_csv, read_into
from sbp.ingest.validation import check_bounds, check_months


def load_police_uk(ctx: Context) -> None:
    """Count rows per month x force x LSOA x crime type; a file replaces the months it covers for its force.

    crime_counts' police_uk rows are derived from these after the load (geography.derive), so a lookup loaded
    later still places every row.
    """
    con = ctx.con
    types = {name: "VARCHAR" for name in ctx.text.header}
    read_into(ctx, f"""CREATE OR REPLACE TEMP TABLE sbp_raw AS
        SELECT trim("Month") AS raw_month, coalesce(trim("Reported by"), '') AS force,
              coalesce(trim("LSOA code"), '') AS lsoa_code,
              coalesce(trim("LSOA name"), '') AS lsoa_name, trim("Crime type") AS crime_type, count(*) AS n
        FROM {read_csv(types)} GROUP BY ALL""")
    check_bounds(ctx, "sbp_raw", {"force": "Reported by", "lsoa_code": "LSOA code", "lsoa_name": "LSOA name", "crime_type": "Crime type"},
                 {"categories": "crime_type", "areas": "(lsoa_code, lsoa_name)", "forces": "force"})
    months, empty_types = con.execute(
        "SELECT list(DISTINCT raw_month), count(*) FILTER (WHERE coalesce(crime_type, '') = '') FROM sbp_raw").fetchone()
    bad = [m for m in months if m is None or not _is_yyyy_mm(m)]
    if bad:
        idx = ctx.text.index("Month")
        fail_at(ctx, f"Month {bad[0] or ''!r} is not in the YYYY-MM form the rest of the file uses",
                lambda r: len(r) > idx and not _is_yyyy_mm(r[idx]), column="Month")
    if empty_types:
        fail_at(ctx, "the crime type is empty", lambda r, i=ctx.text.index("Crime type"): len(r) > i and not r[i],
                column="Crime type")
    check_months(ctx, "sbp_raw", "strptime(raw_month, '%Y-%m')::DATE", "raw_month", "Month", "Month")
    # The borough (district) comes from the LSOA name, so a name without its NNNX code must not become a borough.
    bad = con.execute(
        "SELECT lsoa_code, lsoa_name FROM sbp_raw WHERE lsoa_name <> '' AND (NOT regexp_full_match(lsoa_name, $name) "
        "OR NOT regexp_full_match(lsoa_code, $code)) LIMIT 1",
        {"name": areas.LSOA_NAME.pattern, "code": areas.LSOA_CODE.pattern},
    ).fetchone()
    if bad:
        column, value = ("LSOA name", bad[1]) if not areas.LSOA_NAME.match(bad[1]) else ("LSOA code", bad[0])
        index = ctx.text.index(column)
        fail_at(ctx, f"{column} {value!r} is not an official LSOA {column.split()[1]} (names end in a code such as 001A; "
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


def load_lookup(ctx: Context) -> None:
    """Replace the ONS lookup table this file is (LSOA to ward and district, LSOA 2011 to 2021, or district to force)."""
    types = {name: "VARCHAR" for name in ctx.text.header}
    with csv_errors(ctx):
        ctx.summary.rows = geography.load_lookup(ctx.con, ctx.detected.file_format, ctx.text.readable, read_csv(types),
                                                 ctx.detected.columns, ctx.file_id)


def _is_yyyy_mm(value: str) -> bool:
    return len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit() and 1 <= int(value[5:]) <= 12
